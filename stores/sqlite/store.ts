/**
 * The SQLite backend: registrations survive restarts and `kill -9`.
 *
 * Reads never touch the disk: a {@link MemoryStore} loaded at open is the index every lookup,
 * get and expiry scan uses, which the process can keep because it owns the file (see
 * migrate.ts). Writes go to both:
 * - add and remove are committed before they resolve, so the 200 that acknowledges them is
 *   sent only once they are in the WAL file (synchronous = NORMAL: safe from any process
 *   crash; an OS crash or power loss may lose the last commits);
 * - heartbeat renewals only move the expiry in memory and are written in one transaction per
 *   `flushIntervalMs` (and on close), so heartbeats never wait for the disk. A crash loses at
 *   most one interval of renewals, and that costs nothing: at restart every instance gets a
 *   full timeout from the restart (the grace period), later than any renewal it lost. Written
 *   renewals only matter when a restart lowers the timeout. So the interval is long (1 s):
 *   at 100 ms, rewriting the table's pages ten times a second cost ~40% of heartbeat
 *   throughput in-process; at 1 s, under 10%;
 * - expiries are written with the next batch, right after the sweep that takes them.
 * On open, every stored instance is given at least one timeout from now (the grace period),
 * so instances do not expire because the registry itself was down.
 *
 * @module
 */

import { eq, sql } from "drizzle-orm";
import { type Logger, silentLogger } from "../../src/logger.ts";
import { runtime } from "../../src/runtime.ts";
import type { SqliteConnection } from "../../src/runtime/sqlite.ts";
import { MemoryStore } from "../memory/store.ts";
import { type Instance, type Store, type StoreOptions, StoreSpecError } from "../store.ts";
import { locationProblem, openFailure } from "./location.ts";
import { prepareDatabase } from "./migrate.ts";
import { instances } from "./schema.ts";

export interface SqliteStoreOptions extends StoreOptions {
  /** Milliseconds between writes of batched heartbeat renewals. @default 1000 */
  flushIntervalMs?: number;
  /** Opens the connection. @default runtime.openSqlite */
  connect?: (path: string) => Promise<SqliteConnection>;
}

type Row = typeof instances.$inferSelect;

const rowOf = (instance: Instance): Row => ({
  id: instance.id,
  name: instance.name,
  address: instance.address,
  registeredAt: instance.registeredAt,
  expiresAt: instance.expiresAt,
  metadata: instance.metadata === undefined ? null : JSON.stringify(instance.metadata),
});

const instanceOf = ({ metadata, ...row }: Row, expiresAt: number): Instance =>
  metadata === null ? { ...row, expiresAt } : { ...row, expiresAt, metadata: JSON.parse(metadata) };

function statementsFor({ db }: SqliteConnection) {
  const placeholder = sql.placeholder;
  return {
    insert: db.insert(instances).values({
      id: placeholder("id"),
      name: placeholder("name"),
      address: placeholder("address"),
      registeredAt: placeholder("registeredAt"),
      expiresAt: placeholder("expiresAt"),
      metadata: placeholder("metadata"),
    }).prepare(),
    delete: db.delete(instances).where(eq(instances.id, placeholder("id"))).prepare(),
  };
}

/**
 * Opens `sqlite:PATH` (or `:memory:`): checks the location, locks and migrates the file, and
 * loads it. Every reason it cannot is a {@link StoreSpecError} naming the path; the file is then
 * left as it was.
 */
export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
  const { timeout = 30, now = Date.now, connect = runtime.openSqlite } = options;
  const problem = locationProblem(path);
  if (problem) throw new StoreSpecError(problem);
  let connection: SqliteConnection;
  try {
    connection = await connect(path);
  } catch (error) {
    throw new StoreSpecError(openFailure(path, error));
  }
  try {
    const graceUntil = now() + timeout * 1000;
    await prepareDatabase(connection.db, { graceUntil, path });
    const rows = await connection.db.select().from(instances);
    return new SqliteStore(path, connection, rows.map((row) => instanceOf(row, Math.max(row.expiresAt, graceUntil))), options);
  } catch (error) {
    connection.close();
    throw error instanceof StoreSpecError ? error : new StoreSpecError(openFailure(path, error));
  }
}

export class SqliteStore implements Store {
  readonly description: string;
  readonly #connection: SqliteConnection;
  readonly #statements: ReturnType<typeof statementsFor>;
  readonly #index = new MemoryStore();
  readonly #flushIntervalMs: number;
  readonly #logger: Logger;
  /** Writes not yet on disk, by id: the new expiry of a renewal, or `null` for an expiry. */
  #pending = new Map<string, number | null>();
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** The last queued write; every write waits for it, so transactions never interleave. */
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  /** Use {@link openSqliteStore}; this takes an already prepared connection. */
  constructor(
    path: string,
    connection: SqliteConnection,
    restored: Instance[],
    { flushIntervalMs = 1000, logger = silentLogger }: SqliteStoreOptions = {},
  ) {
    this.description = `sqlite:${path}`;
    this.#connection = connection;
    this.#statements = statementsFor(connection);
    this.#flushIntervalMs = flushIntervalMs;
    this.#logger = logger;
    for (const instance of restored) this.#index.insert(instance);
  }

  /** How many instances are stored, expired ones included until they are taken. */
  get size(): number {
    return this.#index.size;
  }

  async add(instance: Instance): Promise<void> {
    await this.#serially(() => this.#statements.insert.run(rowOf(instance)));
    this.#index.insert(instance);
  }

  async remove(id: string): Promise<Instance | undefined> {
    const removed = this.#index.delete(id);
    if (!removed) return undefined;
    this.#pending.delete(id);
    try {
      await this.#serially(() => this.#statements.delete.run({ id }));
    } catch (error) {
      this.#index.insert(removed); // not deleted on disk, so not deleted at all
      throw error;
    }
    return removed;
  }

  get(id: string): Promise<Instance | undefined> {
    return this.#index.get(id);
  }

  instancesOf(name: string): Promise<readonly Instance[]> {
    return this.#index.instancesOf(name);
  }

  async renew(id: string, expiresAt: number, now: number): Promise<Instance | undefined> {
    const renewed = this.#index.extend(id, expiresAt, now);
    if (renewed) {
      this.#pending.set(id, expiresAt);
      this.#flushTimer ??= setTimeout(() => void this.#flushLogged(), this.#flushIntervalMs);
    }
    return renewed;
  }

  async takeExpired(now: number, limit: number): Promise<Instance[]> {
    const expired = this.#index.expire(now, limit);
    if (expired.length > 0) {
      for (const instance of expired) this.#pending.set(instance.id, null);
      await this.#flushLogged();
    }
    return expired;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#flush();
    } finally {
      await this.#tail;
      this.#connection.close();
      await this.#index.close();
    }
  }

  /** Writes every pending renewal and expiry in one transaction. */
  async #flush(): Promise<void> {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    const renewals: [string, number][] = [];
    const expired: string[] = [];
    for (const [id, expiresAt] of batch) expiresAt === null ? expired.push(id) : renewals.push([id, expiresAt]);
    const { db } = this.#connection;
    try {
      await this.#serially(async () => {
        await db.run(sql.raw("BEGIN IMMEDIATE"));
        try {
          // One statement per kind with the batch as a JSON parameter: a statement per row cost
          // ~10 µs in Drizzle and the driver, enough to slow heartbeats under load.
          if (renewals.length > 0) {
            await db.run(sql`UPDATE instances SET expires_at = batch.value ->> 1
              FROM json_each(${JSON.stringify(renewals)}) AS batch WHERE instances.id = batch.value ->> 0`);
          }
          if (expired.length > 0) {
            await db.run(sql`DELETE FROM instances WHERE id IN (SELECT value FROM json_each(${JSON.stringify(expired)}))`);
          }
          await db.run(sql.raw("COMMIT"));
        } catch (error) {
          await Promise.resolve(db.run(sql.raw("ROLLBACK"))).catch(() => {});
          throw error;
        }
      });
    } catch (error) {
      // Keep what newer calls have not replaced, for the next attempt.
      for (const [id, expiresAt] of batch) if (!this.#pending.has(id)) this.#pending.set(id, expiresAt);
      if (!this.#closed) this.#flushTimer ??= setTimeout(() => void this.#flushLogged(), this.#flushIntervalMs);
      throw error;
    }
  }

  async #flushLogged(): Promise<void> {
    try {
      await this.#flush();
    } catch (error) {
      this.#logger.error(`${this.description}: writing ${this.#pending.size} heartbeat renewals and expiries failed, will retry: ${error}`);
    }
  }

  #serially<T>(write: () => T | Promise<T>): Promise<T> {
    const result = this.#tail.then(write);
    this.#tail = result.catch(() => {});
    return result;
  }
}
