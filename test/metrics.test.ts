// GET /metrics in-process, parsed back by a Prometheus text-format parser: the counters move as
// requests are made, routes are labelled by template, no label holds a name or an id, and with
// metrics off there is no /metrics.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../src/app.ts";
import { Metrics } from "../src/metrics/metrics.ts";
import { Registry } from "../src/registry.ts";
import { openSqlite } from "../src/runtime/bun/sqlite.ts";
import { Watchers } from "../src/watch.ts";
import { DuplicateIdError } from "../stores/errors.ts";
import { MemoryStore } from "../stores/memory/store.ts";
import { openSqliteStore } from "../stores/sqlite/store.ts";
import type { Store } from "../stores/store.ts";
import { manualClock, newInstance } from "./store_conformance.ts";
import { eventually } from "./support/eventually.ts";
import { conventionProblems, parseScrape } from "./support/prometheus.ts";
import { readEventStream } from "./support/sse.ts";

const folder = mkdtempSync(join(tmpdir(), "srsr-metrics-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** srsr as serve.ts composes it with metrics on, over `store` (a memory store on a manual clock by default). */
function setup({ store, maxInstancesPerName }: { store?: Store; maxInstancesPerName?: number } = {}) {
  const clock = manualClock();
  const metrics = new Metrics();
  const registry = new Registry(
    metrics.measureStore(store ?? new MemoryStore({ now: clock.now, heartbeatCounts: metrics.heartbeatCounts })),
    { maxInstancesPerName },
  );
  const watchers = new Watchers((listener) => registry.subscribe(listener));
  metrics.measureCatalog(registry, watchers);
  const app = createApp({ registry, watchers, metrics, clientIp: () => "10.0.0.9" });
  const call = (method: string, path: string, body?: unknown) =>
    app.request(path, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  const scrape = async () => {
    const response = await app.request("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    return await parseScrape(await response.text());
  };
  const register = async (name: string) => ((await (await call("POST", `/v1/services/${name}/instances`, { address: "10.0.0.5:80" })).json()) as { id: string }).id;
  return { clock, metrics, registry, watchers, app, call, scrape, register };
}

describe("GET /metrics", () => {
  test("parses as the Prometheus text format, every family named and typed by the conventions", async () => {
    const { register, call, scrape } = setup();
    const id = await register("billing");
    await call("PUT", `/v1/instances/${id}/heartbeat`);
    const parsed = await scrape();
    expect(conventionProblems(parsed)).toEqual([]);
    expect(Object.keys(parsed.metrics).sort()).toEqual([
      "srsr_deregistrations_total",
      "srsr_expiries_total",
      "srsr_heartbeats_total",
      "srsr_http_request_duration_seconds",
      "srsr_instances",
      "srsr_open_event_streams",
      "srsr_open_long_polls",
      "srsr_paused_seconds_total",
      "srsr_pauses_total",
      "srsr_process_cpu_seconds_total",
      "srsr_process_event_loop_lag_seconds",
      "srsr_process_heap_used_bytes",
      "srsr_process_open_fds",
      "srsr_process_resident_memory_bytes",
      "srsr_process_start_time_seconds",
      "srsr_registrations_total",
      "srsr_services",
      "srsr_store_errors_total",
      "srsr_store_operation_duration_seconds",
      "srsr_updates_total",
    ]);
  });

  test("counts registrations, heartbeats, updates, deregistrations and expiries as they happen", async () => {
    const { clock, registry, register, call, scrape } = setup();
    const counters = async () => {
      const parsed = await scrape();
      return {
        registrations: parsed.value("srsr_registrations_total"),
        renewed: parsed.value("srsr_heartbeats_total", { result: "renewed" }),
        unknown: parsed.value("srsr_heartbeats_total", { result: "unknown" }),
        updates: parsed.value("srsr_updates_total"),
        deregistrations: parsed.value("srsr_deregistrations_total"),
        expiries: parsed.value("srsr_expiries_total"),
        instances: parsed.value("srsr_instances"),
        services: parsed.value("srsr_services"),
      };
    };
    const zero = { registrations: 0, renewed: 0, unknown: 0, updates: 0, deregistrations: 0, expiries: 0, instances: 0, services: 0 };
    expect(await counters()).toEqual(zero);

    const id = await register("billing");
    expect(await counters()).toEqual({ ...zero, registrations: 1, instances: 1, services: 1 });
    const legacy = (await (await call("POST", "/register", { name: "search", address: "10.0.0.6:80" })).json()) as { id: string };
    expect(await counters()).toEqual({ ...zero, registrations: 2, instances: 2, services: 2 });

    await call("PUT", `/v1/instances/${id}/heartbeat`);
    await call("POST", "/heartbeat", { id: legacy.id });
    await call("POST", "/heartbeat", { id: crypto.randomUUID() });
    await call("PATCH", `/v1/instances/${id}`, { meta: { zone: "a" } });
    await call("PATCH", `/v1/instances/${id}`, { meta: { zone: "a" } }); // no change, no update
    await call("DELETE", `/v1/instances/${id}`);
    expect(await counters()).toEqual({ ...zero, registrations: 2, renewed: 2, unknown: 1, updates: 1, deregistrations: 1, instances: 1, services: 1 });

    clock.advance(31_000);
    expect(await registry.sweep()).toBe(1);
    expect(await counters()).toEqual({ ...zero, registrations: 2, renewed: 2, unknown: 1, updates: 1, deregistrations: 1, expiries: 1 });
  });

  test("labels requests by route template, method and status; an unknown path or method is one label value", async () => {
    const { register, call, scrape } = setup();
    const id = await register("billing");
    await call("GET", `/v1/instances/${id}`);
    await call("GET", `/v1/instances/${crypto.randomUUID()}`);
    await call("GET", "/v1/services/billing");
    await call("GET", `/no/such/${id}`);
    await call("GET", "/also/not/here");
    await call("GET", "/lookup");
    await call("PROPFIND", "/lookup");
    const parsed = await scrape();
    const requests = (labels: Record<string, string>) => parsed.count("srsr_http_request_duration_seconds", labels);
    expect(requests({ route: "/v1/services/:name/instances", method: "POST", status: "201" })).toBe(1);
    expect(requests({ route: "/v1/instances/:id", method: "GET", status: "200" })).toBe(1);
    expect(requests({ route: "/v1/instances/:id", method: "GET", status: "404" })).toBe(1);
    expect(requests({ route: "/v1/services/:name", method: "GET", status: "200" })).toBe(1);
    expect(requests({ route: "unmatched", method: "GET", status: "404" })).toBe(2);
    expect(requests({ route: "unmatched", method: "GET", status: "405" })).toBe(1);
    expect(requests({ route: "unmatched", method: "other", status: "405" })).toBe(1);
  });

  test("labels by route template behind token auth too, refused requests included", async () => {
    const metrics = new Metrics();
    const app = createApp({ registry: new Registry(metrics.measureStore(new MemoryStore())), metrics, auth: { tokens: ["s3cret"] } });
    const register = (headers: Record<string, string>) =>
      app.request("/v1/services/billing/instances", { method: "POST", headers, body: JSON.stringify({ address: "10.0.0.5:80" }) });
    expect((await register({})).status).toBe(401);
    expect((await register({ authorization: "Bearer s3cret" })).status).toBe(201);
    const scraped = await app.request("/metrics", { headers: { authorization: "Bearer s3cret" } });
    const parsed = await parseScrape(await scraped.text());
    const requests = (status: string) =>
      parsed.count("srsr_http_request_duration_seconds", { route: "/v1/services/:name/instances", method: "POST", status });
    expect([requests("401"), requests("201")]).toEqual([1, 1]);
  });

  test("no label holds a service name or an instance id", async () => {
    const { register, call, scrape, app } = setup();
    const id = await register("billing-name-in-no-label");
    await call("GET", `/v1/instances/${id}`);
    await call("POST", "/lookup", { name: "billing-name-in-no-label" });
    await call("GET", "/v1/services/billing-name-in-no-label?index=1&wait=1ms");
    const leave = new AbortController();
    const stream = readEventStream(await app.request("/v1/events?name=billing-name-in-no-label", { signal: leave.signal }), () => leave.abort());
    await stream.expectEvent("snapshot");
    await stream.close();
    const values = (await scrape()).labelValues();
    expect(values.length).toBeGreaterThan(0);
    expect(values.filter((value) => value.includes("billing-name-in-no-label") || value.includes(id))).toEqual([]);
  });

  test("counts the long-polls and event streams open, and their closing", async () => {
    const { register, app, watchers, scrape } = setup();
    await register("billing");
    const open = async () => {
      const parsed = await scrape();
      return { longPolls: parsed.value("srsr_open_long_polls"), streams: parsed.value("srsr_open_event_streams") };
    };
    const index = Number((await app.request("/v1/services/billing")).headers.get("x-srsr-index"));
    const leavePoll = new AbortController();
    const poll = Promise.resolve(app.request(`/v1/services/billing?index=${index}&wait=60s`, { signal: leavePoll.signal })).catch(() => undefined);
    const leaveStream = new AbortController();
    const stream = readEventStream(await app.request("/v1/events", { signal: leaveStream.signal }), () => leaveStream.abort());
    await stream.expectEvent("snapshot");
    await eventually(() => watchers.longPolls === 1, "the long-poll is held");
    expect(await open()).toEqual({ longPolls: 1, streams: 1 });

    leavePoll.abort();
    await poll;
    await stream.close();
    await eventually(() => watchers.longPolls === 0 && watchers.streams === 0, "both clients are gone");
    expect(await open()).toEqual({ longPolls: 0, streams: 0 });
  });

  test("reports the process: memory, heap, start time, event-loop lag and open descriptors", async () => {
    const parsed = await (setup().scrape());
    expect(parsed.value("srsr_process_resident_memory_bytes")).toBeGreaterThan(1024 * 1024);
    expect(parsed.value("srsr_process_heap_used_bytes")).toBeGreaterThan(0);
    expect(parsed.value("srsr_process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(parsed.value("srsr_process_event_loop_lag_seconds")).toBeGreaterThanOrEqual(0);
    const started = parsed.value("srsr_process_start_time_seconds")!;
    expect(started).toBeLessThanOrEqual(Date.now() / 1000);
    expect(started).toBeGreaterThan(Date.now() / 1000 - process.uptime() - 5);
    expect(parsed.value("srsr_process_open_fds")).toBeGreaterThan(2);
  });

  test("leaves the open descriptors out where they cannot be listed", async () => {
    const parsed = await parseScrape(await new Metrics({ fdDirectory: join(folder, "no-such-fd-directory") }).scrape());
    expect(parsed.metrics.srsr_process_open_fds).toBeUndefined();
    expect(parsed.value("srsr_process_resident_memory_bytes")).toBeGreaterThan(0);
  });
});

describe("store metrics", () => {
  test("time the operations that wait on the backend, by operation; reads answered from memory are not timed", async () => {
    const { register, call, scrape } = setup();
    const id = await register("billing");
    await call("POST", "/lookup", { name: "billing" });
    await call("POST", "/heartbeat", { id });
    await call("PATCH", `/v1/instances/${id}`, { meta: { zone: "a" } });
    const parsed = await scrape();
    const operations = (operation: string) => parsed.count("srsr_store_operation_duration_seconds", { operation });
    expect(["register", "update_meta", "deregister", "ready", "pick", "heartbeat"].map(operations)).toEqual([1, 1, 0, 0, undefined, undefined]);
  });

  test("count a store's own failures, not the refusals asked of it", async () => {
    const path = join(folder, "lost.db");
    const store = await openSqliteStore(path, { openSqlite });
    const { register, call, scrape, metrics } = setup({ store, maxInstancesPerName: 1 });
    const id = await register("billing");
    expect((await call("POST", "/v1/services/billing/instances", { address: "10.0.0.6:80" })).status).toBe(429);
    expect((await call("PATCH", `/v1/instances/${id}`, { meta: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, "v"])) })).status).toBe(400);
    const measured = metrics.measureStore(store);
    await expect(measured.register(newInstance({ id }))).rejects.toBeInstanceOf(DuplicateIdError);
    const errors = async (operation: string) => (await scrape()).value("srsr_store_errors_total", { operation });
    expect((await scrape()).count("srsr_store_operation_duration_seconds", { operation: "update_meta" })).toBe(1);
    expect([await errors("register"), await errors("update_meta")]).toEqual([0, 0]);

    rmSync(path);
    expect((await call("POST", "/v1/services/search/instances", { address: "10.0.0.7:80" })).status).toBe(503);
    expect((await call("GET", "/readyz")).status).toBe(503);
    expect([await errors("register"), await errors("ready"), await errors("update_meta")]).toEqual([1, 1, 0]);
    await store.close();
  });
});

describe("with metrics off", () => {
  test("GET /metrics is 404 and the probes still answer", async () => {
    const app = createApp({ registry: new Registry(new MemoryStore()) });
    expect((await app.request("/metrics")).status).toBe(404);
    expect((await app.request("/healthz")).status).toBe(200);
    expect((await app.request("/readyz")).status).toBe(200);
  });
});
