// /metrics and the probes from real servers: a scrape of srsr on Deno (prom-client must work
// there too), and `--metrics off` on Bun.

import { afterAll, describe, expect, test } from "bun:test";
import { conventionProblems, parseScrape } from "./support/prometheus.ts";
import { type RunningServer, srsrCommand, startServer } from "./support/server.ts";

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.stop();
});

async function start(runtime: "bun" | "deno", args: string[] = []): Promise<RunningServer> {
  const server = await startServer(srsrCommand(runtime), args);
  servers.push(server);
  return server;
}

describe("srsr on Deno", () => {
  test("serves a scrape that parses, with the counters moved by its requests", async () => {
    const server = await start("deno");
    const registered = await server.post("/register", { name: "billing", address: "10.0.0.5:80" });
    await server.post("/heartbeat", { id: registered.json.id });
    await server.post("/lookup", { name: "billing" });
    const response = await server.fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const parsed = await parseScrape(await response.text());
    expect(conventionProblems(parsed)).toEqual([]);
    expect(parsed.value("srsr_registrations_total")).toBe(1);
    expect(parsed.value("srsr_heartbeats_total", { result: "renewed" })).toBe(1);
    expect(parsed.value("srsr_instances")).toBe(1);
    expect(parsed.count("srsr_http_request_duration_seconds", { route: "/lookup", method: "POST", status: "200" })).toBe(2);
    expect(parsed.count("srsr_store_operation_duration_seconds", { operation: "register" })).toBe(1);
    expect(parsed.value("srsr_process_resident_memory_bytes")).toBeGreaterThan(1024 * 1024);
    expect(parsed.value("srsr_process_open_fds")).toBeGreaterThan(2);
    expect(await (await server.fetch(`${server.url}/readyz`)).json()).toEqual({ status: "ready" });
  });
});

describe("srsr --metrics off", () => {
  test("has no /metrics, and its probes answer", async () => {
    const server = await start("bun", ["--metrics", "off"]);
    const metrics = await server.fetch(`${server.url}/metrics`);
    expect(metrics.status).toBe(404);
    await metrics.arrayBuffer();
    expect(await (await server.fetch(`${server.url}/healthz`)).json()).toEqual({ status: "ok" });
    expect(await (await server.fetch(`${server.url}/readyz`)).json()).toEqual({ status: "ready" });
  });
});
