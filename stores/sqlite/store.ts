/**
 * The SQLite backend: registrations and the change history survive restarts and `kill -9`.
 *
 * Reads never touch the disk: the catalog is a {@link MemoryStore} loaded at open, which the
 * process can keep because it owns the file (see migrate.ts); journal.ts is its
 * {@link Journal}, and the connection lives in a worker (connection.ts), so no request waits
 * for the disk, however large a write or however stuck the disk. Writes go to both:
 * - every change (register, deregister, expiry, metadata update) is committed, with its row in
 *   the `changes` history, before the catalog applies it, so nothing is acknowledged or shown
 *   to a watcher before it is in the WAL file (synchronous = NORMAL: safe from any process
 *   crash; an OS crash or power loss may lose the last commits), and no index is ever handed
 *   out twice;
 * - heartbeats never touch the disk. The file's `expires_at` is the one written at
 *   registration; at restart every instance lives at least its own TTL from the reopening
 *   (the grace period), which is later than any renewal it had, so renewals need no writing;
 * - the history is trimmed to the catalog's retention a second after writes, in the background.
 *
 * @module
 */

import { StoreSpecError } from "../errors.ts";
import { type LeaseClock, reportingLeaseClock } from "../memory/lease_clock.ts";
import { MemoryStore } from "../memory/store.ts";
import type { ChangeType, Instance, StoreOptions } from "../store.ts";
import { NEVER_CHANGED } from "../store.ts";
import type { OpenSqlite, SqliteConnection } from "./connection.ts";
import { SqliteJournal } from "./journal.ts";
import { filesPutBack, locationProblem, openFailure } from "./location.ts";
import { prepareDatabase } from "./migrate.ts";
import { changes as changesTable, instances } from "./schema.ts";

export interface SqliteStoreOptions extends StoreOptions {
  /** Opens the connection with the runtime's driver; the composition root hands it in. */
  openSqlite: OpenSqlite;
  /** Milliseconds from a write to trimming the history behind it. @default 1000 */
  trimDelayMs?: number;
  /**
   * Milliseconds a commit may take before its write is answered as unavailable (503) and
   * further writes are refused until the disk answers. @default 5000
   */
  writeTimeoutMs?: number;
  /** As the memory store's: see MemoryStoreOptions.leaseClock. */
  leaseClock?: LeaseClock;
}

type InstanceRow = typeof instances.$inferSelect;
type ChangeRow = typeof changesTable.$inferSelect;

const instanceOf = (row: InstanceRow, defaultTtl: number): Instance => ({
  id: row.id,
  name: row.name,
  address: row.address,
  meta: row.metadata === null ? {} : JSON.parse(row.metadata),
  ttl: row.ttl ?? defaultTtl,
  registeredAt: row.registeredAt,
  expiresAt: row.expiresAt,
});

const changeOf = (row: ChangeRow) => ({
  change: { index: row.idx, type: row.type as ChangeType, instance: JSON.parse(row.instance) as Instance },
  at: row.at,
});

/**
 * Opens `sqlite:PATH` (or `:memory:`): checks the location, locks and migrates the file, and
 * loads it. Every reason it cannot is a {@link StoreSpecError} naming the path; the file is then
 * left as it was.
 */
export async function openSqliteStore(path: string, options: SqliteStoreOptions): Promise<MemoryStore> {
  const { defaultTtl = 30, openSqlite } = options;
  // Made before the file is prepared, as the grace period is stamped by it; started by the
  // catalog once the file is loaded.
  const leaseClock = options.leaseClock ?? (options.now === undefined ? reportingLeaseClock(options) : undefined);
  const now = options.now ?? leaseClock!.now;
  const problem = locationProblem(path);
  if (problem) throw new StoreSpecError(problem);
  // A start that fails must leave the location as it found it: a file SQLite created, or wrote
  // a header into, goes back to what it was (nothing, or empty).
  const putBack = filesPutBack(path);
  let connection: SqliteConnection;
  try {
    connection = await openSqlite(path);
  } catch (error) {
    putBack();
    throw new StoreSpecError(openFailure(path, error));
  }
  try {
    await prepareDatabase(connection.db, { openedAt: now(), defaultTtl, path });
    const rows = await connection.db.select().from(instances);
    const history = await connection.db.select().from(changesTable).orderBy(changesTable.idx);
    const journal = new SqliteJournal(path, connection, { ...options, now });
    const store = new MemoryStore({ ...options, now, leaseClock, journal, description: `sqlite:${path}` });
    journal.historyStart = () => store.oldestRetainedIndex;
    journal.metaOf = async (id) => (await store.get(id))?.meta;
    store.restore({
      instances: rows.map((row) => instanceOf(row, defaultTtl)),
      changes: history.map(changeOf),
      index: history.at(-1)?.idx ?? NEVER_CHANGED,
    });
    return store;
  } catch (error) {
    await connection.close().catch(() => connection.abandon());
    putBack();
    throw error instanceof StoreSpecError ? error : new StoreSpecError(openFailure(path, error));
  }
}

