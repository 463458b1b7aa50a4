/**
 * RegistryClient given several nodes (issue 14): a call that cannot reach a node, or gets a 5xx,
 * moves to the next; a 4xx does not. Two memory nodes check fail-over of requests (each node has
 * its own catalog, so a heartbeat that lands on the other re-registers); with SRSR_TEST_POSTGRES,
 * two nodes on one database and node A killed with SIGKILL: the client keeps the same
 * registration alive, a held long-poll and an event stream carry on through node B, and the
 * stream resumes there with Last-Event-ID, neither missing nor repeating a change (skipped
 * without SRSR_TEST_POSTGRES; `npm test -- --postgres` starts a throwaway server).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { type RegistryEvent, RegistryClient, RegistryError } from "../src/client.ts";
import type { WireInstance } from "../src/wire/v1.ts";
import { freshDatabase, TEST_POSTGRES } from "./postgres_suites.ts";
import { eventually } from "./support/eventually.ts";
import { call, register } from "./support/postgres_nodes.ts";
import { freePort, type RunningServer, srsrCommand, startServer } from "./support/server.ts";

const uniqueName = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

const running: RunningServer[] = [];
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  for (const server of running.splice(0)) {
    server.process.kill("SIGKILL");
    await server.process.exited;
  }
});

async function node(args: string[] = []): Promise<RunningServer> {
  const server = await startServer(srsrCommand("bun"), ["--log-level", "warn", ...args]);
  running.push(server);
  return server;
}

async function kill9(server: RunningServer): Promise<void> {
  server.process.kill("SIGKILL");
  expect(await server.process.exited).not.toBe(0);
}

/** The instances of `name` that `server` lists, by id. */
async function idsOn(server: RunningServer, name: string): Promise<string[]> {
  const listed = await call(server, "GET", `/v1/services/${name}`);
  return (listed.json.instances as WireInstance[]).map((instance) => instance.id);
}

describe("RegistryClient with several memory nodes: requests fail over", () => {
  test("a call stays on the first node while it answers, moves to the second when it is killed, and a 4xx does not move it", async () => {
    const [a, b] = await Promise.all([node(), node()]);
    const registry = new RegistryClient({ server: [a.url, `${b.url}/`] });
    expect(registry.servers.map(String)).toEqual([`${a.url}/`, `${b.url}/`]);
    const name = uniqueName("failover");

    const first = await registry.registration.register(name, { address: "10.0.0.1:80" });
    expect(await idsOn(a, name)).toEqual([first.id]);
    expect(await idsOn(b, name)).toEqual([]);
    const refused = await registry.registration.register("a b", { address: "10.0.0.1:80" }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RegistryError);
    expect((refused as RegistryError).status).toBe(400);
    expect(registry.server.href).toBe(`${a.url}/`);

    await kill9(a);
    const second = await registry.registration.register(name, { address: "10.0.0.2:80" });
    expect(await idsOn(b, name)).toEqual([second.id]);
    expect(registry.server.href).toBe(`${b.url}/`);
    expect((await registry.instances.pick(name))?.id).toBe(second.id);
    expect((await registry.instances.list(name)).instances.map((instance) => instance.id)).toEqual([second.id]);
    // B never knew A's instance: not found is still a value, not a fail-over.
    expect(await registry.registration.heartbeat(first.id)).toBeNull();
    expect(await registry.registration.deregister(second.id)).toBe(true);
  }, 60_000);

  test("a node that answers 5xx, or no node at all, moves the call on; when every node fails the error names each", async () => {
    const failing = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => Response.json({ error: "store: unavailable" }, { status: 503 }) });
    cleanups.push(() => failing.stop(true));
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const live = await node();
    const name = uniqueName("failover-5xx");

    const registry = new RegistryClient({ server: [`http://127.0.0.1:${failing.port}`, nobody, live.url] });
    const instance = await registry.registration.register(name, { address: "10.0.0.3:80" });
    expect(await idsOn(live, name)).toEqual([instance.id]);
    expect(registry.server.href).toBe(`${live.url}/`);

    const dead = new RegistryClient({ server: [`http://127.0.0.1:${failing.port}`, nobody] });
    const error = await dead.instances.services().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).message).toContain("none of 2 registry nodes answered");
    expect((error as RegistryError).message).toContain("503");
    expect((error as RegistryError).message).toContain(nobody);
  }, 60_000);

  test("keepAlive: when its node dies, the heartbeat lands on the other node, which re-registers the instance there", async () => {
    const [a, b] = await Promise.all([node(), node()]);
    const registry = new RegistryClient({ server: [a.url, b.url] });
    const name = uniqueName("kept");
    const registered: WireInstance[] = [];
    const kept = registry.registration.keepAlive(name, { address: "10.0.0.4:80", ttl: 3, onRegister: (instance) => registered.push(instance) });
    cleanups.push(() => kept.stop().catch(() => {}));
    const first = await kept.start();
    expect(await idsOn(a, name)).toEqual([first.id]);

    await kill9(a);
    await eventually(async () => (await idsOn(b, name)).length === 1, "the instance is registered again on B", { deadlineMs: 30_000 });
    expect(registered.length).toBe(2);
    expect(await idsOn(b, name)).toEqual([kept.instance!.id]);
    expect(await kept.stop()).toBe(true);
    expect(await idsOn(b, name)).toEqual([]);
  }, 60_000);

  test("the server option is checked when constructed", () => {
    expect(() => new RegistryClient({ server: [] })).toThrow("server:");
    expect(() => new RegistryClient({ server: ["http://127.0.0.1:1", "ftp://x"] })).toThrow("server:");
  });
});

describe.skipIf(TEST_POSTGRES === undefined)("RegistryClient with two nodes on one PostgreSQL database", () => {
  test("kill -9 node A: the client keeps the same registration alive, and its long-poll and event stream carry on through B", async () => {
    const url = await freshDatabase("srsr_client_failover");
    const [a, b] = await Promise.all([node(["--store", url, "-t", "30"]), node(["--store", url, "-t", "30"])]);
    const registry = new RegistryClient({ server: [a.url, b.url] });
    const name = uniqueName("kept");
    const polled = uniqueName("polled");

    // Kept alive through A (a TTL long enough that a busy machine does not expire it unrenewed).
    const registered: WireInstance[] = [];
    const errors: RegistryError[] = [];
    const kept = registry.registration.keepAlive(name, { address: "10.0.0.5:80", ttl: 30, onRegister: (instance) => registered.push(instance), onError: (error) => errors.push(error) });
    cleanups.push(() => kept.stop().catch(() => {}));
    const instance = await kept.start();

    // A watch of both names, and a long-poll on `polled`, both held by A.
    const stop = new AbortController();
    cleanups.push(() => stop.abort());
    const events: RegistryEvent[] = [];
    const watching = (async () => {
      for await (const event of registry.events.watch({ names: [name, polled], signal: stop.signal, backoff: { initial: 50, max: 500 } })) events.push(event);
    })();
    await eventually(() => events.some((event) => event.type === "snapshot"), "the watch's snapshot");
    const before = await call(a, "GET", `/v1/services/${polled}`);
    const polling = registry.instances.list(polled, { index: before.json.index, wait: 60_000 });
    const onA = await register(a, polled, { address: "10.0.0.6:80" });
    expect((await polling).instances.map((found) => found.id)).toEqual([onA.id]);
    const heldOnA = registry.instances.list(polled, { index: (await call(a, "GET", `/v1/services/${polled}`)).json.index, wait: 60_000 });
    await eventually(() => events.some((event) => event.type === "register" && event.instance.id === onA.id), "A's register event");

    // B has caught up with A (the nodes' lag is the bench's business): it holds every change the
    // watch has seen, so the watch can resume there, and the long-poll's index means the same.
    const seenOnA = await call(a, "GET", `/v1/services/${polled}`);
    await eventually(async () => (await call(b, "GET", `/v1/services/${polled}`)).json.index === seenOnA.json.index, "B sees what A sees", { deadlineMs: 30_000 });
    await kill9(a);
    const seenAtKill = (await call(b, "GET", `/v1/instances/${instance.id}`)).json as WireInstance;

    // The same registration, renewed through B after A died: the next heartbeat, sent now.
    kept.renewNow();
    await eventually(async () => {
      const now = await call(b, "GET", `/v1/instances/${instance.id}`);
      expect(now.status).toBe(200);
      return Date.parse(now.json.expiresAt) > Date.parse(seenAtKill.expiresAt);
    }, "a heartbeat renews the instance through B", { deadlineMs: 30_000 });
    expect(registered.map((one) => one.id)).toEqual([instance.id]);
    expect(kept.instance?.id).toBe(instance.id);

    // The held long-poll and the watch move to B and see a change made there.
    // The held long-poll, sent again to B with A's index, is answered by B's next change.
    const onB = await register(b, polled, { address: "10.0.0.7:80" });
    expect((await heldOnA).instances.map((found) => found.id)).toEqual([onA.id, onB.id]);
    await eventually(() => events.some((event) => event.type === "register" && event.instance.id === onB.id), "B's register event, through the resumed watch", { deadlineMs: 30_000 });
    expect(registry.server.href).toBe(`${b.url}/`);
    // Resumed with Last-Event-ID: one snapshot, then each change once, in index order.
    expect(events.filter((event) => event.type === "snapshot").length).toBe(1);
    const indexes = events.slice(1).map((event) => event.index);
    expect(indexes).toEqual([...new Set(indexes)].sort((x, y) => x - y));

    stop.abort();
    await watching;
    expect(await kept.stop()).toBe(true);
    expect(errors.every((error) => error.status === undefined || error.status >= 500)).toBe(true);
  }, 90_000);
});
