/**
 * The v1 TypeScript client (RegistryClient: instances, registration, events, waitFor) against a
 * real srsr process on a free port, restarted where a test needs it; its SSE parser on its own;
 * and the client bundled for Node, run there. Every wait is on a condition.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RegistryEvent, RegistryClient, RegistryError } from "../src/client.ts";
import { SseParser } from "../src/client/sse.ts";
import { eventually } from "./support/eventually.ts";
import { BUN, freePort, ROOT, type RunningServer, runToExit, srsrCommand, startServer } from "./support/server.ts";

const uniqueName = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

/** A gauge's value in the server's /metrics. */
async function gauge(server: RunningServer, name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)`, "m").exec(text)?.[1] ?? NaN);
}

let srsr: RunningServer;
let registry: RegistryClient;
beforeAll(async () => {
  srsr = await startServer(srsrCommand("bun"), ["-t", "30"]);
  registry = new RegistryClient({ server: srsr.url });
});
afterAll(async () => {
  await srsr?.stop();
});

describe("RegistryClient: instances and registration", () => {
  test("registers with meta and a TTL, lists, picks, gets, heartbeats and deregisters; not found is a value", async () => {
    const name = uniqueName("billing");
    const a = await registry.registration.register(name, { address: "http://10.0.0.5", port: 8080, meta: { zone: "eu" }, ttl: 15 });
    expect(a).toMatchObject({ name, address: "http://10.0.0.5:8080", meta: { zone: "eu" }, ttl: 15 });
    const b = await registry.registration.register(name, { port: 9090 });
    expect(b).toMatchObject({ address: "http://127.0.0.1:9090", meta: {}, ttl: 30 });

    const listed = await registry.instances.list(name);
    expect(listed.instances.map((instance) => instance.id)).toEqual([a.id, b.id]);
    expect((await registry.instances.list(name, { meta: { zone: "eu" } })).instances.map((instance) => instance.id)).toEqual([a.id]);
    expect((await registry.instances.services()).services).toContainEqual({ name, instances: 2 });
    expect((await registry.instances.pick(name, { meta: { zone: "eu" } }))?.id).toBe(a.id);
    expect(await registry.instances.pick(name, { meta: { zone: "us" } })).toBeNull();
    expect(await registry.instances.pick(uniqueName("nobody"))).toBeNull();
    expect(await registry.instances.get(a.id)).toEqual(a);

    const renewed = await registry.registration.heartbeat(a.id);
    expect(renewed?.id).toBe(a.id);
    expect(Date.parse(renewed!.expiresAt)).toBeGreaterThanOrEqual(Date.parse(a.expiresAt));
    expect(await registry.registration.deregister(a.id)).toBe(true);
    expect(await registry.registration.deregister(a.id)).toBe(false);
    expect(await registry.registration.heartbeat(a.id)).toBeNull();
    expect(await registry.instances.get(a.id)).toBeNull();
    expect(await registry.registration.deregister(b.id)).toBe(true);
  });

  test("a name with a path's characters is one path segment", async () => {
    const name = `team/${uniqueName("billing")}%`;
    const instance = await registry.registration.register(name, { address: "10.0.0.7:80" });
    expect((await registry.instances.pick(name))?.id).toBe(instance.id);
    expect(await registry.registration.deregister(instance.id)).toBe(true);
  });

  test("list with an index is a long-poll: it answers at the next change to the name", async () => {
    const name = uniqueName("polled");
    const { index } = await registry.instances.list(name);
    const polling = registry.instances.list(name, { index, wait: 60_000 });
    await eventually(async () => (await gauge(srsr, "srsr_open_long_polls")) >= 1, "the long-poll is held");
    const instance = await registry.registration.register(name, { address: "10.0.0.8:80" });
    const answer = await polling;
    expect(answer.instances.map((found) => found.id)).toEqual([instance.id]);
    expect(answer.index).toBeGreaterThan(index);
    await registry.registration.deregister(instance.id);
  });

  test("a refusal is a RegistryError with the status and the body; an unreachable registry has neither", async () => {
    const error = await registry.registration.register("a b", { address: "10.0.0.1:1" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RegistryError);
    expect(error).toMatchObject({ status: 400 });
    expect(JSON.parse((error as RegistryError).body!)).toEqual({ error: "name: must not contain whitespace or control characters" });
    expect((error as Error).message).toStartWith(`POST ${srsr.url}/v1/services/a%20b/instances: 400 Bad Request: `);

    const nowhere = new RegistryClient({ server: `http://127.0.0.1:${await freePort()}` });
    const unreachable = await nowhere.instances.services().catch((caught: unknown) => caught);
    expect(unreachable).toBeInstanceOf(RegistryError);
    expect(unreachable).toMatchObject({ status: undefined, body: undefined });
  });

  test("bad options are a TypeError naming the option, before anything is sent", () => {
    expect(() => new RegistryClient({ server: "localhost:4214" })).toThrow("server:");
    expect(() => new RegistryClient({ server: srsr.url, token: "two words" })).toThrow("token:");
    expect(() => new RegistryClient({ server: srsr.url, requestTimeout: 0 })).toThrow("requestTimeout:");
  });
});

describe("RegistryClient: bearer tokens", () => {
  let guarded: RunningServer;
  beforeAll(async () => {
    guarded = await startServer(srsrCommand("bun"), [], { env: { SRSR_TOKEN: "s3cret-token" } });
  });
  afterAll(async () => {
    await guarded?.stop();
  });

  test("with the token every call is let in; without it a 401 RegistryError", async () => {
    const allowed = new RegistryClient({ server: guarded.url, token: "s3cret-token" });
    const instance = await allowed.registration.register("guarded", { address: "10.0.0.9:1" });
    expect((await allowed.instances.pick("guarded"))?.id).toBe(instance.id);
    const refused = new RegistryClient({ server: guarded.url });
    await expect(refused.instances.pick("guarded")).rejects.toMatchObject({ status: 401 });
    await expect(refused.registration.deregister(instance.id)).rejects.toMatchObject({ status: 401 });
    expect(await allowed.registration.deregister(instance.id)).toBe(true);
  });
});

describe("RegistryClient: keepAlive", () => {
  test("heartbeats every third of its TTL, re-registers after a restart forgot it, and deregisters on stop", async () => {
    const own = await startServer(srsrCommand("bun"));
    const paths: string[] = [];
    const recording = (input: string | URL | Request, init?: RequestInit) => {
      paths.push(`${init?.method ?? "GET"} ${new URL(String(input)).pathname}`);
      return fetch(input, init);
    };
    const registered: string[] = [];
    const kept = new RegistryClient({ server: own.url, fetch: recording }).registration.keepAlive("kept", {
      address: "10.0.0.10:80",
      ttl: 1.2,
      backoff: { initial: 50, max: 200 },
      onRegister: (instance) => registered.push(instance.id),
    });
    let restarted: RunningServer | undefined;
    try {
      const first = await kept.start();
      expect(first.ttl).toBe(1.2);
      // Alive past its TTL: only its heartbeats, each a third of the TTL apart, keep it so.
      await eventually(() => paths.filter((path) => path.startsWith("PUT ")).length >= 4, "four heartbeats were sent");
      expect(await own.fetch(`${own.url}/v1/instances/${first.id}`).then((response) => response.status)).toBe(200);
      expect(registered).toEqual([first.id]);

      await own.stop();
      restarted = await startServer(srsrCommand("bun"), [], { port: own.port });
      await eventually(() => registered.length === 2, "it registered again on the restarted registry");
      const second = kept.instance!;
      expect(second.id).not.toBe(first.id);
      expect((await restarted.fetch(`${restarted.url}/v1/services/kept`).then((response) => response.json())).instances).toHaveLength(1);

      expect(await kept.stop()).toBe(true);
      expect(kept.running).toBe(false);
      expect(await restarted.fetch(`${restarted.url}/v1/instances/${second.id}`).then((response) => response.status)).toBe(404);
    } finally {
      await kept.stop().catch(() => {});
      if (own.process.exitCode === null) await own.stop();
      await restarted?.stop();
    }
  }, 30_000);

  test("renewIf: false skips heartbeats, so the instance expires; renewNow brings it back", async () => {
    let healthy = true;
    const kept = registry.registration.keepAlive(uniqueName("gated"), { address: "10.0.0.11:80", ttl: 0.5, renewIf: () => healthy });
    try {
      const first = await kept.start();
      healthy = false;
      await eventually(async () => (await registry.instances.get(first.id)) === null, "it expired without heartbeats");
      healthy = true;
      kept.renewNow();
      await eventually(async () => kept.instance!.id !== first.id && (await registry.instances.get(kept.instance!.id)) !== null, "it registered again");
    } finally {
      await kept.stop();
    }
  }, 20_000);
});

describe("RegistryClient: events", () => {
  /** Collects the events of a watch until `stop` aborts it; `errors` are the retries it reported. */
  function collect(client: RegistryClient, names: string[]) {
    const stop = new AbortController();
    const events: RegistryEvent[] = [];
    const errors: RegistryError[] = [];
    const done = (async () => {
      for await (const event of client.events.watch({ names, signal: stop.signal, backoff: { initial: 50, max: 300 }, onError: (error) => errors.push(error) })) {
        events.push(event);
      }
    })();
    return { events, errors, stop: async () => (stop.abort(), await done) };
  }

  test("a snapshot, then each change; the stream is released when the watch stops", async () => {
    const name = uniqueName("watched");
    const before = await registry.registration.register(name, { address: "10.0.0.12:80" });
    const watching = collect(registry, [name]);
    await eventually(() => watching.events.length === 1, "the snapshot arrived");
    expect(watching.events[0]).toMatchObject({ type: "snapshot", instances: [{ id: before.id }] });
    const after = await registry.registration.register(name, { address: "10.0.0.13:80" });
    await registry.registration.deregister(before.id);
    await eventually(() => watching.events.length === 3, "both changes arrived");
    expect(watching.events.slice(1).map((event) => event.type === "snapshot" ? event : [event.type, event.instance.id])).toEqual([
      ["register", after.id],
      ["deregister", before.id],
    ]);
    expect(watching.events[2]!.index).toBeGreaterThan(watching.events[1]!.index);
    await watching.stop();
    await eventually(async () => (await gauge(srsr, "srsr_open_event_streams")) === 0, "the server released the stream");
    expect(watching.errors).toEqual([]);
    await registry.registration.deregister(after.id);
  });

  test("after a restart of a SQLite registry it resumes with Last-Event-ID: the missed change, no second snapshot", async () => {
    const folder = await mkdtemp(join(tmpdir(), "srsr-events-"));
    const store = ["--store", `sqlite:${join(folder, "reg.db")}`];
    let server = await startServer(srsrCommand("bun"), store);
    const port = server.port;
    const client = new RegistryClient({ server: server.url });
    const watching = collect(client, ["resumed"]);
    try {
      await eventually(() => watching.events.length === 1, "the snapshot arrived");
      const first = await client.registration.register("resumed", { address: "10.0.0.14:80" });
      await eventually(() => watching.events.length === 2, "the first change arrived");
      await server.stop();
      await eventually(() => watching.errors.length > 0, "the watch saw the stream end");
      // Made while the watch is away: it must arrive on the resumed stream.
      server = await startServer(srsrCommand("bun"), store, { port });
      const missed = await client.registration.register("resumed", { address: "10.0.0.15:80" });
      await eventually(() => watching.events.length === 3, "the missed change arrived");
      expect(watching.events.map((event) => event.type === "snapshot" ? "snapshot" : `${event.type} ${event.instance.id}`)).toEqual([
        "snapshot",
        `register ${first.id}`,
        `register ${missed.id}`,
      ]);
    } finally {
      await watching.stop();
      await server.stop();
      await rm(folder, { recursive: true, force: true });
    }
  }, 30_000);

  test("after a restart of a memory registry, which forgot the history, it starts again with a fresh snapshot", async () => {
    let server = await startServer(srsrCommand("bun"));
    const port = server.port;
    const client = new RegistryClient({ server: server.url });
    const watching = collect(client, ["forgotten"]);
    try {
      // The snapshot first: a register made before it would be inside it, not a change after it.
      await eventually(() => watching.events.length === 1, "the snapshot arrived");
      await client.registration.register("forgotten", { address: "10.0.0.16:80" });
      await eventually(() => watching.events.length === 2, "the snapshot and the change arrived");
      await server.stop();
      server = await startServer(srsrCommand("bun"), [], { port });
      await eventually(() => watching.events.length === 3, "a second snapshot arrived");
      expect(watching.events[2]).toMatchObject({ type: "snapshot", instances: [] });
    } finally {
      await watching.stop();
      await server.stop();
    }
  }, 30_000);

  test("a refused stream (a bad name) ends the iteration with the RegistryError", async () => {
    const iterate = async () => {
      for await (const _ of registry.events.watch({ names: ["a b"] })) break;
    };
    await expect(iterate()).rejects.toMatchObject({ status: 400 });
  });
});

describe("RegistryClient: waitFor", () => {
  test("answers at once when already satisfied, and only instances matching meta count", async () => {
    const name = uniqueName("ready");
    const a = await registry.registration.register(name, { address: "10.0.0.20:80", meta: { zone: "eu" } });
    await registry.registration.register(name, { address: "10.0.0.21:80" });
    expect(await registry.instances.waitFor(name, { count: 2, timeout: 60_000 })).toMatchObject({ satisfied: true, instances: [{}, {}] });
    expect(await registry.instances.waitFor(name, { meta: { zone: "eu" }, timeout: 60_000 })).toMatchObject({ satisfied: true, instances: [{ id: a.id }] });
  });

  test("is woken by the registration that satisfies it, long before its timeout", async () => {
    const name = uniqueName("later");
    const waiting = registry.instances.waitFor(name, { count: 1, timeout: 10 * 60_000 });
    await eventually(async () => (await gauge(srsr, "srsr_open_long_polls")) >= 1, "the wait holds a long-poll");
    const instance = await registry.registration.register(name, { address: "10.0.0.22:80" });
    expect(await waiting).toEqual({ satisfied: true, instances: [instance] });
  });

  test("times out with the instances last seen; an unreachable registry is said so", async () => {
    const name = uniqueName("never");
    await registry.registration.register(name, { address: "10.0.0.23:80" });
    expect(await registry.instances.waitFor(name, { count: 2, timeout: 300 })).toMatchObject({ satisfied: false, instances: [{}], unreachable: undefined });
    const nowhere = new RegistryClient({ server: `http://127.0.0.1:${await freePort()}` });
    const result = await nowhere.instances.waitFor(name, { timeout: 300, backoff: { initial: 20, max: 50 } });
    expect(result).toMatchObject({ satisfied: false, instances: [] });
    expect((result as { unreachable?: RegistryError }).unreachable).toBeInstanceOf(RegistryError);
  });

  test("a refused question rejects rather than waiting", async () => {
    await expect(registry.instances.waitFor("a b", { timeout: 60_000 })).rejects.toMatchObject({ status: 400 });
  });
});

describe("SseParser", () => {
  test("reads fields across chunks and every line ending; comments pass; an event without data is none", () => {
    const parser = new SseParser();
    const chunks = ["event: snap", "shot\r\ndata: {\"a\":\r", "\n", "data: 1}\nid: 7\n\n: ping\r\r", "event: empty\n\nid: 8\ndata:x\n", "\n"];
    expect(chunks.flatMap((chunk) => parser.push(chunk))).toEqual([
      { kind: "event", event: "snapshot", data: '{"a":\n1}', id: "7" },
      { kind: "comment", text: "ping" },
      { kind: "event", event: "message", data: "x", id: "8" },
    ]);
  });
});

describe("the v1 client on Node", () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "srsr-client-v1-node-"));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  test("bundled for Node, it registers, waits for, picks and watches", async () => {
    const built = await runToExit([BUN, "build", join(ROOT, "src", "client.ts"), "--target=node", "--format=esm", `--outfile=${join(scratch, "client.js")}`]);
    expect(built.code).toBe(0);
    const name = uniqueName("node");
    await writeFile(join(scratch, "main.mjs"), `
import { RegistryClient } from "./client.js";
const registry = new RegistryClient({ server: ${JSON.stringify(srsr.url)} });
const stop = new AbortController();
const events = [];
const watching = (async () => { for await (const event of registry.events.watch({ names: [${JSON.stringify(name)}], signal: stop.signal })) events.push(event.type); })();
while (events.length < 1) await new Promise((resolve) => setTimeout(resolve, 10)); // the snapshot: watching
const waited = registry.instances.waitFor(${JSON.stringify(name)}, { timeout: 60_000 });
const instance = await registry.registration.register(${JSON.stringify(name)}, { address: "10.0.0.30:80", meta: { runtime: "node" } });
const { satisfied } = await waited;
const picked = await registry.instances.pick(${JSON.stringify(name)});
await registry.registration.deregister(instance.id);
while (events.length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
stop.abort();
await watching;
console.log(JSON.stringify({ satisfied, picked: picked.meta, events }));
`);
    const { code, stdout, stderr } = await runToExit(["node", join(scratch, "main.mjs")], { cwd: scratch });
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(stdout)).toEqual({ satisfied: true, picked: { runtime: "node" }, events: ["snapshot", "register", "deregister"] });
  }, 30_000);
});
