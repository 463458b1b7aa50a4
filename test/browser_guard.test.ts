/**
 * Browsers cannot write to srsr (issue 10, item 8): a request whose `Origin` is not srsr's own
 * is a 403 unless `--cors-origin` lists it, and bound to loopback srsr answers only loopback
 * `Host` names (DNS rebinding). In-process, with full URLs standing for the `Host` a client
 * sent; the same over real HTTP on each runtime is in test/hardening_e2e.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { createApp } from "../src/app.ts";
import { isLoopbackName } from "../src/middleware/browser_guard.ts";
import { Metrics } from "../src/metrics/metrics.ts";
import { Registry } from "../src/registry.ts";
import { MemoryStore } from "../stores/memory/store.ts";

const SRSR = "http://127.0.0.1:4214";

function setup({ corsOrigins = [] as string[], loopbackOnly = true, metrics = undefined as Metrics | undefined } = {}) {
  const registry = new Registry(new MemoryStore({ now: () => 1_000_000 }));
  const app = createApp({ registry, corsOrigins, loopbackOnly, metrics, clientIp: () => "10.1.2.3" });
  const call = async (url: string, init: RequestInit = {}) => {
    const response = await app.request(url, init);
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text === "" ? undefined : JSON.parse(text) };
  };
  const registered = async () => (await registry.services()).services.length;
  return { app, call, registered };
}

const register = (headers: Record<string, string> = {}) => ({
  method: "POST",
  headers,
  body: JSON.stringify({ name: "billing", address: "10.0.0.5:80" }),
});

describe("a request from a web page of another origin", () => {
  test("a text/plain form post is refused with a 403 naming origin, and registers nothing", async () => {
    const { call, registered } = setup();
    const answer = await call(`${SRSR}/register`, register({ origin: "https://evil.example", "content-type": "text/plain" }));
    expect(answer.status).toBe(403);
    expect(answer.json).toEqual({
      error: "origin: https://evil.example may not call srsr: only pages srsr serves itself may, and those --cors-origin lists",
    });
    expect(await registered()).toBe(0);
  });

  test.each([
    ["POST", "/register"],
    ["POST", "/lookup"],
    ["POST", "/heartbeat"],
    ["POST", "/deregister"],
    ["POST", "/v1/services/billing/instances"],
    ["GET", "/v1/services"],
    ["GET", "/v1/services/billing"],
    ["PUT", "/v1/instances/x/heartbeat"],
    ["PATCH", "/v1/instances/x"],
    ["DELETE", "/v1/instances/x"],
    ["GET", "/v1/events"],
    ["GET", "/metrics"],
    ["OPTIONS", "/register"],
  ])("%s %s with a foreign Origin -> 403", async (method, path) => {
    const { call } = setup();
    expect((await call(`${SRSR}${path}`, { method, headers: { origin: "http://evil.example:4214" } })).status).toBe(403);
  });

  test.each(["null", "http://127.0.0.1:4215", "https://localhost:4214", "http://localhost:4214", "127.0.0.1:4214", ""])(
    "Origin %j is not srsr's own at http://127.0.0.1:4214",
    async (origin) => {
      expect((await setup().call(`${SRSR}/lookup`, { method: "POST", headers: { origin }, body: '{"name":"a"}' })).status).toBe(403);
    },
  );

  test.each([
    ["http://127.0.0.1:4214", `${SRSR}/register`],
    ["https://127.0.0.1:4214", `${SRSR}/register`], // behind a TLS proxy that keeps Host
    ["http://LOCALHOST:4214", "http://localhost:4214/register"],
    ["http://[::1]:4214", "http://[::1]:4214/register"],
    ["http://srsr.internal", "http://srsr.internal/register"],
  ])("srsr's own origin %s passes at %s", async (origin, url) => {
    const { call, registered } = setup({ loopbackOnly: false });
    expect((await call(url, register({ origin }))).status).toBe(200);
    expect(await registered()).toBe(1);
  });

  test("no Origin (curl, the clients, Prometheus) passes, whatever the content type", async () => {
    const { call, registered } = setup();
    expect((await call(`${SRSR}/register`, register({ "content-type": "text/plain" }))).status).toBe(200);
    expect(await registered()).toBe(1);
  });

  test("a refusal is counted in the request metrics, as unmatched", async () => {
    const metrics = new Metrics();
    const { call } = setup({ metrics });
    await call(`${SRSR}/lookup`, { method: "POST", headers: { origin: "https://evil.example" }, body: "{}" });
    expect(await metrics.scrape()).toMatch(/srsr_http_request_duration_seconds_count\{route="unmatched",method="POST",status="403"\} 1/);
  });
});

describe("--cors-origin", () => {
  const DASH = "https://dash.example";

  test("a listed origin's request is answered, with CORS headers", async () => {
    const { call, registered } = setup({ corsOrigins: [DASH] });
    const answer = await call(`${SRSR}/register`, register({ origin: DASH, "content-type": "application/json" }));
    expect(answer.status).toBe(200);
    expect(answer.headers.get("access-control-allow-origin")).toBe(DASH);
    expect(answer.headers.get("access-control-expose-headers")).toBe("Location, X-Srsr-Index");
    expect(answer.headers.get("vary")).toBe("Origin");
    expect(await registered()).toBe(1);
  });

  test("its preflight gets a 204 allowing srsr's methods and headers; an unlisted origin's a 403", async () => {
    const { call } = setup({ corsOrigins: [DASH] });
    const preflight = (origin: string) =>
      call(`${SRSR}/v1/instances/x`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "PATCH", "access-control-request-headers": "content-type" },
      });
    const allowed = await preflight(DASH);
    expect(allowed.status).toBe(204);
    expect(Object.fromEntries([...allowed.headers].filter(([name]) => name.startsWith("access-control-")))).toEqual({
      "access-control-allow-origin": DASH,
      "access-control-allow-methods": "GET, HEAD, POST, PUT, PATCH, DELETE",
      "access-control-allow-headers": "Authorization, Content-Type, Last-Event-ID",
      "access-control-max-age": "600",
    });
    expect((await preflight("https://other.example")).status).toBe(403);
  });

  test("an error answer to a listed origin is readable too", async () => {
    const answer = await setup({ corsOrigins: [DASH] }).call(`${SRSR}/lookup`, { method: "POST", headers: { origin: DASH }, body: "{}" });
    expect(answer.status).toBe(400);
    expect(answer.headers.get("access-control-allow-origin")).toBe(DASH);
  });

  test("another origin is still refused", async () => {
    const { call } = setup({ corsOrigins: [DASH] });
    expect((await call(`${SRSR}/register`, register({ origin: "https://dash.example.evil" }))).status).toBe(403);
  });
});

describe("bound to loopback, a Host that is not a loopback name (DNS rebinding)", () => {
  test("is refused with a 403 naming host, even with a matching Origin, reads too", async () => {
    const { call, registered } = setup();
    const rebound = "http://attacker.example:4214";
    const answer = await call(`${rebound}/register`, register({ origin: rebound }));
    expect(answer.status).toBe(403);
    expect(answer.json.error).toStartWith("host: attacker.example:4214 is not a loopback name;");
    expect((await call(`${rebound}/v1/services`)).status).toBe(403);
    expect(await registered()).toBe(0);
  });

  test.each([
    "http://127.0.0.1:4214",
    "http://127.0.0.1",
    "http://127.1.2.3:4214",
    "http://localhost:4214",
    "http://LocalHost:4214",
    "http://localhost.:4214",
    "http://app.localhost:4214",
    "http://[::1]:4214",
    "http://[::ffff:127.0.0.1]:4214",
  ])("%s is a loopback name and passes", async (base) => {
    expect((await setup().call(`${base}/lookup`, { method: "POST", body: '{"name":"a"}' })).status).toBe(200);
  });

  test.each([
    "http://attacker.example:4214",
    "http://127.0.0.1.attacker.example:4214",
    "http://localhost.attacker.example",
    "http://10.0.0.1:4214",
    "http://[::2]:4214",
    "http://0.0.0.0:4214",
  ])("%s is refused", async (base) => {
    expect((await setup().call(`${base}/lookup`, { method: "POST", body: '{"name":"a"}' })).status).toBe(403);
  });

  test("a host that passed once is not let through for another: each is checked", async () => {
    const { call } = setup();
    expect((await call(`${SRSR}/lookup`, { method: "POST", body: '{"name":"a"}' })).status).toBe(200);
    expect((await call("http://127.0.0.1:42140/lookup", { method: "POST", body: '{"name":"a"}' })).status).toBe(200);
    expect((await call("http://127.0.0.1.attacker.example:4214/lookup", { method: "POST", body: '{"name":"a"}' })).status).toBe(403);
    expect((await call(`${SRSR}/lookup`, { method: "POST", body: '{"name":"a"}' })).status).toBe(200);
  });

  test("bound elsewhere, srsr answers every Host: it cannot know its names", async () => {
    const { call } = setup({ loopbackOnly: false });
    expect((await call("http://registry.internal:4214/lookup", { method: "POST", body: '{"name":"a"}' })).status).toBe(200);
  });
});

describe("isLoopbackName()", () => {
  test.each([
    ["127.0.0.1", true],
    ["127.255.0.9", true],
    ["localhost", true],
    ["::1", true],
    ["[::1]", true],
    ["0:0:0:0:0:0:0:1", true],
    ["::ffff:127.0.0.1", true],
    ["0.0.0.0", false],
    ["::", false],
    ["10.0.0.1", false],
    ["srsr.internal", false],
    ["localhost.example", false],
  ])("%s -> %p", (host, expected) => {
    expect(isLoopbackName(host)).toBe(expected);
  });
});
