/**
 * The HTTP fuzz (issue 10) for a bounded number of cases: generated paths, queries, headers
 * and bodies against every route, legacy and v1, in-process. Never a throw, never a 5xx, JSON
 * wherever JSON is promised. `npm run fuzz -- --cases N` runs the same for longer.
 */
import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { checkRequest, fuzzApps, routesOf, runFuzz } from "./support/http_fuzz.ts";

describe("the HTTP fuzz", () => {
  test("covers every route the app serves, legacy and v1", async () => {
    const { apps } = await fuzzApps();
    const routes = routesOf(apps[0]).map(({ method, path }) => `${method} ${path}`);
    for (const route of ["POST /register", "POST /lookup", "POST /heartbeat", "POST /deregister", "POST /v1/services/:name/instances",
      "GET /v1/services/:name", "PATCH /v1/instances/:id", "DELETE /v1/instances/:id", "PUT /v1/instances/:id/heartbeat", "GET /v1/events"]) {
      expect(routes).toContain(route);
    }
  });

  test("its check fails on an answer that breaks the promise", async () => {
    // An app answering text where every error is promised as JSON, and one answering 500.
    const app = new Hono();
    app.get("/text", (c) => c.text("plain", 400));
    app.get("/fail", (c) => c.json({ error: "x: y" }, 500));
    const probe = (path: string) => checkRequest([app], { app: 0, method: "GET", path, headers: [], body: undefined });
    await expect(probe("/text")).rejects.toThrow("not JSON");
    await expect(probe("/fail")).rejects.toThrow("answered 500");
  });

  test("2,000 generated requests: no throw, no 5xx, JSON where promised", async () => {
    await runFuzz({ cases: 2_000 });
  }, 60_000);
});
