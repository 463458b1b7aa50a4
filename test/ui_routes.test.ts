/**
 * The dashboard's routes in-process (issue 15): the redirect, the pages with their security
 * headers, the embedded assets' content types and caching, and that no token is needed for
 * them while the API behind them still asks for one. Also `GET /v1/status`, which the page
 * reads its facts from. The page itself, in a browser, is in ui_browser.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { gunzipSync } from "node:zlib";
import { createApp } from "../src/app.ts";
import { CONTENT_SECURITY_POLICY, SCRIPT_PATH, STYLESHEET_PATH } from "../src/routes/ui.ts";
import { Registry } from "../src/registry.ts";
import { SCRIPT, STYLESHEET } from "../src/ui/assets.ts";
import { VERSION } from "../src/version.ts";
import { statusResponse } from "../src/wire/status.ts";
import { MemoryStore } from "../stores/memory/store.ts";

const SRSR = "http://127.0.0.1:4214";

function setup({ tokens }: { tokens?: string[] } = {}) {
  let now = 1_000_000;
  const registry = new Registry(new MemoryStore({ now: () => now }), { defaultTtl: 20 });
  const app = createApp({ registry, auth: tokens && { tokens }, loopbackOnly: true });
  return { app, registry, advance: (ms: number) => (now += ms) };
}

describe("GET / and GET /ui", () => {
  test("/ redirects to /ui", async () => {
    const response = await setup().app.request(`${SRSR}/`);
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/ui");
  });

  test("/ui is the Services page: HTML linking the hashed script and stylesheet, revalidated on every visit", async () => {
    const response = await setup().app.request(`${SRSR}/ui`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    const page = await response.text();
    expect(page).toStartWith("<!doctype html>");
    expect(page).toContain(`<script type="module" src="${SCRIPT_PATH}"></script>`);
    expect(page).toContain(`<link rel="stylesheet" href="${STYLESHEET_PATH}">`);
    expect(page).toContain('data-view="services"');
    expect(page).toContain("<h1 id=\"list-title\">Services</h1>");
  });

  test("the page's policy allows only its own scripts, styles and connections, and no framing", async () => {
    const response = await setup().app.request(`${SRSR}/ui`);
    const policy = response.headers.get("content-security-policy");
    expect(policy).toBe(CONTENT_SECURITY_POLICY);
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("connect-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain("unsafe-inline");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    // No inline script anywhere: the one <script> has a src.
    expect((await response.text()).match(/<script[^>]*>/g)).toEqual([`<script type="module" src="${SCRIPT_PATH}">`]);
  });

  test("/ui/services/NAME is the Service page for NAME, escaped", async () => {
    const page = await (await setup().app.request(`${SRSR}/ui/services/a%3Cb%3E`)).text();
    expect(page).toContain('data-view="service" data-name="a&lt;b&gt;"');
    expect(page).toContain("<h1 id=\"list-title\" tabindex=\"-1\">a&lt;b&gt;</h1>");
    expect(page).not.toContain("<b>");
  });

  test("/ui/services/NAME with a name srsr refuses is a 400 naming the field", async () => {
    const response = await setup().app.request(`${SRSR}/ui/services/a%20b`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.stringMatching(/^name: /) });
  });
});

describe("GET /ui/assets/FILE", () => {
  test.each([
    ["the script", SCRIPT_PATH, "text/javascript; charset=utf-8", SCRIPT],
    ["the stylesheet", STYLESHEET_PATH, "text/css; charset=utf-8", STYLESHEET],
  ])("%s is served with its content type, cached for good", async (_, path, type, body) => {
    const response = await setup().app.request(SRSR + path);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(type);
    expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(response.headers.get("content-encoding")).toBeNull();
    expect(await response.text()).toBe(body);
  });

  test("gzip when the browser accepts it", async () => {
    const response = await setup().app.request(SRSR + SCRIPT_PATH, { headers: { "accept-encoding": "gzip, deflate, br" } });
    expect(response.headers.get("content-encoding")).toBe("gzip");
    expect(response.headers.get("vary")).toBe("Accept-Encoding");
    expect(gunzipSync(new Uint8Array(await response.arrayBuffer())).toString("utf8")).toBe(SCRIPT);
  });

  test("an asset of an older build (another hash) is a 404 with an error body", async () => {
    const response = await setup().app.request(`${SRSR}/ui/assets/app-000000000000.js`);
    expect(response.status).toBe(404);
    expect((await response.json()).error).toStartWith("not found: /ui/assets/app-000000000000.js");
  });
});

describe("with token auth on", () => {
  const TOKEN = "s3cret-token";

  test.each(["/", "/ui", "/ui/services/billing", "/ui/assets/app-HASH.js", "/ui/assets/app-HASH.css"])("%s needs no token", async (shown) => {
    const path = shown.replace(/^.*\.js$/, SCRIPT_PATH).replace(/^.*\.css$/, STYLESHEET_PATH);
    const response = await setup({ tokens: [TOKEN] }).app.request(SRSR + path);
    expect(response.status).toBeLessThan(400);
  });

  test("what the page reads still needs one", async () => {
    const { app } = setup({ tokens: [TOKEN] });
    expect((await app.request(`${SRSR}/v1/status`)).status).toBe(401);
    expect((await app.request(`${SRSR}/v1/events`)).status).toBe(401);
    const allowed = await app.request(`${SRSR}/v1/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(allowed.status).toBe(200);
  });
});

describe("GET /v1/status", () => {
  test("the server's facts and the catalog's totals, in their wire schema", async () => {
    const { app, registry, advance } = setup();
    await registry.register({ name: "billing", address: "10.0.0.1:80" });
    await registry.register({ name: "billing", address: "10.0.0.2:80" });
    await registry.register({ name: "search", address: "10.0.0.3:80" });
    advance(1);
    const response = await app.request(`${SRSR}/v1/status`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const status = statusResponse.parse(await response.json());
    expect(status).toMatchObject({ version: VERSION, store: "memory", timeout: 20, services: 2, instances: 3 });
    expect(status.uptime).toBeGreaterThanOrEqual(0);
    expect(Date.parse(status.startedAt)).toBeLessThanOrEqual(Date.now());
  });
});
