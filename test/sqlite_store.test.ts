import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { openSqlite } from "../src/runtime/bun/sqlite.ts";
import { MIGRATIONS_FOLDER, MIGRATIONS_MODULE, renderMigrationsModule } from "../stores/sqlite/embed_migrations.ts";
import { sqliteSuites } from "./sqlite_persistence.ts";
import { bunRunner } from "./support/bun_runner.ts";

// The same suites run on Deno's driver from test/deno/sqlite_store.test.ts.
sqliteSuites("bun:sqlite", openSqlite, bunRunner);

describe("sqlite migrations", () => {
  test("migrations.ts embeds exactly the SQL drizzle-kit generated (run `npm run db:generate`)", () => {
    expect(readFileSync(MIGRATIONS_MODULE, "utf8")).toBe(renderMigrationsModule(MIGRATIONS_FOLDER));
  });
});
