/**
 * Token auth in-process: which requests need a bearer token (routeAccess), and what the app
 * answers with and without one. Loading tokens is in auth_tokens.test.ts; a spawned server
 * with a token file in auth_e2e.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { MemoryStore } from "../stores/memory/store.ts";
import { createApp } from "../src/app.ts";
import { type Access, routeAccess, tokenAuth } from "../src/middleware/auth.ts";
import { Registry } from "../src/registry.ts";

const TOKENS = ["t0k3n-alpha", "t0k3n-beta+/=="];
const ID = "0b7e6f0e-3a4e-4c43-9d1c-2f0f7c1a9b61";

/**
 * Every route srsr serves, with its access. A route missing here fails the first test: add it
 * with the access it should have (and, when it is open or a read by POST, to src/middleware/auth.ts).
 * /healthz, /readyz and /metrics are listed before they exist, so they are checked as they land.
 */
const ACCESS: Readonly<Record<string, Access>> = {
  "POST /register": "write",
  "POST /heartbeat": "write",
  "POST /deregister": "write",
  "POST /lookup": "read",
  "POST /v1/services/:name/instances": "write",
  "PUT /v1/instances/:id/heartbeat": "write",
  "PATCH /v1/instances/:id": "write",
  "DELETE /v1/instances/:id": "write",
  "GET /v1/services": "read",
  "GET /v1/services/:name": "read",
  "GET /v1/services/:name/pick": "read",
  "GET /v1/instances/:id": "read",
  "GET /v1/events": "read",
  "GET /v1/openapi.json": "read",
  "GET /metrics": "read",
  "GET /healthz": "open",
  "GET /readyz": "open",
  "GET /v1/status": "read",
  "GET /": "open",
  "GET /ui": "open",
  "GET /ui/services/:name": "open",
  "GET /ui/assets/:file": "open",
};

function setup({ openReads = false } = {}) {
  const registry = new Registry(new MemoryStore(), { defaultTtl: 30 });
  const app = createApp({ registry, auth: { tokens: TOKENS, openReads } });
  const call = async (method: string, path: string, { token, authorization, body }: { token?: string; authorization?: string; body?: unknown } = {}) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (authorization !== undefined) headers.authorization = authorization;
    const hasBody = method !== "GET" && method !== "HEAD";
    const response = await app.request(path, { method, headers, body: hasBody ? JSON.stringify(body ?? {}) : undefined });
    return response;
  };
  return { app, registry, call };
}

/** The app's routes as `METHOD /path` (middleware, `ALL`, left out). */
const routesOf = (app: ReturnType<typeof createApp>) =>
  [...new Set(app.routes.filter((route) => route.method !== "ALL").map((route) => `${route.method} ${route.path}`))];

/** A path to request for a route template. */
const concrete = (path: string) => path.replace(":name", "billing").replace(":id", ID);

/** Asserts a 401 with the challenge and a JSON error naming authorization. */
async function expectUnauthorized(response: Response, what: string) {
  const body = await response.text();
  expect({ what, status: response.status }).toEqual({ what, status: 401 });
  expect(response.headers.get("www-authenticate")).toStartWith("Bearer ");
  expect(response.headers.get("content-type")).toStartWith("application/json");
  expect((JSON.parse(body) as { error: string }).error).toStartWith("authorization: ");
}

describe("routeAccess()", () => {
  test("every route of the app is listed with the access routeAccess() gives it", () => {
    const { app } = setup();
    const classified = routesOf(app).map((route) => {
      const [method, path] = route.split(" ");
      return { route, listed: ACCESS[route] ?? "not listed in test/auth.test.ts", classified: routeAccess(method!, path!) };
    });
    expect(classified.filter(({ listed, classified }) => listed !== classified)).toEqual([]);
  });

  test.each([
    ["GET", "/healthz", "open"],
    ["HEAD", "/healthz", "open"],
    ["GET", "/readyz", "open"],
    ["POST", "/healthz", "write"],
    ["GET", "/metrics", "read"],
    ["HEAD", "/v1/services", "read"],
    ["POST", "/lookup", "read"],
    ["GET", "/lookup", "read"],
    ["POST", "/v1/lookup", "write"],
    ["POST", "/v2/anything", "write"],
    ["OPTIONS", "/v1/services", "write"],
    ["GET", "/healthz/", "read"],
  ] as const)("%s %s is %s", (method, path, access) => {
    expect(routeAccess(method, path)).toBe(access);
  });
});

describe("with tokens", () => {
  test("every route that is not open answers 401 without a token, with a wrong one, and with one differing in its last byte", async () => {
    const { app, registry, call } = setup();
    const guarded = routesOf(app).filter((route) => ACCESS[route] !== "open");
    expect(guarded.length).toBeGreaterThanOrEqual(14);
    const lastByteOff = TOKENS[0]!.slice(0, -1) + String.fromCharCode(TOKENS[0]!.charCodeAt(TOKENS[0]!.length - 1) + 1);
    for (const route of guarded) {
      const [method, template] = route.split(" ") as [string, string];
      const path = concrete(template);
      const body = { name: "billing", address: "10.0.0.5:80", id: ID, meta: {} };
      await expectUnauthorized(await call(method, path, { body }), `${route} without a token`);
      await expectUnauthorized(await call(method, path, { body, token: "wrong-token" }), `${route} with a wrong token`);
      await expectUnauthorized(await call(method, path, { body, token: lastByteOff }), `${route} with ${lastByteOff}`);
    }
    expect((await registry.services()).services).toEqual([]);
  });

  test("a missing token is told apart from a wrong one, in the body and the challenge", async () => {
    const { call } = setup();
    const missing = await call("POST", "/register", { body: { name: "a", address: "10.0.0.5:80" } });
    expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="srsr"');
    expect(await missing.json()).toEqual({ error: 'authorization: missing: send the header "Authorization: Bearer <token>"' });
    const wrong = await call("POST", "/register", { token: "nope", body: { name: "a", address: "10.0.0.5:80" } });
    expect(wrong.headers.get("www-authenticate")).toBe('Bearer realm="srsr", error="invalid_token"');
    expect(await wrong.json()).toEqual({ error: "authorization: the bearer token is not one this server accepts" });
  });

  test.each([
    ["a Basic credential", "Basic dXNlcjpwYXNz"],
    ["the scheme alone", "Bearer"],
    ["the scheme and a space", "Bearer "],
    ["another scheme name", "Token t0k3n-alpha"],
    ["no scheme", "t0k3n-alpha"],
    ["a token with a space in it", "Bearer t0k3n alpha"],
    ["a token with a comma after it", "Bearer t0k3n-alpha,"],
    ["a token with = inside", "Bearer t0k3n=alpha"],
    ["a token and a prefix of it", "Bearer t0k3n-alph"],
    ["a token with a byte more", "Bearer t0k3n-alphaa"],
    ["two tokens", "Bearer t0k3n-alpha t0k3n-beta+/=="],
  ])("a malformed or wrong Authorization header (%s) is a 401, never a 400", async (_, authorization) => {
    const { call } = setup();
    await expectUnauthorized(await call("POST", "/register", { authorization, body: { name: "a", address: "10.0.0.5:80" } }), authorization);
  });

  test("unknown paths answer 401 without a token, so they reveal nothing", async () => {
    const { call } = setup();
    await expectUnauthorized(await call("POST", "/v2/register"), "POST /v2/register");
    await expectUnauthorized(await call("GET", "/nothing"), "GET /nothing");
    expect((await call("GET", "/nothing", { token: TOKENS[0] })).status).toBe(404);
    expect((await call("POST", "/v1/services", { token: TOKENS[0] })).status).toBe(405);
  });

  for (const token of TOKENS) {
    test(`every route works with the listed token ${token}`, async () => {
      const { call } = setup();
      const as = (method: string, path: string, body?: unknown) => call(method, path, { token, body });

      const legacy = await (await as("POST", "/register", { name: "billing", address: "10.0.0.5:80" })).json();
      expect(legacy.success).toBe(true);
      expect(await (await as("POST", "/lookup", { name: "billing" })).json()).toEqual({ success: true, address: "10.0.0.5:80" });
      expect(await (await as("POST", "/heartbeat", { id: legacy.id })).json()).toEqual({ success: true });
      expect(await (await as("POST", "/deregister", { id: legacy.id })).json()).toEqual({ success: true });

      const registered = await as("POST", "/v1/services/billing/instances", { address: "10.0.0.6:80" });
      expect(registered.status).toBe(201);
      const { id } = await registered.json();
      for (const path of ["/v1/services", "/v1/services/billing", "/v1/services/billing/pick", `/v1/instances/${id}`, "/v1/openapi.json"]) {
        expect({ path, status: (await as("GET", path)).status }).toEqual({ path, status: 200 });
      }
      expect((await as("PUT", `/v1/instances/${id}/heartbeat`)).status).toBe(200);
      expect((await as("PATCH", `/v1/instances/${id}`, { meta: { zone: "a" } })).status).toBe(200);
      expect((await as("DELETE", `/v1/instances/${id}`)).status).toBe(204);

      const events = await as("GET", "/v1/events");
      expect(events.status).toBe(200);
      expect(events.headers.get("content-type")).toStartWith("text/event-stream");
      await events.body?.cancel();
    });
  }

  test("reads need a token too", async () => {
    const { call } = setup();
    await expectUnauthorized(await call("POST", "/lookup", { body: { name: "billing" } }), "POST /lookup");
    await expectUnauthorized(await call("GET", "/v1/services"), "GET /v1/services");
    const head = await call("HEAD", "/v1/services");
    expect(head.status).toBe(401);
    expect(head.headers.get("www-authenticate")).toBe('Bearer realm="srsr"');
    await expectUnauthorized(await call("GET", "/v1/events"), "GET /v1/events");
    await expectUnauthorized(await call("GET", "/v1/openapi.json"), "GET /v1/openapi.json");
    await expectUnauthorized(await call("GET", "/metrics"), "GET /metrics");
  });

  test("/healthz and /readyz answer without a token", async () => {
    const { app, call } = setup();
    const routes = new Set(routesOf(app));
    for (const path of ["/healthz", "/readyz"]) {
      const response = await call("GET", path);
      // Until the health routes land, an open path falls through to a 404, never a 401.
      expect({ path, status: response.status }).toEqual({ path, status: routes.has(`GET ${path}`) ? 200 : 404 });
    }
  });
});

describe("with tokens and --open-reads", () => {
  test("reads answer without a token", async () => {
    const { app, call } = setup({ openReads: true });
    await call("POST", "/register", { token: TOKENS[0], body: { name: "billing", address: "10.0.0.5:80" } });
    expect(await (await call("POST", "/lookup", { body: { name: "billing" } })).json()).toEqual({ success: true, address: "10.0.0.5:80" });
    for (const path of ["/v1/services", "/v1/services/billing", "/v1/services/billing/pick", "/v1/openapi.json"]) {
      expect({ path, status: (await call("GET", path)).status }).toEqual({ path, status: 200 });
    }
    if (routesOf(app).includes("GET /metrics")) expect((await call("GET", "/metrics")).status).toBe(200);
    const events = await call("GET", "/v1/events");
    expect(events.status).toBe(200);
    await events.body?.cancel();
  });

  test("writes still answer 401 without a token", async () => {
    const { app, call } = setup({ openReads: true });
    const writes = routesOf(app).filter((route) => ACCESS[route] === "write");
    expect(writes).toHaveLength(7);
    for (const route of writes) {
      const [method, template] = route.split(" ") as [string, string];
      await expectUnauthorized(await call(method, concrete(template), { body: { name: "billing", id: ID } }), route);
    }
  });
});

describe("without tokens", () => {
  test("createApp() adds no middleware: the same routes, and one middleware fewer than with tokens", () => {
    const registry = new Registry(new MemoryStore(), { defaultTtl: 30 });
    const open = createApp({ registry });
    const guarded = createApp({ registry, auth: { tokens: TOKENS } });
    const middleware = (app: ReturnType<typeof createApp>) => app.routes.filter((route) => route.method === "ALL").length;
    expect(routesOf(open)).toEqual(routesOf(guarded));
    expect(middleware(guarded) - middleware(open)).toBe(1);
  });

  test("every route answers without a token", async () => {
    const registry = new Registry(new MemoryStore(), { defaultTtl: 30 });
    const app = createApp({ registry });
    const response = await app.request("/register", { method: "POST", body: '{"name":"billing","address":"10.0.0.5:80"}' });
    expect(response.status).toBe(200);
  });

  test("tokenAuth() refuses an empty list of tokens rather than locking every request out", () => {
    expect(() => tokenAuth({ tokens: [] })).toThrow("needs at least one token");
  });
});
