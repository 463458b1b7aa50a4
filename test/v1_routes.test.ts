/**
 * The v1 API in-process (`app.request`): every route, what each answers, and every bad input.
 * Long-polls and event streams are in test/watch.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../src/app.ts";
import { createLogger } from "../src/logger.ts";
import { openSqlite } from "../src/runtime/bun/sqlite.ts";
import { openSqliteStore } from "../stores/sqlite/store.ts";
import { Registry } from "../src/registry.ts";
import { MemoryStore } from "../stores/memory/store.ts";
import { manualClock } from "./store_conformance.ts";

/** `clientIp: null`: a request whose IP the runtime does not know. */
function setup({ clientIp = "10.1.2.3" as string | null, maxTtl = 3600, defaultTtl = 30 } = {}) {
  const clock = manualClock(Date.UTC(2026, 10, 28, 10, 0, 0, 0));
  const store = new MemoryStore({ now: clock.now });
  const registry = new Registry(store, { defaultTtl, maxTtl });
  const app = createApp({ registry, clientIp: () => clientIp ?? undefined });
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await app.request(path, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: text === "" ? undefined : JSON.parse(text) };
  };
  const register = async (name: string, body: Record<string, unknown> = { address: "http://10.0.0.5:8080" }) => {
    const answer = await call("POST", `/v1/services/${name}/instances`, body);
    expect(answer.status).toBe(201);
    return answer.json;
  };
  return { app, clock, store, registry, call, register };
}

const iso = (ms: number) => new Date(ms).toISOString();

describe("POST /v1/services/{name}/instances", () => {
  test("registers and answers 201 with the instance, times in RFC 3339 UTC with milliseconds, and its Location", async () => {
    const { call, clock } = setup();
    const answer = await call("POST", "/v1/services/billing/instances", {
      address: "http://10.0.0.5:8080",
      meta: { zone: "eu-west-1a", version: "2.4.1" },
      ttl: 12.5,
    });
    expect(answer.status).toBe(201);
    expect(answer.headers.get("content-type")).toStartWith("application/json");
    expect(answer.json).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      name: "billing",
      address: "http://10.0.0.5:8080",
      meta: { zone: "eu-west-1a", version: "2.4.1" },
      ttl: 12.5,
      registeredAt: "2026-11-28T10:00:00.000Z",
      expiresAt: "2026-11-28T10:00:12.500Z",
    });
    expect(Object.keys(answer.json)).toEqual(["id", "name", "address", "meta", "ttl", "registeredAt", "expiresAt"]);
    expect(answer.headers.get("location")).toBe(`/v1/instances/${answer.json.id}`);
    expect((await call("GET", answer.headers.get("location")!)).json).toEqual(answer.json);
    expect(clock.now()).toBe(Date.UTC(2026, 10, 28, 10, 0, 0, 0));
  });

  test.each([
    [{ address: "http://10.0.0.5", port: 8080 }, "http://10.0.0.5:8080"],
    [{ address: "10.0.0.7:8080" }, "10.0.0.7:8080"],
    [{ port: 9000 }, "http://10.1.2.3:9000"],
    [{}, "http://10.1.2.3"],
    [{ address: "" }, "http://10.1.2.3"],
  ])("stores %j as %s, by the legacy address rules", async (body, expected) => {
    const { register } = setup();
    expect((await register("billing", body)).address).toBe(expected);
  });

  test("without meta or ttl, an instance has {} and the server's --timeout", async () => {
    const { register } = setup({ defaultTtl: 45 });
    expect(await register("billing", { address: "a:1" })).toMatchObject({ meta: {}, ttl: 45 });
  });

  test.each([
    ["{}", null, "address: is required: the client's IP address could not be determined"],
    ['{"address": 5}', "10.1.2.3", "address: must be a string"],
    ['{"address": "localhost"}', "10.1.2.3", "address: must be an absolute URI (http://10.0.0.5:8080) or host:port (10.0.0.5:8080)"],
    ['{"port": 0}', "10.1.2.3", "port: must be an integer from 1 to 65535"],
    ['{"port": "80"}', "10.1.2.3", "port: must be a number"],
    ['{"port": 80.5}', "10.1.2.3", "port: must be an integer from 1 to 65535"],
    ['{"ttl": 0}', "10.1.2.3", "ttl: must be greater than 0"],
    ['{"ttl": -1}', "10.1.2.3", "ttl: must be greater than 0"],
    ['{"ttl": "30"}', "10.1.2.3", "ttl: must be a number of seconds"],
    ['{"ttl": 3600.5}', "10.1.2.3", "ttl: must be at most 3600 seconds (the server's --max-ttl)"],
    ['{"ttl": 1e400}', "10.1.2.3", "ttl: must be a number of seconds"],
    ['{"meta": []}', "10.1.2.3", "meta: must be an object of string values"],
    ['{"meta": "zone=a"}', "10.1.2.3", "meta: must be an object of string values"],
    ['{"meta": {"zone": 5}}', "10.1.2.3", "meta.zone: must be a string"],
    ['{"meta": {"zone": null}}', "10.1.2.3", "meta.zone: must be a string"],
    ['{"meta": {"a b": "x"}}', "10.1.2.3", "meta.a b: key must be 1–64 characters of A–Z, a–z, 0–9, _, . or -"],
    ['{"meta": {"": "x"}}', "10.1.2.3", 'meta."": key must be 1–64 characters of A–Z, a–z, 0–9, _, . or -'],
    [`{"meta": {"${"k".repeat(65)}": "x"}}`, "10.1.2.3", `meta.${"k".repeat(65)}: key must be 1–64 characters`],
    [`{"meta": {"k": "${"v".repeat(257)}"}}`, "10.1.2.3", "meta.k: must be at most 256 characters"],
    ['{"meta": {"k": "a\\nb"}}', "10.1.2.3", "meta.k: must not contain control characters"],
    ['{"meta": {"__proto__": "x"}}', "10.1.2.3", 'body: "__proto__" is not allowed as a key'],
    ["[]", "10.1.2.3", "body: must be a JSON object"],
    ["{nope", "10.1.2.3", "body: malformed JSON"],
    ["", "10.1.2.3", "body: is empty; expected a JSON object"],
  ])("body %s is a 400: %s", async (body, clientIp, message) => {
    const { call, store } = setup({ clientIp });
    const answer = await call("POST", "/v1/services/billing/instances", body);
    expect(answer.status).toBe(400);
    expect(answer.json.error).toStartWith(message);
    expect(store.size).toBe(0);
  });

  test("at most 32 meta keys", async () => {
    const { call } = setup();
    const meta = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, "v"]));
    expect((await call("POST", "/v1/services/a/instances", { address: "a:1", meta: meta(32) })).status).toBe(201);
    const refused = await call("POST", "/v1/services/a/instances", { address: "a:1", meta: meta(33) });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toBe("meta: must have at most 32 keys (has 33)");
  });

  test.each([
    ["a%20b", "name: must not contain whitespace or control characters"],
    ["a%0Ab", "name: must not contain whitespace or control characters"],
    [`${"n".repeat(254)}`, "name: must be at most 253 characters"],
  ])("name %s in the path is a 400: %s", async (name, message) => {
    const { call } = setup();
    const answer = await call("POST", `/v1/services/${name}/instances`, { address: "a:1" });
    expect(answer).toMatchObject({ status: 400, json: { error: message } });
  });

  test.each([
    ["POST", "/v1/services/bill%FFing/instances"],
    ["GET", "/v1/services/%ZZ"],
    ["GET", "/v1/services/%C3/pick"],
    ["GET", "/v1/instances/%FF"],
    ["DELETE", "/v1/instances/%FF%FE"],
  ])("%s %s: a path that is not percent-encoded UTF-8 is a 400, never a name or id taken literally", async (method, path) => {
    const { call, store } = setup();
    const answer = await call(method, path, method === "POST" ? { address: "a:1" } : undefined);
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatch(/^(name|id): is not valid percent-encoded UTF-8 \(a literal % is %25\)$/);
    expect(store.size).toBe(0);
  });

  test("a literal % in a name is sent as %25", async () => {
    const { register, call } = setup();
    expect((await register("100%25", { address: "a:1" })).name).toBe("100%");
    expect((await call("GET", "/v1/services/100%25")).json.instances).toHaveLength(1);
    expect((await call("GET", "/v1/services/100%25FF")).json.name).toBe("100%FF");
  });

  test("a name with a percent-encoded slash is one name", async () => {
    const { call, register } = setup();
    expect((await register("team%2Fbilling", { address: "a:1" })).name).toBe("team/billing");
    expect((await call("GET", "/v1/services/team%2Fbilling")).json.instances).toHaveLength(1);
    expect((await call("POST", "/lookup", { name: "team/billing" })).json).toEqual({ success: true, address: "a:1" });
  });

  test("a body over 64 KiB is a 413", async () => {
    const { call } = setup();
    const answer = await call("POST", "/v1/services/a/instances", { address: "a:1", meta: { k: "x".repeat(70_000) } });
    expect(answer).toMatchObject({ status: 413, json: { error: "body: must be at most 65536 bytes" } });
  });
});

describe("GET /v1/services and /v1/services/{name}", () => {
  test("lists every name with a live instance, sorted, with the global index in the body and the header", async () => {
    const { call, register, registry, clock } = setup();
    await register("search");
    await register("billing");
    await register("billing");
    await register("brief", { address: "a:1", ttl: 1 });
    clock.advance(1_000);
    const answer = await call("GET", "/v1/services");
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      index: registry.index(),
      services: [{ name: "billing", instances: 2 }, { name: "search", instances: 1 }],
    });
    expect(answer.headers.get("x-srsr-index")).toBe(String(registry.index()));
  });

  test("lists a name's live instances, oldest first, with the name's index", async () => {
    const { call, register, clock, registry } = setup();
    const first = await register("billing", { address: "a:1" });
    clock.advance(5);
    const second = await register("billing", { address: "a:2" });
    const billingIndex = registry.index();
    await register("search");
    const answer = await call("GET", "/v1/services/billing");
    expect(answer.json).toEqual({ name: "billing", index: billingIndex, instances: [first, second] });
    expect(answer.headers.get("x-srsr-index")).toBe(String(billingIndex));
  });

  test("an unknown name is 200 with no instances and index 1", async () => {
    const { call, register } = setup();
    await register("billing");
    const answer = await call("GET", "/v1/services/nobody");
    expect(answer).toMatchObject({ status: 200, json: { name: "nobody", index: 1, instances: [] } });
    expect(answer.headers.get("x-srsr-index")).toBe("1");
  });

  test("?meta.KEY=VALUE filters, repeated with other keys as an AND; values are taken literally", async () => {
    const { call, register, clock } = setup();
    const euBlue = await register("billing", { address: "a:1", meta: { zone: "eu", color: "blue" } });
    clock.advance(1);
    const euGreen = await register("billing", { address: "a:2", meta: { zone: "eu", color: "green" } });
    await register("billing", { address: "a:3", meta: { zone: "us", color: "blue" } });
    await register("billing", { address: "a:4", meta: { "zone.name": "a b&c" } });
    const ids = async (query: string) => (await call("GET", `/v1/services/billing${query}`)).json.instances.map((i: { id: string }) => i.id);
    expect(await ids("?meta.zone=eu")).toEqual([euBlue.id, euGreen.id]);
    expect(await ids("?meta.zone=eu&meta.color=green")).toEqual([euGreen.id]);
    expect(await ids("?meta.zone=mars")).toEqual([]);
    expect(await ids("?meta.zone.name=a%20b%26c")).toHaveLength(1);
    expect(await ids("?meta.zone=")).toEqual([]);
  });

  test.each([
    ["?meta.zone=a&meta.zone=b", "meta.zone: is given 2 times; give each key once"],
    ["?meta.=a", "meta.: must name a meta key: meta.KEY=VALUE"],
    ["?index=-1", "index: must be a non-negative integer"],
    ["?index=abc", "index: must be a non-negative integer"],
    ["?index=1.5", "index: must be a non-negative integer"],
    ["?index=1&wait=5", "wait: must be a duration such as 500ms, 30s or 5m"],
    ["?index=1&wait=soon", "wait: must be a duration such as 500ms, 30s or 5m"],
    ["?index=1&wait=-1s", "wait: must be a duration such as 500ms, 30s or 5m"],
  ])("%s is a 400: %s", async (query, message) => {
    const { call, register } = setup();
    await register("billing");
    expect(await call("GET", `/v1/services/billing${query}`)).toMatchObject({ status: 400, json: { error: message } });
  });

  test("a wait without an index, or with index 0, answers at once", async () => {
    const { call, register } = setup();
    await register("billing");
    expect((await call("GET", "/v1/services/billing?wait=10m")).status).toBe(200);
    expect((await call("GET", "/v1/services/billing?index=0&wait=10m")).status).toBe(200);
    expect((await call("GET", "/v1/services?index=0&wait=10m")).status).toBe(200);
  });
});

describe("GET /v1/services/{name}/pick", () => {
  test("answers one live instance matching the filter, or 404", async () => {
    const { call, register, registry } = setup();
    const eu = await register("billing", { address: "a:1", meta: { zone: "eu" } });
    await register("billing", { address: "a:2", meta: { zone: "us" } });
    for (let i = 0; i < 10; i++) expect((await call("GET", "/v1/services/billing/pick?meta.zone=eu")).json).toEqual(eu);
    const any = await call("GET", "/v1/services/billing/pick");
    expect(any.status).toBe(200);
    expect(any.headers.get("x-srsr-index")).toBe(String(registry.nameIndex("billing")));
    expect(await call("GET", "/v1/services/billing/pick?meta.zone=mars")).toMatchObject({
      status: 404,
      json: { error: "name: no live instance of billing with that meta" },
    });
    expect(await call("GET", "/v1/services/nobody/pick")).toMatchObject({ status: 404, json: { error: "name: no live instance of nobody" } });
  });
});

describe("/v1/instances/{id}", () => {
  test("GET answers the instance; an unknown or expired one is 404", async () => {
    const { call, register, clock } = setup();
    const added = await register("billing", { address: "a:1", ttl: 2 });
    expect(await call("GET", `/v1/instances/${added.id}`)).toMatchObject({ status: 200, json: added });
    clock.advance(2_000);
    const gone = await call("GET", `/v1/instances/${added.id}`);
    expect(gone).toMatchObject({ status: 404, json: { error: `id: no live instance ${added.id} (it expired or was deregistered: register again)` } });
    expect((await call("GET", "/v1/instances/nope")).status).toBe(404);
  });

  test("PUT .../heartbeat renews for the instance's own TTL; after expiry it is 404", async () => {
    const { call, register, clock, registry } = setup();
    const added = await register("billing", { address: "a:1", ttl: 10 });
    const index = registry.index();
    clock.advance(6_000);
    const renewed = await call("PUT", `/v1/instances/${added.id}/heartbeat`);
    expect(renewed).toMatchObject({ status: 200, json: { ...added, expiresAt: iso(clock.now() + 10_000) } });
    expect(registry.index()).toBe(index);
    clock.advance(10_000);
    expect((await call("PUT", `/v1/instances/${added.id}/heartbeat`)).status).toBe(404);
  });

  test("PATCH merges meta (null removes a key) and moves the index; a patch that changes nothing does not", async () => {
    const { call, register, registry } = setup();
    const added = await register("billing", { address: "a:1", meta: { zone: "eu", canary: "yes" } });
    const patched = await call("PATCH", `/v1/instances/${added.id}`, { meta: { canary: null, version: "2" } });
    expect(patched).toMatchObject({ status: 200, json: { ...added, meta: { zone: "eu", version: "2" } } });
    const index = registry.index();
    expect(index).toBeGreaterThan(1);
    const same = await call("PATCH", `/v1/instances/${added.id}`, { meta: { zone: "eu", missing: null } });
    expect(same).toMatchObject({ status: 200, json: { meta: { zone: "eu", version: "2" } } });
    expect(registry.index()).toBe(index);
  });

  test.each([
    ["{}", "meta: is required"],
    ['{"meta": null}', "meta: must be an object of string or null values"],
    ['{"meta": {"k": 5}}', "meta.k: must be a string"],
    ['{"meta": {"bad key": "v"}}', "meta.bad key: key must be 1–64 characters"],
    ["", "body: is empty; expected a JSON object"],
  ])("PATCH with %s is a 400: %s", async (body, message) => {
    const { call, register } = setup();
    const added = await register("billing", { address: "a:1" });
    const answer = await call("PATCH", `/v1/instances/${added.id}`, body);
    expect(answer.status).toBe(400);
    expect(answer.json.error).toStartWith(message);
  });

  test("PATCH past 32 keys is a 400 and changes nothing; of an unknown id it is 404", async () => {
    const { call, register } = setup();
    const meta = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, "v"]));
    const added = await register("billing", { address: "a:1", meta });
    expect(await call("PATCH", `/v1/instances/${added.id}`, { meta: { more: "v" } })).toMatchObject({
      status: 400,
      json: { error: "meta: the patch would leave 33 keys; at most 32 are allowed" },
    });
    expect((await call("GET", `/v1/instances/${added.id}`)).json.meta).toEqual(meta);
    expect((await call("PATCH", "/v1/instances/nope", { meta: {} })).status).toBe(404);
  });

  test("DELETE deregisters: 204 with no body, then 404", async () => {
    const { call, register } = setup();
    const added = await register("billing", { address: "a:1" });
    const deleted = await call("DELETE", `/v1/instances/${added.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe("");
    expect((await call("DELETE", `/v1/instances/${added.id}`)).status).toBe(404);
    expect((await call("GET", "/v1/services/billing")).json.instances).toEqual([]);
  });

  test(`an id over 128 characters is a 400`, async () => {
    const { call } = setup();
    expect(await call("GET", `/v1/instances/${"x".repeat(129)}`)).toMatchObject({
      status: 400,
      json: { error: "id: must be at most 128 characters" },
    });
  });
});

describe("v1 and the legacy API share one catalog", () => {
  test("a v1 registration is found by /lookup and a legacy one by /v1/services/{name}", async () => {
    const { call, register } = setup({ defaultTtl: 20 });
    await register("v1-svc", { address: "http://10.0.0.9:80" });
    expect((await call("POST", "/lookup", { name: "v1-svc" })).json).toEqual({ success: true, address: "http://10.0.0.9:80" });
    const legacy = await call("POST", "/register", { name: "old-svc", address: "10.0.0.8:80" });
    const listed = (await call("GET", "/v1/services/old-svc")).json.instances;
    expect(listed).toEqual([expect.objectContaining({ id: legacy.json.id, address: "10.0.0.8:80", meta: {}, ttl: 20 })]);
    expect((await call("POST", "/heartbeat", { id: listed[0].id })).json).toEqual({ success: true });
    expect((await call("DELETE", `/v1/instances/${legacy.json.id}`)).status).toBe(204);
    expect((await call("POST", "/deregister", { id: legacy.json.id })).json).toEqual({ success: false });
  });
});

describe("methods and paths", () => {
  test.each([
    ["GET", "/v1/services/billing/instances", "POST"],
    ["DELETE", "/v1/services", "GET"],
    ["POST", "/v1/instances/abc", "GET, PATCH, DELETE"],
    ["GET", "/v1/instances/abc/heartbeat", "PUT"],
    ["GET", "/lookup", "POST"],
  ])("%s %s is a 405 that names the allowed methods (%s)", async (method, path, allowed) => {
    const { call } = setup();
    const answer = await call(method, path);
    expect(answer.status).toBe(405);
    expect(answer.headers.get("allow")).toBe(allowed);
    expect(answer.json.error).toBe(`method ${method} not allowed on ${path}: use ${allowed.split(", ").join(" or ")}`);
  });

  test("an unknown path is a JSON 404", async () => {
    const { call } = setup();
    expect(await call("GET", "/v1/nope")).toMatchObject({ status: 404, json: { error: "not found: GET /v1/nope" } });
  });

  test("a store that cannot write is a 503 that says nothing was changed, and the server log says why", async () => {
    const folder = mkdtempSync(join(tmpdir(), "srsr-v1-503-"));
    const path = join(folder, "reg.db");
    try {
      await (await openSqliteStore(path, { openSqlite })).close();
      // A trigger that fails every history row stands in for a disk that refuses writes.
      const connection = await openSqlite(path);
      await connection.db.run(sql.raw("CREATE TRIGGER refuse BEFORE INSERT ON changes BEGIN SELECT RAISE(FAIL, 'disk I/O error'); END"));
      await connection.close();
      const store = await openSqliteStore(path, { openSqlite });
      const lines: string[] = [];
      const app = createApp({ registry: new Registry(store), logger: createLogger("error", (line) => lines.push(line)) });
      try {
        const answer = await app.request("/v1/services/a/instances", { method: "POST", body: '{"address":"a:1"}' });
        expect(answer.status).toBe(503);
        expect(await answer.json()).toEqual({ error: "store: unavailable, nothing was changed; see the server log" });
        expect(lines).toEqual([
          expect.stringContaining(`error store unavailable method=POST path=/v1/services/a/instances error="sqlite:${path}: the write failed: disk I/O error"`),
        ]);
        expect((await app.request("/v1/services/a")).status).toBe(200);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
