/**
 * The SQLite backend: registrations and the change history survive restarts and `kill -9`.
 *
 * Reads never touch the disk: the catalog is a {@link MemoryStore} loaded at open, which the
 * process can keep because it owns the file (see migrate.ts); this module is its
 * {@link Journal}. Writes go to both:
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

import { sql } from "drizzle-orm";
import { statSync } from "node:fs";
import { StoreSpecError, StoreUnavailableError } from "../errors.ts";
import { type LeaseClock, reportingLeaseClock } from "../memory/lease_clock.ts";
import { type Journal, MemoryStore } from "../memory/store.ts";
import type { Change, ChangeType, Instance, StoreLogger, StoreOptions } from "../store.ts";
import { NEVER_CHANGED } from "../store.ts";
import type { OpenSqlite, SqliteConnection } from "./connection.ts";
import { filesPutBack, locationProblem, openFailure, sqliteReason } from "./location.ts";
import { prepareDatabase, rollBack } from "./migrate.ts";
import { changes as changesTable, instances } from "./schema.ts";

export interface SqliteStoreOptions extends StoreOptions {
  /** Opens the connection with the runtime's driver; the composition root hands it in. */
  openSqlite: OpenSqlite;
  /** Milliseconds from a write to trimming the history behind it. @default 1000 */
  trimDelayMs?: number;
  /** As the memory store's: see MemoryStoreOptions.leaseClock. */
  leaseClock?: LeaseClock;
}

type InstanceRow = typeof instances.$inferSelect;
type ChangeRow = typeof changesTable.$inferSelect;

const rowOf = (instance: Instance): InstanceRow => ({
  id: instance.id,
  name: instance.name,
  address: instance.address,
  registeredAt: instance.registeredAt,
  expiresAt: instance.expiresAt,
  metadata: metadataOf(instance.meta),
  ttl: instance.ttl,
});

const metadataOf = (meta: Instance["meta"]) => (Object.keys(meta).length === 0 ? null : JSON.stringify(meta));

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
    store.restore({
      instances: rows.map((row) => instanceOf(row, defaultTtl)),
      changes: history.map(changeOf),
      index: history.at(-1)?.idx ?? NEVER_CHANGED,
    });
    return store;
  } catch (error) {
    connection.close();
    putBack();
    throw error instanceof StoreSpecError ? error : new StoreSpecError(openFailure(path, error));
  }
}

/**
 * The database file and its write-ahead log as opened, to notice either being deleted or
 * replaced under a running srsr (by their device and inode).
 */
class FileIdentity {
  readonly #path: string;
  readonly #file: string;
  #log: string | undefined;

  constructor(path: string) {
    this.#path = path;
    this.#file = identityOf(path)!;
  }

  /** After a write: the log exists from the first write until the connection closes. */
  noteLog(): void {
    this.#log ??= identityOf(`${this.#path}-wal`);
  }

  /** What happened to the files, or `undefined` while they are the ones opened. */
  lost(): string | undefined {
    const file = identityOf(this.#path);
    if (file !== this.#file) return file === undefined ? "the database file was deleted" : "the database file was replaced";
    if (this.#log !== undefined && identityOf(`${this.#path}-wal`) !== this.#log) {
      return `its write-ahead log ${this.#path}-wal was deleted or replaced`;
    }
    return undefined;
  }
}

function identityOf(path: string): string | undefined {
  try {
    const { dev, ino } = statSync(path);
    return `${dev}:${ino}`;
  } catch {
    return undefined;
  }
}

function insertStatement({ db }: SqliteConnection) {
  const placeholder = sql.placeholder;
  return db.insert(instances).values({
    id: placeholder("id"),
    name: placeholder("name"),
    address: placeholder("address"),
    registeredAt: placeholder("registeredAt"),
    expiresAt: placeholder("expiresAt"),
    metadata: placeholder("metadata"),
    ttl: placeholder("ttl"),
  }).prepare();
}

class SqliteJournal implements Journal {
  readonly #description: string;
  readonly #connection: SqliteConnection;
  readonly #insert: ReturnType<typeof insertStatement>;
  readonly #trimDelayMs: number;
  readonly #logger: StoreLogger | undefined;
  readonly #now: () => number;
  #trimTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #files: FileIdentity | undefined;
  /** Changes older than this are out of the catalog's retention; set by openSqliteStore. */
  historyStart: () => number = () => 0;
  #trimmedBelow = 0;
  /** The last queued transaction; each waits for it, so transactions never interleave. */
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(path: string, connection: SqliteConnection, options: SqliteStoreOptions) {
    this.#description = `sqlite:${path}`;
    this.#connection = connection;
    this.#insert = insertStatement(connection);
    this.#trimDelayMs = options.trimDelayMs ?? 1000;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#files = path === ":memory:" ? undefined : new FileIdentity(path);
  }

  async write(changes: readonly Change[]): Promise<void> {
    this.#refuseLostFile();
    const at = this.#now();
    const removed = changes.filter(({ type }) => type === "deregister" || type === "expire").map(({ instance }) => instance.id);
    try {
      await this.#transaction(async () => {
        const { db } = this.#connection;
        for (const { type, instance } of changes) {
          if (type === "register") await this.#insert.run(rowOf(instance));
          if (type === "update") {
            await db.run(sql`UPDATE instances SET metadata = ${metadataOf(instance.meta)} WHERE id = ${instance.id}`);
          }
        }
        // One statement per kind with the batch as a JSON parameter: a statement per row costs
        // ~10 µs in Drizzle and the driver, which a 100k-instance expiry would feel.
        if (removed.length > 0) {
          await db.run(sql`DELETE FROM instances WHERE id IN (SELECT value FROM json_each(${JSON.stringify(removed)}))`);
        }
        const rows = changes.map(({ index, type, instance }) => [index, type, instance.name, JSON.stringify(instance), at]);
        await db.run(sql`INSERT INTO changes (idx, type, name, instance, at)
          SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each(${JSON.stringify(rows)})`);
      });
    } catch (error) {
      throw new StoreUnavailableError(`${this.#description}: the write failed: ${sqliteReason(error)}`, { cause: error });
    }
    this.#files?.noteLog();
    if (!this.#closed) this.#trimTimer ??= setTimeout(() => void this.#trimLogged(), this.#trimDelayMs);
  }

  async ready(): Promise<void> {
    this.#refuseLostFile();
    try {
      await this.#tail;
      await this.#connection.db.run(sql.raw("SELECT 1"));
    } catch (error) {
      throw new StoreUnavailableError(`${this.#description}: ${sqliteReason(error)}`, { cause: error });
    }
  }

  renewed(): void {
    // Nothing to write: see the module comment.
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#trim();
    } finally {
      await this.#tail;
      this.#connection.close();
    }
  }

  /**
   * Writing on after the file was deleted or replaced would acknowledge changes that no restart
   * will see (SQLite keeps writing to the unlinked file): refused instead, from then on.
   */
  #refuseLostFile(): void {
    const lost = this.#files?.lost();
    if (lost) {
      throw new StoreUnavailableError(
        `${this.#description}: ${lost} while srsr runs; nothing more is written: restart srsr to open the file at that path`,
      );
    }
  }

  /** Deletes the history the catalog no longer retains. */
  async #trim(): Promise<void> {
    clearTimeout(this.#trimTimer);
    this.#trimTimer = undefined;
    const below = this.historyStart();
    if (below <= this.#trimmedBelow) return;
    await this.#transaction(async () => {
      await this.#connection.db.run(sql`DELETE FROM changes WHERE idx < ${below}`);
    });
    this.#trimmedBelow = below;
  }

  async #trimLogged(): Promise<void> {
    try {
      await this.#trim();
    } catch (error) {
      // The next write schedules another attempt; until then the file keeps a little more history.
      this.#logger?.error(`${this.#description}: trimming the change history failed: ${sqliteReason(error)}`);
    }
  }

  /** Runs `body` in a transaction of its own, after every transaction queued before it. */
  #transaction(body: () => Promise<void>): Promise<void> {
    const { db } = this.#connection;
    const result = this.#tail.then(async () => {
      await db.run(sql.raw("BEGIN IMMEDIATE"));
      try {
        await body();
        await db.run(sql.raw("COMMIT"));
      } catch (error) {
        await rollBack(db);
        throw error;
      }
    });
    this.#tail = result.catch(() => {});
    return result;
  }
}
