import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
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
