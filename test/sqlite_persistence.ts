/**
 * What the SQLite store keeps across reopenings, for each SQLite driver: `sqlitePersistence`
 * runs under `bun test` (bun:sqlite) and `deno test` (node:sqlite through sqlite-proxy).
 *
 * @module
 */

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { StoreUnavailableError } from "../stores/errors.ts";
import type { OpenSqlite, SqliteConnection } from "../stores/sqlite/connection.ts";
import { MIGRATIONS } from "../stores/sqlite/migrations.ts";
import { openSqliteStore, type SqliteStoreOptions } from "../stores/sqlite/store.ts";
import { WorkerConnection } from "../stores/sqlite/worker_client.ts";
import type { Store } from "../stores/store.ts";
import { manualClock, newInstance, plain, type Runner, storeConformance } from "./store_conformance.ts";
import { eventually } from "./support/eventually.ts";

/** Runs the conformance suite on files and `:memory:`, then the reopening cases, with `openSqlite`. */
export function sqliteSuites(driver: string, openSqlite: OpenSqlite, runner: Runner): void {
  const folder = mkdtempSync(join(tmpdir(), "srsr-sqlite-store-"));
  let files = 0;
  const path = () => join(folder, `store-${++files}.db`);

  storeConformance(`sqlite on ${driver} (file)`, (options) => openSqliteStore(path(), { ...options, openSqlite }), runner);
  storeConformance(`sqlite on ${driver} (:memory:)`, (options) => openSqliteStore(":memory:", { ...options, openSqlite }), runner);

  const open = (file: string, options: Partial<SqliteStoreOptions> = {}) => openSqliteStore(file, { openSqlite, ...options });
  /** Opens `file`, runs `body`, and always closes the store. */
  const using = async (file: string, options: Partial<SqliteStoreOptions>, body: (store: Store) => Promise<void>) => {
    const store = await open(file, options);
    try {
      await body(store);
    } finally {
      await store.close();
    }
  };

  runner.describe(`sqlite on ${driver} across reopenings`, () => {
    runner.test("restored instances keep their ids, meta and TTL, and live at least their TTL from the reopening", async () => {
      const file = path();
      const clock = manualClock(0);
      let short: unknown, long: unknown;
      await using(file, { now: clock.now }, async (store) => {
        short = plain(await store.register(newInstance({ id: "short", ttl: 10, meta: { zone: "a" } })));
        long = plain(await store.register(newInstance({ id: "long", ttl: 500 })));
      });
      clock.set(100_000);
      await using(file, { now: clock.now }, async (store) => {
        assert.deepEqual(plain(await store.get("short")), { ...(short as object), expiresAt: 110_000 });
        assert.deepEqual(plain(await store.get("long")), { ...(long as object), expiresAt: 600_000 });
        clock.set(110_000);
        assert.deepEqual(await store.expire(10), { expired: 1, more: false });
        assert.equal((await store.get("long"))?.ttl, 500);
      });
    });

    runner.test("the index, each name's index and the history survive a reopening", async () => {
      const file = path();
      let index = 0, billingIndex = 0, searchRegistered = 0;
      await using(file, {}, async (store) => {
        await store.register(newInstance({ name: "billing" }));
        billingIndex = store.index();
        const search = await store.register(newInstance({ name: "search" }));
        searchRegistered = store.index();
        await store.updateMeta(search.id, () => ({ v: "2" }));
        await store.deregister(search.id);
        index = store.index();
      });
      await using(file, {}, async (store) => {
        assert.equal(store.index(), index);
        assert.equal(store.nameIndex("billing"), billingIndex);
        assert.equal(store.nameIndex("search"), index);
        const feed = await store.changesSince(searchRegistered - 1, new Set(["search"]));
        assert.deepEqual(feed?.changes.map((change) => [change.index, change.type]), [
          [searchRegistered, "register"],
          [searchRegistered + 1, "update"],
          [index, "deregister"],
        ]);
        await store.register(newInstance({ name: "after" }));
        assert.equal(store.index(), index + 1);
      });
    });

    runner.test("history beyond the retention is trimmed from the file too, and stays gone", async () => {
      const file = path();
      const clock = manualClock();
      const retention = { changes: 3, ms: 10 };
      let index = 0;
      await using(file, { now: clock.now, retention, trimDelayMs: 1 }, async (store) => {
        for (let i = 0; i < 20; i++) {
          await store.register(newInstance({ name: `svc-${i}` }));
          clock.advance(20);
        }
        index = store.index();
      });
      await using(file, { now: clock.now, retention }, async (store) => {
        assert.equal(store.index(), index);
        assert.equal((await store.changesSince(index - 3))?.changes.length, 3);
        assert.equal(await store.changesSince(index - 10), undefined);
        // A name whose registration aged out still reports an index above every watcher's view of
        // it from before, and one that is gone entirely is covered by reapedIndex().
        assert.ok(store.nameIndex("svc-0") > 1);
        assert.equal((await store.list("svc-0")).instances.length, 1);
      });
    });

    runner.test("removals are on disk after close; heartbeats are not written, as the grace period covers them", async () => {
      const file = path();
      const clock = manualClock(0);
      await using(file, { now: clock.now }, async (store) => {
        for (const id of ["a", "b", "c"]) await store.register(newInstance({ id, ttl: 10 }));
        clock.set(5_000);
        await store.heartbeat("a");
        await store.deregister("b");
      });
      clock.set(6_000);
      await using(file, { now: clock.now, defaultTtl: 1 }, async (store) => {
        assert.equal((await store.get("a"))?.expiresAt, 16_000);
        assert.equal(await store.get("b"), undefined);
        assert.equal((await store.get("c"))?.expiresAt, 16_000);
      });
    });

    runner.test("a second store on the same file is refused while the first is open", async () => {
      const file = path();
      await using(file, {}, async (store) => {
        await assert.rejects(open(file), { message: `cannot open sqlite:${file}: another srsr process holds it (one server per file: stop the other or use another path)` });
        await store.register(newInstance({ id: "still-mine" }));
      });
      await using(file, {}, async (store) => assert.equal((await store.get("still-mine"))?.id, "still-mine"));
    });

    runner.test("an empty existing file is taken as a new database", async () => {
      const file = path();
      writeFileSync(file, "");
      await using(file, {}, async (store) => void await store.register(newInstance()));
      assert.equal(new TextDecoder().decode(readFileSync(file).subarray(0, 15)), "SQLite format 3");
    });

    runner.test("a file from srsr 0.1 opens with its instances, the default TTL and empty meta", async () => {
      const file = path();
      const connection = await openSqlite(file);
      for (const statement of MIGRATIONS[0].statements) await connection.db.run(sql.raw(statement));
      await connection.db.run(sql.raw("PRAGMA user_version = 1"));
      await connection.db.run(sql.raw(`INSERT INTO instances (id, name, address, registered_at, expires_at, metadata)
        VALUES ('old-1', 'billing', 'http://10.0.0.1:80', 1000, 31000, NULL),
               ('old-2', 'billing', 'http://10.0.0.2:80', 2000, 32000, NULL)`));
      await connection.close();
      const clock = manualClock(50_000);
      await using(file, { now: clock.now, defaultTtl: 7 }, async (store) => {
        const { index, instances } = await store.list("billing");
        assert.deepEqual(instances.map(plain), [
          { id: "old-1", name: "billing", address: "http://10.0.0.1:80", meta: {}, ttl: 7, registeredAt: 1000, expiresAt: 57_000 },
          { id: "old-2", name: "billing", address: "http://10.0.0.2:80", meta: {}, ttl: 7, registeredAt: 2000, expiresAt: 57_000 },
        ]);
        assert.ok(index > 1 && index <= store.index());
        assert.equal(await store.changesSince(1), undefined);
        assert.equal(store.reapedIndex(), store.index());
        await store.register(newInstance({ name: "billing" }));
        assert.equal(store.nameIndex("billing"), store.index());
      });
    });

    for (const [what, remove] of [
      ["the database file", (file: string) => rmSync(file)],
      ["its write-ahead log", (file: string) => rmSync(`${file}-wal`)],
      ["the database file, replaced by a copy", (file: string) => {
        const copy = `${file}.copy`;
        writeFileSync(copy, readFileSync(file));
        renameSync(copy, file);
      }],
    ] as const) {
      runner.test(`with ${what} gone from under it, writes are refused and ready() says why`, async () => {
        const file = path();
        await using(file, {}, async (store) => {
          await store.register(newInstance({ id: "before" }));
          remove(file);
          await assert.rejects(store.ready(), (error: Error) => error.name === "StoreUnavailableError" && /deleted|replaced/.test(error.message));
          await assert.rejects(store.register(newInstance({ id: "after" })), /deleted|replaced/);
          await assert.rejects(store.deregister("before"), /deleted|replaced/);
          assert.equal(await store.get("after"), undefined);
          assert.equal((await store.get("before"))?.id, "before");
        });
      });
    }

    runner.test("a failed write is not acknowledged and leaves the catalog as it was", async () => {
      const file = path();
      await using(file, {}, async (store) => void await store.register(newInstance({ id: "before" })));
      // A trigger that fails every history row stands in for a disk that refuses writes.
      const connection = await openSqlite(file);
      await connection.db.run(sql.raw(`CREATE TRIGGER refuse BEFORE INSERT ON changes BEGIN SELECT RAISE(FAIL, 'disk I/O error'); END`));
      await connection.close();
      await using(file, {}, async (store) => {
        const index = store.index();
        const seen: unknown[] = [];
        store.subscribe((changes) => seen.push(...changes));
        await assert.rejects(store.register(newInstance({ id: "refused" })), /disk I\/O error/);
        await assert.rejects(store.deregister("before"), /disk I\/O error/);
        await assert.rejects(store.updateMeta("before", () => ({ v: "2" })), /disk I\/O error/);
        assert.equal(store.index(), index);
        assert.equal(await store.get("refused"), undefined);
        assert.deepEqual((await store.get("before"))?.meta, {});
        assert.deepEqual(seen, []);
      });
      await using(file, {}, async (store) => {
        assert.equal(await store.get("refused"), undefined);
        assert.equal((await store.get("before"))?.id, "before");
      });
    });

    runner.test("while the disk does not answer, reads answer, writes get a 503 in writeTimeoutMs, and a late commit is taken back", async () => {
      const file = path();
      let connection: SqliteConnection | undefined;
      const capture: OpenSqlite = async (location) => (connection = await openSqlite(location));
      // Generous, so that ordinary commits on a busy machine stay well within it.
      const store = await open(file, { openSqlite: capture, writeTimeoutMs: 1000 });
      let index = 0;
      try {
        await store.register(newInstance({ id: "kept" }));
        await store.register(newInstance({ id: "gone" }));
        index = store.index();
        const seen: unknown[] = [];
        store.subscribe((changes) => seen.push(...changes));
        assert.ok(connection instanceof WorkerConnection);
        // The worker blocks as a write to a frozen file system would, until released.
        const release = connection.hold();
        const refused = (error: unknown) => error instanceof StoreUnavailableError && /did not complete within 1000 ms/.test(error.message);
        await assert.rejects(store.deregister("gone"), refused);
        assert.equal((await store.get("kept"))?.id, "kept");
        assert.equal((await store.get("gone"))?.id, "gone");
        // Refused at once, not queued behind the stuck write: a hang here would time the test out.
        await assert.rejects(store.register(newInstance({ id: "late" })), /an earlier write has not completed/);
        await assert.rejects(store.ready(), /an earlier write has not completed/);
        release();
        await eventually(() => store.ready().then(() => true, () => false), "writes are taken again");
        assert.equal(store.index(), index);
        assert.deepEqual(seen, []);
        assert.equal((await store.deregister("kept"))?.id, "kept");
      } finally {
        await store.close();
      }
      // The deregister that committed late was taken back out of the file, as its caller was told.
      await using(file, {}, async (store) => {
        assert.equal((await store.get("gone"))?.id, "gone");
        assert.equal(await store.get("kept"), undefined);
        // Its history row went too: the next change took its index.
        assert.deepEqual((await store.changesSince(index))?.changes.map(({ type, instance }) => [type, instance.id]), [["deregister", "kept"]]);
      });
    });
  });

  runner.afterAll(() => rmSync(folder, { recursive: true, force: true }));
}
