/**
 * Long-polls and Server-Sent Events in-process: who is woken by what, how `wait` and
 * `Last-Event-ID` are honoured, and that clients who leave leave nothing behind.
 */
import { describe, expect, test } from "bun:test";
import { createApp } from "../src/app.ts";
import { Registry } from "../src/registry.ts";
import { type WaitOptions, type WaitOutcome, Watchers } from "../src/watch.ts";
import { MemoryStore } from "../stores/memory/store.ts";
import type { Retention } from "../stores/store.ts";
import { manualClock } from "./store_conformance.ts";
import { eventually } from "./support/eventually.ts";
import { readEventStream } from "./support/sse.ts";

/** Watchers that also record every wait's timeout, to check the jitter without a clock. */
class RecordingWatchers extends Watchers {
  readonly timeouts: number[] = [];
  override until(ready: () => boolean, options: WaitOptions): Promise<WaitOutcome> {
    this.timeouts.push(options.timeoutMs);
    return super.until(ready, options);
  }
}

function setup({ retention, pingMs }: { retention?: Retention; pingMs?: number } = {}) {
  const clock = manualClock();
  const store = new MemoryStore({ now: clock.now, retention });
  const registry = new Registry(store, { defaultTtl: 30 });
  const watchers = new RecordingWatchers((listener) => registry.subscribe(listener));
  const app = createApp({ registry, watchers, clientIp: () => "10.0.0.1", pingMs });
  const get = (path: string, init: RequestInit = {}) => app.request(path, init);
  const register = async (name: string, body: Record<string, unknown> = { address: "10.0.0.5:80" }) => {
    const response = await app.request(`/v1/services/${name}/instances`, { method: "POST", body: JSON.stringify(body) });
    expect(response.status).toBe(201);
    return (await response.json()) as { id: string; name: string };
  };
  const call = (method: string, path: string, body?: unknown) =>
    app.request(path, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  /** Starts a request that is expected to be held; resolves once it is parked. */
  const hold = async (path: string, init: RequestInit = {}) => {
    const before = watchers.longPolls;
    let settled = false;
    const response = Promise.resolve(get(path, init)).finally(() => (settled = true));
    await eventually(() => watchers.longPolls > before || settled, `${path} is held`);
    expect(settled).toBe(false);
    return { response, settled: () => settled };
  };
  const openStream = async (path: string, headers: Record<string, string> = {}) => {
    const abort = new AbortController();
    const response = await app.request(path, { headers, signal: abort.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("text/event-stream");
    return readEventStream(response, () => abort.abort());
  };
  return { clock, store, registry, watchers, app, get, call, register, hold, openStream };
}

/** Whether `promise` has settled, after letting pending work run. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.finally(() => (settled = true));
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  return settled;
}

describe("long-polls on /v1/services/{name}", () => {
  test("a change to the name releases its long-poll with the new state and index", async () => {
    const { register, hold, registry } = setup();
    await register("billing");
    const index = registry.nameIndex("billing");
    const held = await hold(`/v1/services/billing?index=${index}&wait=5m`);
    const added = await register("billing", { address: "10.0.0.6:80" });
    const response = await held.response;
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.index).toBe(registry.nameIndex("billing"));
    expect(body.index).toBeGreaterThan(index);
    expect(response.headers.get("x-srsr-index")).toBe(String(body.index));
    expect(body.instances.map((instance: { id: string }) => instance.id)).toContain(added.id);
  });

  test("changes to other names, heartbeats and patches that change nothing do not release it", async () => {
    const { register, hold, registry, call, watchers } = setup();
    const billing = await register("billing", { address: "10.0.0.5:80", meta: { zone: "eu" } });
    const index = registry.nameIndex("billing");
    const held = await hold(`/v1/services/billing?index=${index}&wait=5m`);
    const payments = await register("payments");
    await call("PATCH", `/v1/instances/${payments.id}`, { meta: { v: "2" } });
    await call("DELETE", `/v1/instances/${payments.id}`);
    expect((await call("PUT", `/v1/instances/${billing.id}/heartbeat`)).status).toBe(200);
    expect((await call("POST", "/heartbeat", { id: billing.id })).status).toBe(200);
    expect((await call("PATCH", `/v1/instances/${billing.id}`, { meta: { zone: "eu" } })).status).toBe(200);
    expect(await isSettled(held.response)).toBe(false);
    expect(watchers.longPolls).toBe(1);
    expect(registry.index()).toBeGreaterThan(index);
    expect((await call("PATCH", `/v1/instances/${billing.id}`, { meta: { zone: "us" } })).status).toBe(200);
    expect((await (await held.response).json()).instances[0].meta).toEqual({ zone: "us" });
  });

  test("an expiry releases it", async () => {
    const { register, hold, registry, clock } = setup();
    await register("billing", { address: "10.0.0.5:80", ttl: 1 });
    const held = await hold(`/v1/services/billing?index=${registry.nameIndex("billing")}&wait=5m`);
    clock.advance(1_000);
    expect(await registry.sweep()).toBe(1);
    expect(await (await held.response).json()).toMatchObject({ name: "billing", instances: [] });
  });

  test("a name never registered blocks at index 1 until it is registered", async () => {
    const { register, hold, get } = setup();
    await register("other");
    const first = await (await get("/v1/services/ghost")).json();
    expect(first.index).toBe(1);
    const held = await hold("/v1/services/ghost?index=1&wait=5m");
    await register("other");
    expect(await isSettled(held.response)).toBe(false);
    await register("ghost");
    expect((await (await held.response).json()).instances).toHaveLength(1);
  });

  test("an index ahead of the store (it was reset) answers at once", async () => {
    const { register, get, registry } = setup();
    await register("billing");
    const response = await get(`/v1/services/billing?index=${registry.index() + 100}&wait=5m`);
    expect((await response.json()).index).toBe(registry.nameIndex("billing"));
  });

  test("an index the name has moved past answers at once", async () => {
    const { register, get, registry } = setup();
    await register("billing");
    const old = registry.nameIndex("billing");
    await register("billing");
    expect((await (await get(`/v1/services/billing?index=${old}&wait=5m`)).json()).instances).toHaveLength(2);
  });

  test("a view of a name that was since emptied and forgotten answers at once", async () => {
    const { register, get, registry, call, clock } = setup({ retention: { changes: 1, ms: 10 } });
    const billing = await register("billing");
    const seen = registry.nameIndex("billing");
    await call("DELETE", `/v1/instances/${billing.id}`);
    clock.advance(100);
    await register("churn");
    clock.advance(100);
    await register("churn");
    expect(registry.nameIndex("billing")).toBe(1);
    const response = await (await get(`/v1/services/billing?index=${seen}&wait=5m`)).json();
    expect(response).toEqual({ name: "billing", index: 1, instances: [] });
  });

  test("a filtered long-poll answers with the filter applied", async () => {
    const { register, hold, registry, clock } = setup();
    await register("billing", { address: "a:1", meta: { zone: "eu" } });
    await register("billing", { address: "a:9", meta: { zone: "us" } });
    const held = await hold(`/v1/services/billing?index=${registry.nameIndex("billing")}&wait=5m&meta.zone=eu`);
    clock.advance(1);
    await register("billing", { address: "a:2", meta: { zone: "eu" } });
    expect((await (await held.response).json()).instances.map((i: { address: string }) => i.address)).toEqual(["a:1", "a:2"]);
  });

  test("wait is honoured: held at least that long, timed out within wait/16 more", async () => {
    const { register, get, registry, watchers } = setup();
    await register("billing");
    const index = registry.nameIndex("billing");
    const started = performance.now();
    const response = await get(`/v1/services/billing?index=${index}&wait=150ms`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(149);
    expect((await response.json()).index).toBe(index);
    for (const [wait, ms] of [["150ms", 150], ["2s", 2_000], ["1m30s", 90_000]] as const) {
      const abort = new AbortController();
      const pending = get(`/v1/services/billing?index=${index}&wait=${wait}`, { signal: abort.signal });
      await eventually(() => watchers.longPolls === 1, "the long-poll is held");
      abort.abort();
      await pending;
      const timeout = watchers.timeouts.at(-1)!;
      expect(timeout).toBeGreaterThanOrEqual(ms);
      expect(timeout).toBeLessThanOrEqual(ms + ms / 16);
    }
  });

  test("a wait past 10 minutes is taken as 10 minutes; none is 5 minutes", async () => {
    const { register, get, registry, watchers } = setup();
    await register("billing");
    for (const [query, ms] of [["&wait=1h", 600_000], ["", 300_000]] as const) {
      const abort = new AbortController();
      const pending = get(`/v1/services/billing?index=${registry.nameIndex("billing")}${query}`, { signal: abort.signal });
      await eventually(() => watchers.longPolls === 1, "the long-poll is held");
      abort.abort();
      await pending;
      expect(watchers.timeouts.at(-1)!).toBeGreaterThanOrEqual(ms);
      expect(watchers.timeouts.at(-1)!).toBeLessThanOrEqual(ms * (1 + 1 / 16));
    }
  });
});

describe("long-polls on /v1/services", () => {
  test("any change releases it; a heartbeat does not", async () => {
    const { register, hold, registry, call } = setup();
    const billing = await register("billing");
    const held = await hold(`/v1/services?index=${registry.index()}&wait=5m`);
    await call("PUT", `/v1/instances/${billing.id}/heartbeat`);
    expect(await isSettled(held.response)).toBe(false);
    await register("search");
    expect((await (await held.response).json()).services).toEqual([
      { name: "billing", instances: 1 },
      { name: "search", instances: 1 },
    ]);
  });
});

describe("GET /v1/events", () => {
  test("starts with a snapshot of the names watched, then sends each change to them and nothing else", async () => {
    const { register, openStream, registry, call, clock } = setup();
    const before = await register("billing", { address: "a:1" });
    await register("payments");
    const stream = await openStream("/v1/events?name=billing&name=search");
    const snapshot = await stream.expectEvent("snapshot");
    expect(snapshot.id).toBe(String(registry.index()));
    expect(snapshot.data).toEqual({ index: registry.index(), instances: [expect.objectContaining({ id: before.id, name: "billing" })] });

    await register("payments");
    await call("PUT", `/v1/instances/${before.id}/heartbeat`);
    const added = await register("search", { address: "a:2", ttl: 1 });
    const registered = await stream.expectEvent("register");
    expect(registered.id).toBe(String(registry.index()));
    expect(registered.data).toEqual({ type: "register", instance: expect.objectContaining({ id: added.id, name: "search", ttl: 1 }) });
    await call("PATCH", `/v1/instances/${before.id}`, { meta: { v: "2" } });
    expect((await stream.expectEvent("update")).data).toMatchObject({ type: "update", instance: { id: before.id, meta: { v: "2" } } });
    await call("DELETE", `/v1/instances/${before.id}`);
    expect((await stream.expectEvent("deregister")).data).toMatchObject({ type: "deregister", instance: { id: before.id } });
    clock.advance(1_000);
    await registry.sweep();
    const expired = await stream.expectEvent("expire");
    expect(expired).toEqual({ id: String(registry.index()), data: { type: "expire", instance: expect.objectContaining({ id: added.id }) } });
    await stream.close();
  });

  test("without a name, a stream sees every change", async () => {
    const { register, openStream } = setup();
    const stream = await openStream("/v1/events");
    expect((await stream.expectEvent("snapshot")).data).toEqual({ index: 1, instances: [] });
    for (const name of ["a", "b", "c"]) await register(name);
    for (const name of ["a", "b", "c"]) expect((await stream.expectEvent("register")).data.instance).toMatchObject({ name });
    await stream.close();
  });

  test("Last-Event-ID resumes with exactly the changes after it, without a snapshot", async () => {
    const { register, openStream, registry } = setup();
    await register("billing");
    const seen = registry.index();
    const missed = [await register("billing"), await register("payments"), await register("billing")];
    const stream = await openStream("/v1/events?name=billing", { "last-event-id": String(seen) });
    const first = await stream.nextEvent();
    expect([first.event, first.id, JSON.parse(first.data).instance.id]).toEqual(["register", String(seen + 1), missed[0].id]);
    const second = await stream.expectEvent("register");
    expect([second.id, (second.data.instance as { id: string }).id]).toEqual([String(seen + 3), missed[2].id]);
    const later = await register("billing");
    expect(((await stream.expectEvent("register")).data.instance as { id: string }).id).toBe(later.id);
    await stream.close();
  });

  test("?since=N resumes the same way; Last-Event-ID wins when both are given", async () => {
    const { register, openStream, registry } = setup();
    await register("billing");
    const first = registry.index();
    await register("billing");
    const second = registry.index();
    await register("billing");
    const bySince = await openStream(`/v1/events?name=billing&since=${first}`);
    expect((await bySince.nextEvent()).id).toBe(String(first + 1));
    await bySince.close();
    const both = await openStream(`/v1/events?name=billing&since=${first}`, { "last-event-id": String(second) });
    expect((await both.nextEvent()).id).toBe(String(second + 1));
    await both.close();
  });

  test("resuming from before the retained history, or from ahead of the store, starts with a fresh snapshot", async () => {
    const { register, openStream, registry, clock } = setup({ retention: { changes: 2, ms: 10 } });
    const start = registry.index();
    for (let i = 0; i < 5; i++) {
      await register("billing");
      clock.advance(100);
    }
    for (const from of [start, registry.index() + 10]) {
      const stream = await openStream("/v1/events?name=billing", { "last-event-id": String(from) });
      const snapshot = await stream.expectEvent("snapshot");
      expect(snapshot.id).toBe(String(registry.index()));
      expect(snapshot.data.instances).toHaveLength(5);
      await stream.close();
    }
  });

  test("an idle stream sends a ping comment and then still delivers", async () => {
    const { register, openStream } = setup({ pingMs: 20 });
    const stream = await openStream("/v1/events?name=billing");
    await stream.expectEvent("snapshot");
    expect(await stream.next()).toEqual({ kind: "comment", text: "ping" });
    await register("billing");
    expect((await stream.expectEvent("register")).data.type).toBe("register");
    await stream.close();
  });

  test.each([
    ["/v1/events?name=a%20b", {}, "name: must not contain whitespace or control characters"],
    ["/v1/events?name=ok&name=bill%FFing", {}, "name: is not valid percent-encoded UTF-8 (a literal % is %25)"],
    ["/v1/events?since=-1", {}, "since: must be a non-negative integer"],
    ["/v1/events?since=abc", {}, "since: must be a non-negative integer"],
    ["/v1/events", { "last-event-id": "12x" }, "Last-Event-ID: must be a non-negative integer"],
  ])("%s %j is a 400: %s", async (path, headers, message) => {
    const { get } = setup();
    const response = await get(path, { headers });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: message });
  });
});

describe("clients who leave leave nothing behind", () => {
  test("1,000 long-polls and 1,000 event streams that disconnect release every timer and listener", async () => {
    const { register, registry, watchers, store, app, openStream } = setup({ pingMs: 60_000 });
    await register("billing");
    const listenersBefore = store.listenerCount;
    const polls = Array.from({ length: 1_000 }, (_, i) => {
      const abort = new AbortController();
      const name = i % 2 === 0 ? "billing" : `idle-${i}`;
      const index = i % 2 === 0 ? registry.nameIndex("billing") : 1;
      return { abort, response: app.request(`/v1/services/${name}?index=${index}&wait=10m`, { signal: abort.signal }) };
    });
    const streams = await Promise.all(Array.from({ length: 1_000 }, (_, i) => openStream(i % 3 === 0 ? "/v1/events" : `/v1/events?name=n-${i}`)));
    for (const stream of streams) await stream.expectEvent("snapshot");
    await eventually(() => watchers.longPolls === 1_000 && watchers.streams === 1_000, "every client is waiting");
    await eventually(() => watchers.waiting === 2_000, "every stream is parked");
    expect(watchers.timers).toBe(2_000);

    for (const poll of polls) poll.abort.abort();
    await Promise.all(polls.map((poll) => poll.response));
    for (const stream of streams) await stream.close();
    await eventually(() => watchers.waiting === 0 && watchers.streams === 0, "every client is gone");
    expect(watchers.timers).toBe(0);
    expect(watchers.longPolls).toBe(0);
    expect(store.listenerCount).toBe(listenersBefore);
    // And the registry still wakes the next one.
    const stream = await openStream("/v1/events?name=billing");
    await stream.expectEvent("snapshot");
    await register("billing");
    await stream.expectEvent("register");
    await stream.close();
  }, 60_000);

  test("shutting down ends every wait: long-polls answer the current state", async () => {
    const { register, registry, watchers, hold } = setup();
    await register("billing");
    const held = await hold(`/v1/services/billing?index=${registry.nameIndex("billing")}&wait=10m`);
    watchers.close();
    expect((await held.response).status).toBe(200);
    expect(watchers.waiting).toBe(0);
    expect(watchers.timers).toBe(0);
  });
});
