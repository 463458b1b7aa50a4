/**
 * The v1 API as one black-box scenario every way of running srsr (Bun, Deno, the compiled
 * binary) must pass, over real HTTP: every route once — register, list with a meta filter,
 * pick, get, heartbeat, a meta merge patch, a long-poll woken by a registration, the event
 * stream and its resumption, deregister, the OpenAPI document — and the legacy API sharing
 * the catalog with it.
 *
 * @module
 */

import { expect } from "bun:test";
import type { InstanceListResponse, ServiceListResponse, WireInstance } from "../../src/wire/v1.ts";
import { openEventStream } from "./event_stream.ts";
import { eventually } from "./eventually.ts";
import type { RunningServer } from "./server.ts";

type Server = Pick<RunningServer, "url" | "post">;

interface Answer<Body> {
  status: number;
  headers: Headers;
  /** The parsed body; `undefined` when it is empty. */
  json: Body;
}

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
// Bounds only a failing test: a long-poll that is never woken, a stream that never delivers.
const DELIVERY_DEADLINE_MS = 30_000;

/** One request; a JSON body when `body` is given. */
async function call<Body = { error: string }>(
  server: Server,
  method: string,
  path: string,
  { body, signal }: { body?: unknown; signal?: AbortSignal } = {},
): Promise<Answer<Body>> {
  const response = await fetch(server.url + path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: (text === "" ? undefined : JSON.parse(text)) as Body };
}

/** What to compare exactly: the status and the whole body. */
const statusAndBody = ({ status, json }: Answer<unknown>) => ({ status, json });

const indexOf = (answer: Answer<unknown>) => Number(answer.headers.get("x-srsr-index"));

async function register(server: Server, name: string, body: Record<string, unknown>): Promise<WireInstance> {
  const answer = await call<WireInstance>(server, "POST", `/v1/services/${name}/instances`, { body });
  expect(answer.status).toBe(201);
  return answer.json;
}

/** Resolves as `promise` does, or rejects saying `what` did not happen by the deadline. */
async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${DELIVERY_DEADLINE_MS} ms`)), DELIVERY_DEADLINE_MS);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Registers two instances of `name`, checking the 201, the body and its Location. */
async function expectRegister(server: Server, name: string): Promise<[WireInstance, WireInstance]> {
  const answer = await call<WireInstance>(server, "POST", `/v1/services/${name}/instances`, {
    body: { address: "http://10.0.0.7", port: 9000, meta: { zone: "a", version: "1" }, ttl: 120 },
  });
  expect(answer.status).toBe(201);
  const first = answer.json;
  expect(first).toEqual({
    id: expect.any(String),
    name,
    address: "http://10.0.0.7:9000",
    meta: { zone: "a", version: "1" },
    ttl: 120,
    registeredAt: expect.stringMatching(TIME),
    expiresAt: expect.stringMatching(TIME),
  });
  expect(Date.parse(first.expiresAt) - Date.parse(first.registeredAt)).toBe(120_000);
  const location = answer.headers.get("location");
  expect(location).toBe(`/v1/instances/${encodeURIComponent(first.id)}`);
  expect(statusAndBody(await call(server, "GET", location!))).toEqual({ status: 200, json: first });

  const second = await register(server, name, { address: "10.0.0.8:9000", meta: { zone: "b" }, ttl: 90.5 });
  expect(second).toMatchObject({ name, address: "10.0.0.8:9000", meta: { zone: "b" }, ttl: 90.5 });
  expect(Date.parse(second.expiresAt) - Date.parse(second.registeredAt)).toBe(90_500);
  return [first, second];
}

async function expectListAndPick(server: Server, name: string, first: WireInstance, second: WireInstance): Promise<void> {
  const all = await call<InstanceListResponse>(server, "GET", `/v1/services/${name}`);
  expect(all.json).toEqual({ name, index: expect.any(Number), instances: [first, second] });
  expect(indexOf(all)).toBe(all.json.index);
  const zoneA = await call<InstanceListResponse>(server, "GET", `/v1/services/${name}?meta.zone=a`);
  expect(zoneA.json).toEqual({ name, index: all.json.index, instances: [first] });

  const services = await call<ServiceListResponse>(server, "GET", "/v1/services");
  expect(services.status).toBe(200);
  expect(services.json.services).toContainEqual({ name, instances: 2 });
  expect(indexOf(services)).toBe(services.json.index);
  expect(services.json.index).toBeGreaterThanOrEqual(all.json.index);

  const picked = await call<WireInstance>(server, "GET", `/v1/services/${name}/pick`);
  expect(picked.status).toBe(200);
  expect([first, second]).toContainEqual(picked.json);
  expect(statusAndBody(await call(server, "GET", `/v1/services/${name}/pick?meta.zone=b`))).toEqual({ status: 200, json: second });
  const nobody = await call(server, "GET", `/v1/services/${name}-nobody/pick`);
  expect(nobody).toMatchObject({ status: 404, json: { error: expect.stringContaining(`${name}-nobody`) } });
}

async function expectGetHeartbeatAndPatch(server: Server, name: string, instance: WireInstance): Promise<void> {
  const path = `/v1/instances/${instance.id}`;
  expect(statusAndBody(await call(server, "GET", path))).toEqual({ status: 200, json: instance });

  // Times have millisecond resolution: heartbeat until the clock has moved past registering.
  let renewed: Answer<WireInstance> | undefined;
  await eventually(async () => {
    renewed = await call<WireInstance>(server, "PUT", `${path}/heartbeat`);
    expect(renewed.status).toBe(200);
    return Date.parse(renewed.json.expiresAt) > Date.parse(instance.expiresAt);
  }, "a heartbeat moves expiresAt forward");
  expect(renewed!.json).toEqual({ ...instance, expiresAt: expect.stringMatching(TIME) });
  expect((await call<WireInstance>(server, "GET", path)).json.expiresAt).toBe(renewed!.json.expiresAt);

  const set = await call<WireInstance>(server, "PATCH", path, { body: { meta: { version: "2", canary: "yes" } } });
  expect(statusAndBody(set)).toEqual({ status: 200, json: { ...renewed!.json, meta: { zone: "a", version: "2", canary: "yes" } } });
  const removed = await call<WireInstance>(server, "PATCH", path, { body: { meta: { canary: null } } });
  expect(statusAndBody(removed)).toEqual({ status: 200, json: { ...renewed!.json, meta: { zone: "a", version: "2" } } });
  expect((await call<WireInstance>(server, "GET", path)).json.meta).toEqual({ zone: "a", version: "2" });
  const byVersion = await call<InstanceListResponse>(server, "GET", `/v1/services/${name}?meta.version=2`);
  expect(byVersion.json.instances).toEqual([removed.json]);
}

/** Long-polls on `name` and on every service, both woken by one registration to `name`. */
async function expectLongPollWokenByRegister(server: Server, name: string): Promise<void> {
  const before = await call<InstanceListResponse>(server, "GET", `/v1/services/${name}`);
  const servicesBefore = await call<ServiceListResponse>(server, "GET", "/v1/services");
  const controller = new AbortController();
  const { signal } = controller;
  try {
    let answered = false;
    const held = call<InstanceListResponse>(server, "GET", `/v1/services/${name}?index=${indexOf(before)}&wait=1m`, { signal });
    const heldServices = call<ServiceListResponse>(server, "GET", `/v1/services?index=${indexOf(servicesBefore)}&wait=1m`, { signal });
    held.finally(() => (answered = true)).catch(() => {});
    heldServices.catch(() => {});

    // Nothing changed, so neither may answer yet, however quickly another request comes back.
    expect((await call(server, "GET", `/v1/services/${name}`)).status).toBe(200);
    expect(answered).toBe(false);
    const added = await register(server, name, { address: "10.0.0.10:9000", ttl: 120 });

    const woken = await within(held, `a long-poll on ${name} was not woken by a registration to it`);
    expect(woken.status).toBe(200);
    expect(indexOf(woken)).toBeGreaterThan(indexOf(before));
    expect(woken.json.index).toBe(indexOf(woken));
    expect(woken.json.instances).toEqual([...before.json.instances, added]);

    const wokenServices = await within(heldServices, "a long-poll on /v1/services was not woken by a registration");
    expect(indexOf(wokenServices)).toBeGreaterThan(indexOf(servicesBefore));
    expect(wokenServices.json.services).toContainEqual({ name, instances: before.json.instances.length + 1 });
  } finally {
    controller.abort(); // only a failed test leaves one held
  }
}

/** A stream's snapshot, then a registration as it happens; resuming after the snapshot sees it again. */
async function expectEventStream(server: Server, name: string): Promise<void> {
  const url = `${server.url}/v1/events?name=${name}`;
  const listed = await call<InstanceListResponse>(server, "GET", `/v1/services/${name}`);
  const stream = await openEventStream(url);
  let snapshot: { id: string | undefined; data: Record<string, unknown> };
  let registered: typeof snapshot;
  try {
    snapshot = await stream.expectEvent("snapshot");
    expect(snapshot.data).toEqual({ index: Number(snapshot.id), instances: listed.json.instances });
    expect(Number(snapshot.id)).toBeGreaterThanOrEqual(listed.json.index);
    const instance = await register(server, name, { address: "10.0.0.11:9000", meta: { zone: "c" }, ttl: 120 });
    registered = await stream.expectEvent("register", DELIVERY_DEADLINE_MS);
    expect(registered.data).toEqual({ type: "register", instance });
    expect(Number(registered.id)).toBeGreaterThan(Number(snapshot.id));
    // The event's id is the change's index, which is now the name's.
    expect(indexOf(await call(server, "GET", `/v1/services/${name}`))).toBe(Number(registered.id));
  } finally {
    await stream.close();
  }

  // Resuming after the snapshot gets the change, and no snapshot before it.
  for (const [resumeUrl, headers] of [[url, { "Last-Event-ID": snapshot.id! }], [`${url}&since=${snapshot.id}`, {}]] as const) {
    const resumed = await openEventStream(resumeUrl, headers);
    try {
      expect(await resumed.expectEvent("register", DELIVERY_DEADLINE_MS)).toEqual(registered);
    } finally {
      await resumed.close();
    }
  }
}

async function expectDeregister(server: Server, name: string, instance: WireInstance): Promise<void> {
  const path = `/v1/instances/${instance.id}`;
  const deleted = await call<undefined>(server, "DELETE", path);
  expect(deleted.status).toBe(204);
  expect(deleted.json).toBeUndefined();
  for (const [method, suffix, body] of [["GET", ""], ["DELETE", ""], ["PUT", "/heartbeat"], ["PATCH", "", { meta: { a: "b" } }]] as const) {
    const gone = await call(server, method, path + suffix, { body });
    expect({ method, status: gone.status, error: gone.json.error }).toEqual({ method, status: 404, error: expect.stringContaining(instance.id) });
  }
  const listed = await call<InstanceListResponse>(server, "GET", `/v1/services/${name}`);
  expect(listed.json.instances.map(({ id }) => id)).not.toContain(instance.id);
}

async function expectOpenApi(server: Server): Promise<void> {
  const answer = await call<{ openapi: string; paths: Record<string, unknown> }>(server, "GET", "/v1/openapi.json");
  expect(answer.status).toBe(200);
  expect(answer.headers.get("content-type")).toStartWith("application/json");
  expect(answer.json.openapi).toBe("3.1.0");
  expect(Object.keys(answer.json.paths)).toEqual(
    expect.arrayContaining(["/v1/services/{name}/instances", "/v1/services/{name}", "/v1/instances/{id}", "/v1/events"]),
  );
}

/** A v1 registration seen and changed through the legacy API, and a legacy one through v1. */
async function expectLegacyInterop(server: Server, name: string): Promise<void> {
  const fromV1 = await register(server, `${name}-v1`, { address: "http://10.0.0.12:9000", meta: { zone: "a" }, ttl: 120 });
  expect(await server.post("/lookup", { name: `${name}-v1` })).toEqual({ status: 200, json: { success: true, address: fromV1.address } });
  expect((await server.post("/heartbeat", { id: fromV1.id })).json).toEqual({ success: true });
  expect((await server.post("/deregister", { id: fromV1.id })).json).toEqual({ success: true });
  expect((await call(server, "GET", `/v1/instances/${fromV1.id}`)).status).toBe(404);

  const legacy = await server.post("/register", { name: `${name}-legacy`, address: "http://10.0.0.13:9000" });
  const id = legacy.json.id as string;
  const listed = await call<InstanceListResponse>(server, "GET", `/v1/services/${name}-legacy`);
  expect(listed.json.instances).toEqual([{
    id,
    name: `${name}-legacy`,
    address: "http://10.0.0.13:9000",
    meta: {},
    ttl: expect.any(Number),
    registeredAt: expect.stringMatching(TIME),
    expiresAt: expect.stringMatching(TIME),
  }]);
  expect(statusAndBody(await call(server, "GET", `/v1/instances/${id}`))).toEqual({ status: 200, json: listed.json.instances[0] });
  expect((await call(server, "DELETE", `/v1/instances/${id}`)).status).toBe(204);
  expect((await server.post("/lookup", { name: `${name}-legacy` })).json).toEqual({ success: false, address: "" });
}

/**
 * Runs the scenario against `server` on names starting with `name`. Legacy registrations get
 * the server's `--timeout`, and one is read back at once: give the server a few seconds at
 * least (the default 30 is fine).
 */
export async function expectV1Scenario(server: Server, name = "inventory"): Promise<void> {
  const [first, second] = await expectRegister(server, name);
  await expectListAndPick(server, name, first, second);
  await expectGetHeartbeatAndPatch(server, name, first);
  await expectLongPollWokenByRegister(server, name);
  await expectEventStream(server, name);
  await expectDeregister(server, name, first);
  await expectOpenApi(server);
  await expectLegacyInterop(server, name);
}
