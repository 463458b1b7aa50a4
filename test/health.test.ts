// GET /healthz and GET /readyz in-process: ready on a working store, 503 saying why on a SQLite
// store whose file was deleted under it, and on a store that does not answer; neither logs at info.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../src/app.ts";
import { createLogger } from "../src/logger.ts";
import { Registry } from "../src/registry.ts";
import { healthRoutes } from "../src/routes/health.ts";
import { openSqlite } from "../src/runtime/bun/sqlite.ts";
import { MemoryStore } from "../stores/memory/store.ts";
import { openSqliteStore } from "../stores/sqlite/store.ts";
import type { Store } from "../stores/store.ts";

const folder = mkdtempSync(join(tmpdir(), "srsr-health-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** An app on `store` logging at info into `lines`. */
function setup(store: Store) {
  const lines: string[] = [];
  const logger = createLogger("info", (line) => lines.push(line));
  const app = createApp({ registry: new Registry(store, { logger }), logger });
  const get = async (path: string) => {
    const response = await app.request(path);
    return { status: response.status, type: response.headers.get("content-type"), cache: response.headers.get("cache-control"), json: await response.json() };
  };
  return { app, get, lines };
}

/** A SQLite store on a fresh file, and the file's path. */
async function sqliteStore() {
  const path = join(folder, `store-${crypto.randomUUID()}.db`);
  return { path, store: await openSqliteStore(path, { openSqlite }) };
}

describe("GET /healthz", () => {
  test("answers 200 {status: ok}, not to be cached", async () => {
    expect(await setup(new MemoryStore()).get("/healthz")).toEqual({
      status: 200,
      type: "application/json",
      cache: "no-store",
      json: { status: "ok" },
    });
  });

  test("answers 200 while the store is unavailable: the process still serves", async () => {
    const { path, store } = await sqliteStore();
    const { get } = setup(store);
    rmSync(path);
    expect((await get("/healthz")).json).toEqual({ status: "ok" });
    expect((await get("/readyz")).status).toBe(503);
    await store.close();
  });

  test("answers HEAD without a body", async () => {
    const response = await setup(new MemoryStore()).app.request("/healthz", { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
  });
});

describe("GET /readyz", () => {
  test("answers 200 {status: ready} on a memory store", async () => {
    expect(await setup(new MemoryStore()).get("/readyz")).toEqual({
      status: 200,
      type: "application/json",
      cache: "no-store",
      json: { status: "ready" },
    });
  });

  test("answers 200 on a working SQLite store, then 503 saying why once its file is deleted", async () => {
    const { path, store } = await sqliteStore();
    const { get } = setup(store);
    expect((await get("/readyz")).json).toEqual({ status: "ready" });
    rmSync(path);
    const answer = await get("/readyz");
    expect(answer).toMatchObject({ status: 503, type: "application/json", cache: "no-store" });
    expect(answer.json).toEqual({ status: "unavailable", store: expect.stringContaining("the database file was deleted") });
    expect(answer.json.store).toStartWith(`sqlite:${path}: `);
    await store.close();
  });

  test("answers 503 when the store does not answer in time", async () => {
    class SilentStore extends MemoryStore {
      override ready(): Promise<void> {
        return new Promise(() => {});
      }
    }
    const routes = healthRoutes(new Registry(new SilentStore()), { readyTimeoutMs: 20 });
    const response = await routes.request("/readyz");
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "unavailable", store: "no answer within 0.02 s" });
  });
});

describe("logging", () => {
  test("neither probe logs at info, ready or not", async () => {
    const { path, store } = await sqliteStore();
    const { get, lines } = setup(store);
    for (const probe of ["/healthz", "/readyz"]) expect((await get(probe)).status).toBe(200);
    rmSync(path);
    for (const probe of ["/healthz", "/readyz"]) await get(probe);
    expect(lines).toEqual([]);
    await store.close();
  });
});
