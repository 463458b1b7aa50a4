import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MIGRATIONS_FOLDER, MIGRATIONS_MODULE, renderPostgresMigrations } from "../stores/postgres/embed_migrations.ts";
import { postgresSuites } from "./postgres_suites.ts";
import { bunRunner } from "./support/bun_runner.ts";
import { ROOT } from "./support/server.ts";

// The same suites run on Deno from test/deno/postgres_store.deno.ts.
postgresSuites("bun", bunRunner);

describe("postgres store", () => {
  test("postgres.js carries the guard scripts/patch_postgres.mjs adds at install (run `npm install`)", () => {
    const source = readFileSync(join(ROOT, "node_modules", "postgres", "src", "connection.js"), "utf8");
    expect(source).toContain("srsr: scripts/patch_postgres.mjs");
  });

  test("migrations.ts embeds exactly the SQL drizzle-kit generated (run `npm run db:generate`)", () => {
    expect(readFileSync(MIGRATIONS_MODULE, "utf8")).toBe(renderPostgresMigrations(MIGRATIONS_FOLDER));
  });
});
