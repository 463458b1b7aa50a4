// A SQLite store whose disk stops answering (its worker blocked, as a write to a frozen file
// system blocks): lookups keep answering, a write is a 503 once writeTimeoutMs passes rather
// than a hang (and it stays unchanged, though it commits late), /readyz says so, and writes
// resume when the disk answers again.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../src/app.ts";
import { createLogger } from "../src/logger.ts";
import { Registry } from "../src/registry.ts";
import { openSqlite } from "../src/runtime/bun/sqlite.ts";
import type { SqliteConnection } from "../stores/sqlite/connection.ts";
import { openSqliteStore } from "../stores/sqlite/store.ts";
import { WorkerConnection } from "../stores/sqlite/worker_client.ts";
import { eventually } from "./support/eventually.ts";

const folder = mkdtempSync(join(tmpdir(), "srsr-stuck-disk-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const json = (body: unknown) => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("a SQLite store on a disk that stops answering", () => {
  test("lookups answer while a register waits; the register is a 503 after writeTimeoutMs; /readyz recovers", async () => {
    let connection: SqliteConnection | undefined;
    const lines: string[] = [];
    const logger = createLogger("error", (line) => lines.push(line));
    const storeLines: string[] = [];
    const store = await openSqliteStore(join(folder, "reg.db"), {
      logger: { error: (line) => storeLines.push(line), warn: (line) => storeLines.push(line) },
      openSqlite: async (path) => (connection = await openSqlite(path)),
      writeTimeoutMs: 1000, // generous, so ordinary commits on a busy machine stay well within it
    });
    const app = createApp({ registry: new Registry(store, { logger }), logger });
    try {
      const registered = await app.request("/register", json({ name: "billing", address: "http://10.0.0.1:8080" }));
      expect(registered.status).toBe(200);
      expect(connection).toBeInstanceOf(WorkerConnection);
      const release = (connection as WorkerConnection).hold();

      let settled = false;
      const stuck = Promise.resolve(app.request("/register", json({ name: "search", address: "http://10.0.0.2:8080" }))).finally(() => (settled = true));
      for (let i = 0; i < 20; i++) {
        const lookup = await app.request("/lookup", json({ name: "billing" }));
        expect(await lookup.json()).toEqual({ success: true, address: "http://10.0.0.1:8080" });
      }
      expect((await app.request("/v1/services/billing")).status).toBe(200);
      expect(settled).toBe(false); // every lookup above was answered while the register waited on the disk

      const refused = await stuck;
      expect(refused.status).toBe(503);
      expect(await refused.json()).toEqual({ error: "store: unavailable, nothing was changed; see the server log" });
      expect(lines.join("\n")).toContain("did not complete within 1000 ms");
      expect((await app.request("/readyz")).status).toBe(503);
      expect((await app.request("/register", json({ name: "other", address: "http://10.0.0.3:8080" }))).status).toBe(503);

      release();
      await eventually(async () => (await app.request("/readyz")).status === 200, "/readyz answers 200 again");
      // The late register committed after all, and was taken back out: the 503 said nothing changed.
      expect(storeLines.join("\n")).toContain("the late write committed and was taken back out");
      expect(await (await app.request("/lookup", json({ name: "search" }))).json()).toEqual({ success: false, address: "" });
      expect((await app.request("/register", json({ name: "other", address: "http://10.0.0.3:8080" }))).status).toBe(200);
    } finally {
      await store.close();
    }
  });
});
