/**
 * The PostgreSQL store's suites, for every runtime: `postgresSuites` runs under `bun test`
 * (test/postgres_store.test.ts) and `deno test` (test/deno/postgres_store.deno.ts), against the
 * server named by `SRSR_TEST_POSTGRES` (a URL whose user may create databases). Without it
 * each suite registers one skipped test saying so, and `npm test` prints a "not run" line.
 *
 * Time: the conformance cases move a manual clock by hand, and this store takes its time from
 * the database. So the store is opened with `now` (PostgresStoreOptions): every statement that
 * reads the time is given the manual clock's reading instead of clock_timestamp(), which moves
 * the database's clock for the store and leaves every decision (stamps, liveness, the reaper)
 * in SQL as in production. The database's own clock is exercised by the two-node tests, with
 * real short TTLs (test/postgres_nodes.test.ts).
 *
 * @module
 */

import assert from "node:assert/strict";
import process from "node:process";
import postgres from "postgres";
import { openPostgresStore, type PostgresStore } from "../stores/postgres/store.ts";
import { MIGRATIONS } from "../stores/postgres/migrations.ts";
import { manualClock, newInstance, type Runner, storeConformance } from "./store_conformance.ts";

/** The URL of a PostgreSQL server the tests may create databases on, or `undefined`. */
export const TEST_POSTGRES = process.env.SRSR_TEST_POSTGRES || undefined;

export const NOT_RUN = "SRSR_TEST_POSTGRES is not set (npm test -- --postgres starts a throwaway server)";

/** `base` with its database replaced by `database`. */
export function withDatabase(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Drops and creates `database` on the test server; returns its URL. */
export async function freshDatabase(database: string): Promise<string> {
  const admin = postgres(TEST_POSTGRES!, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
  return withDatabase(TEST_POSTGRES!, database);
}

export function postgresSuites(runtime: string, runner: Runner): void {
  if (TEST_POSTGRES === undefined) {
    runner.describe(`postgres on ${runtime}`, () => runner.skip(`every PostgreSQL case (skipped: ${NOT_RUN})`, async () => {}));
    return;
  }
  const database = `srsr_conformance_${runtime.replace(/\W+/g, "_").toLowerCase()}`;
  let url: Promise<string> | undefined;
  const prepared = () => (url ??= freshDatabase(database));
  /** Empties the catalog between cases: each opens a store on an empty database, as the contract says. */
  const reset = async () => {
    const sql = postgres(await prepared(), { max: 1, onnotice: () => {} });
    try {
      const [{ exists }] = await sql`SELECT to_regclass('srsr.changes') IS NOT NULL AS exists`;
      if (exists) await sql`TRUNCATE srsr.instances, srsr.changes RESTART IDENTITY`;
    } finally {
      await sql.end();
    }
  };

  storeConformance(`postgres on ${runtime}`, async (options) => {
    await reset();
    return await openPostgresStore(await prepared(), options);
  }, runner);

  runner.describe(`postgres on ${runtime}`, () => {
    runner.test("several nodes starting together on an empty database migrate it exactly once", async () => {
      const fresh = await freshDatabase(`${database}_migrate`);
      const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore(fresh)));
      try {
        const sql = postgres(fresh, { max: 1, onnotice: () => {} });
        const rows = await sql`SELECT version, tag FROM srsr.migrations ORDER BY version`;
        await sql.end();
        assert.deepEqual(rows.map((row) => row.tag), MIGRATIONS.map((migration) => migration.tag));
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    });

    runner.test("two stores on one database: a change on one reaches the other, index and all", async () => {
      await reset();
      const clock = manualClock();
      const [a, b] = await Promise.all([openPostgresStore(await prepared(), { now: clock.now }), openPostgresStore(await prepared(), { now: clock.now })]);
      try {
        const seen: string[] = [];
        b.subscribe((changes) => seen.push(...changes.map((change) => `${change.index} ${change.type}`)));
        const added = await a.register(newInstance({ ttl: 1 }));
        await eventually(() => b.index() === a.index());
        assert.deepEqual((await b.get(added.id))?.id, added.id);
        await b.heartbeat(added.id); // b's heartbeat must reach a's cache
        clock.advance(999);
        await eventually(async () => (await a.get(added.id))?.expiresAt === clock.now() + 1);
        clock.advance(1_000);
        const reaped = await Promise.all([a.expire(10), b.expire(10)]);
        assert.equal(reaped[0].expired + reaped[1].expired, 1, "expired exactly once");
        await eventually(() => a.index() === b.index());
        assert.deepEqual(seen, [`${a.index() - 1} register`, `${a.index()} expire`]);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  });
}

/** Polls `condition` until it holds or 5 s pass. */
async function eventually(condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("the condition did not hold within 5 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export type { PostgresStore };
