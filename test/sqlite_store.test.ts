import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MIGRATIONS_FOLDER, MIGRATIONS_MODULE, renderMigrationsModule } from "../stores/sqlite/embed_migrations.ts";
import { openSqliteStore } from "../stores/sqlite/store.ts";
import { storeConformance } from "./store_conformance.ts";

const folder = mkdtempSync(join(tmpdir(), "srsr-sqlite-store-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let files = 0;

storeConformance("sqlite (file)", () => openSqliteStore(join(folder, `conformance-${++files}.db`)));
storeConformance("sqlite (:memory:)", () => openSqliteStore(":memory:"));

describe("sqlite migrations", () => {
  test("migrations.ts embeds exactly the SQL drizzle-kit generated (run `bun run db:generate`)", () => {
    expect(readFileSync(MIGRATIONS_MODULE, "utf8")).toBe(renderMigrationsModule(MIGRATIONS_FOLDER));
  });
});

describe("sqlite store across reopenings (injected clock)", () => {
  const record = (id: string, expiresAt: number) => ({
    id,
    name: "billing",
    address: "http://10.0.0.1:8080",
    registeredAt: 0,
    expiresAt,
  });
  const path = () => join(folder, `reopen-${++files}.db`);

  test("restored instances keep their ids and get one timeout of grace from the reopening", async () => {
    const file = path();
    const first = await openSqliteStore(file, { timeout: 30, now: () => 0 });
    await first.add(record("early", 10_000));
    await first.add({ ...record("late", 500_000), metadata: { zone: "a" } });
    await first.close();
    const second = await openSqliteStore(file, { timeout: 30, now: () => 100_000 });
    try {
      expect((await second.get("early"))?.expiresAt).toBe(130_000);
      expect(await second.get("late")).toEqual({ ...record("late", 500_000), metadata: { zone: "a" } });
      expect((await second.renew("early", 160_000, 120_000))?.expiresAt).toBe(160_000);
      expect((await second.takeExpired(130_000, 10)).map((found) => found.id)).toEqual([]);
      expect((await second.takeExpired(500_000, 10)).map((found) => found.id)).toEqual(["early", "late"]);
    } finally {
      await second.close();
    }
    const third = await openSqliteStore(file, { timeout: 30, now: () => 600_000 });
    try {
      expect(third.size).toBe(0);
    } finally {
      await third.close();
    }
  });

  test("renewals and removals are on disk after close", async () => {
    const file = path();
    const first = await openSqliteStore(file, { timeout: 1, now: () => 0 });
    for (const id of ["a", "b", "c"]) await first.add(record(id, 10_000));
    await first.renew("a", 90_000, 5_000);
    await first.remove("b");
    await first.close();
    const second = await openSqliteStore(file, { timeout: 1, now: () => 6_000 });
    try {
      expect((await second.get("a"))?.expiresAt).toBe(90_000);
      expect(await second.get("b")).toBeUndefined();
      expect((await second.get("c"))?.expiresAt).toBe(10_000);
    } finally {
      await second.close();
    }
  });

  test("a second store on the same file is refused while the first is open", async () => {
    const file = path();
    const first = await openSqliteStore(file);
    try {
      await expect(openSqliteStore(file)).rejects.toThrow(`cannot open sqlite:${file}: another srsr process holds it`);
      await first.add(record("still-mine", 10_000));
      expect(await first.get("still-mine")).toBeDefined();
    } finally {
      await first.close();
    }
    const again = await openSqliteStore(file);
    expect(await again.get("still-mine")).toBeDefined();
    await again.close();
  });

  test("an empty existing file is taken as a new database", async () => {
    const file = path();
    writeFileSync(file, "");
    const store = await openSqliteStore(file);
    await store.add(record("x", 10_000));
    await store.close();
    expect(readFileSync(file).subarray(0, 15).toString()).toBe("SQLite format 3");
  });
});
