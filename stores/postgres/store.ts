/**
 * The PostgreSQL backend: any number of srsr nodes share one database, and any of them can fail.
 *
 * The database is the authority. Every change is a transaction that takes the catalog's write
 * lock (a transaction-scoped advisory lock), so the `changes` table's identity column, the
 * catalog's global index, commits in order on every node; it inserts or deletes the instance
 * row, appends the change, and NOTIFYs it. Times come from the database's clock.
 *
 * Each node reads from a {@link MemoryStore} kept as a cache: loaded whole at start and after
 * every reconnect, fed from the change feed (see feed.ts), and brought up to date inside each of
 * the node's own writes, so that a node reads its own writes. Lookups cost what the memory
 * store's cost. Heartbeats are answered from the cache and written in batches (renewals.ts).
 * Expiry needs no leader: every node's sweep runs the reaper, which takes expired rows with
 * `FOR UPDATE SKIP LOCKED` under the write lock, so each instance expires once, as one change.
 *
 * When the database cannot be reached, writes and heartbeats fail at once (or after
 * `writeTimeoutMs`) with {@link StoreUnavailableError}, answered 503; reads go on from the cache;
 * ready() rejects; and the node recovers by itself when the database returns.
 *
 * @module
 */

import { type SQL, sql } from "drizzle-orm";
import { DuplicateIdError, StoreSpecError, StoreUnavailableError } from "../errors.ts";
import { type RestoredCatalog, MemoryStore } from "../memory/store.ts";
import { sameMeta, ttlMs, withoutEmpty } from "../memory/stored_instance.ts";
import type {
  Change,
  ChangeBatch,
  ChangeListener,
  ChangeType,
  Instance,
  InstanceList,
  MetaFilter,
  NewInstance,
  ServiceList,
  Store,
  StoreOptions,
  StoreSizes,
} from "../store.ts";
import {
  type ConnectOptions,
  connectPostgres,
  isConnectionError,
  type PostgresConnection,
  reasonOf,
  redactUrl,
  whereOf,
} from "./connection.ts";
import { Feed, type FeedTarget } from "./feed.ts";
import { migrate } from "./migrate.ts";
import { Renewals } from "./renewals.ts";
import { CHANNEL, type ChangeRow, changeOf, changesAfter, DATABASE_NOW, INSTANCE_JSON, WRITE_LOCK } from "./rows.ts";

export interface PostgresStoreOptions extends StoreOptions {
  /**
   * Replaces the database's clock: every statement that reads the time is given this one's
   * reading instead of `clock_timestamp()`, so expiry tests can move time by hand. Production
   * leaves it unset. @default the database's clock
   */
  now?: () => number;
  /** Milliseconds a write may take, waiting for earlier ones included, before it fails with 503. @default 3_000 */
  writeTimeoutMs?: number;
  /** Milliseconds between catch-ups that do not wait for a notification. @default 1_000 */
  pollMs?: number;
  connect?: ConnectOptions;
}

type Transaction = Parameters<Parameters<PostgresConnection["db"]["transaction"]>[0]>[0];

/** What a write's body made: its answer, and the changes it committed. */
interface Written<T> {
  result: T;
  changes: Change[];
}

/** The changes `rows` (each an instance as JSON) appended as `type` at `now`, notified; oldest first. */
function appendChanges(type: ChangeType, source: SQL, now: number): SQL {
  return sql`, added AS (
      INSERT INTO srsr.changes (type, name, instance, at)
      SELECT ${type}, instance ->> 'name', instance, ${now} FROM ${source} ORDER BY position
      RETURNING idx, instance)
    SELECT idx, instance, pg_notify(${CHANNEL}, 'c ' || idx) FROM added ORDER BY idx`;
}

const changesOf = (type: ChangeType, rows: readonly { idx: number; instance: Instance }[]): Change[] =>
  rows.map(({ idx, instance }) => ({ index: idx, type, instance }));

export class PostgresStore implements Store {
  readonly description: string;
  readonly #connection: PostgresConnection;
  readonly #options: PostgresStoreOptions;
  readonly #injectedNow: (() => number) | undefined;
  readonly #listeners = new Set<ChangeListener>();
  readonly #feed: Feed;
  readonly #renewals: Renewals;
  readonly #writeTimeoutMs: number;
  #cache: MemoryStore;
  /** The database's clock minus this machine's, in milliseconds. */
  #offset = 0;
  #offsetKnown = false;
  /** Why the last round trip failed, until one succeeds. */
  #unavailable: string | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(url: string, connection: PostgresConnection, options: PostgresStoreOptions = {}) {
    this.description = redactUrl(url);
    this.#connection = connection;
    this.#options = options;
    this.#injectedNow = options.now;
    this.#writeTimeoutMs = options.writeTimeoutMs ?? 3_000;
    this.#cache = this.#newCache();
    this.#renewals = new Renewals(connection.db, { onOutcome: (error) => this.#noteOutcome(error) });
    this.#feed = new Feed(connection, this.#feedTarget(), {
      now: () => this.#nowSql(),
      retention: options.retention,
      logger: options.logger,
      description: this.description,
      pollMs: options.pollMs,
    });
  }

  /** Listens and loads the catalog. */
  start(): Promise<void> {
    return this.#feed.start();
  }

  /** The cache's clock: the database's, as this machine reckons it. */
  readonly #cacheNow = (): number => (this.#injectedNow ? this.#injectedNow() : Date.now() + this.#offset);

  #nowSql(): SQL {
    return this.#injectedNow ? sql`${this.#injectedNow()}::float8` : DATABASE_NOW;
  }

  #newCache(): MemoryStore {
    const { retention, logger, heartbeatCounts } = this.#options;
    const cache = new MemoryStore({ now: this.#cacheNow, retention, logger, heartbeatCounts, description: this.description });
    cache.subscribe((changes) => this.#tell(changes));
    return cache;
  }

  #feedTarget(): FeedTarget {
    return {
      index: () => this.#cache.index(),
      apply: (changes) => this.#cache.apply(changes),
      renew: (renewals) => {
        for (const [id, renewedAt] of renewals) this.#cache.renew(id, renewedAt);
      },
      reload: (catalog) => this.#reload(catalog),
      observeClock: (databaseNow) => {
        if (this.#injectedNow) return;
        const offset = databaseNow - Date.now();
        // A round trip's latency shows as a little jitter; only a real difference moves the clock.
        if (!this.#offsetKnown || Math.abs(offset - this.#offset) > 10) this.#offset = offset;
        this.#offsetKnown = true;
      },
      onOutcome: (error) => this.#noteOutcome(error),
    };
  }

  /** Swaps in a cache loaded whole, and tells listeners of the retained changes they missed. */
  #reload(catalog: RestoredCatalog): void {
    const before = this.#cache.index();
    const cache = this.#newCache();
    cache.restore(catalog);
    this.#cache = cache;
    const missed = catalog.changes.map(({ change }) => change).filter((change) => change.index > before);
    if (missed.length > 0) this.#tell(missed);
  }

  #tell(changes: readonly Change[]): void {
    for (const listener of this.#listeners) {
      try {
        listener(changes);
      } catch (error) {
        this.#options.logger?.error(`a change listener failed (the change itself is committed): ${(error as Error)?.stack ?? error}`);
      }
    }
  }

  #noteOutcome(error: unknown): void {
    if (error === undefined) this.#unavailable = undefined;
    else if (isConnectionError(error) || error instanceof StoreUnavailableError) this.#unavailable = reasonOf(error);
  }

  index(): number {
    return this.#cache.index();
  }

  nameIndex(name: string): number {
    return this.#cache.nameIndex(name);
  }

  reapedIndex(): number {
    return this.#cache.reapedIndex();
  }

  register(instance: NewInstance, admit?: (sizes: StoreSizes) => void): Promise<Instance> {
    return this.#write(async (tx, now) => {
      admit?.(this.#cache.sizes(instance.name));
      const added: Instance = {
        id: instance.id,
        name: instance.name,
        address: instance.address,
        meta: withoutEmpty(instance.meta),
        ttl: instance.ttl,
        registeredAt: now,
        expiresAt: now + ttlMs(instance.ttl),
      };
      const json = JSON.stringify(added);
      const rows = await tx.execute<{ idx: number; instance: Instance }>(sql`WITH inserted AS (
          INSERT INTO srsr.instances (id, name, address, meta, ttl, ttl_ms, registered_at, expires_at)
          VALUES (${added.id}, ${added.name}, ${added.address}, ${JSON.stringify(added.meta)}::jsonb, ${added.ttl},
            ${ttlMs(added.ttl)}, ${now}, ${added.expiresAt})
          ON CONFLICT (id) DO NOTHING RETURNING 1 AS position, ${json}::jsonb AS instance)
        ${appendChanges("register", sql`inserted`, now)}`);
      if (rows.length === 0) throw new DuplicateIdError(instance.id);
      return { result: added, changes: changesOf("register", rows) };
    });
  }

  deregister(id: string): Promise<Instance | undefined> {
    return this.#write(async (tx, now) => {
      const rows = await tx.execute<{ idx: number; instance: Instance }>(sql`WITH removed AS (
          DELETE FROM srsr.instances WHERE id = ${id} AND expires_at > ${now}
          RETURNING 1 AS position, ${INSTANCE_JSON} AS instance)
        ${appendChanges("deregister", sql`removed`, now)}`);
      const changes = changesOf("deregister", rows);
      return { result: changes[0]?.instance, changes };
    });
  }

  async heartbeat(id: string): Promise<Instance | undefined> {
    // Answering from the cache while the database is out of reach would acknowledge renewals
    // that other nodes cannot see: the instance could expire there.
    if (this.#unavailable !== undefined) throw this.#unavailableError(this.#unavailable);
    // An id this node has not heard of may have been registered on another node a moment ago:
    // catch up once (one read shared by every heartbeat waiting for it) before answering.
    if ((await this.#cache.get(id)) === undefined) await this.#bounded(this.#feed.catchUp(), Date.now() + this.#writeTimeoutMs);
    const renewed = await this.#cache.heartbeat(id);
    if (renewed) this.#renewals.add(id, renewed.expiresAt - ttlMs(renewed.ttl));
    return renewed;
  }

  updateMeta(id: string, update: (meta: Instance["meta"]) => Instance["meta"]): Promise<Instance | undefined> {
    return this.#write(async (tx, now) => {
      const [row] = await tx.execute<{ instance: Instance }>(
        sql`SELECT ${INSTANCE_JSON} AS instance FROM srsr.instances WHERE id = ${id} AND expires_at > ${now} FOR UPDATE`,
      );
      if (!row) return { result: undefined, changes: [] };
      const current = row.instance;
      const meta = withoutEmpty(update(current.meta));
      if (sameMeta(meta, current.meta)) return { result: (await this.#cache.get(id)) ?? current, changes: [] };
      const updated: Instance = { ...current, meta };
      const rows = await tx.execute<{ idx: number; instance: Instance }>(sql`WITH updated AS (
          UPDATE srsr.instances SET meta = ${JSON.stringify(meta)}::jsonb WHERE id = ${id}
          RETURNING 1 AS position, ${JSON.stringify(updated)}::jsonb AS instance)
        ${appendChanges("update", sql`updated`, now)}`);
      return { result: updated, changes: changesOf("update", rows) };
    }).then(async (result) => (result === undefined ? undefined : (await this.#cache.get(id)) ?? result));
  }

  get(id: string): Promise<Instance | undefined> {
    return this.#cache.get(id);
  }

  list(name: string, filter?: MetaFilter): Promise<InstanceList> {
    return this.#cache.list(name, filter);
  }

  pick(name: string, random: () => number, filter?: MetaFilter): Promise<Instance | undefined> {
    return this.#cache.pick(name, random, filter);
  }

  services(): Promise<ServiceList> {
    return this.#cache.services();
  }

  snapshot(names?: ReadonlySet<string>): Promise<InstanceList> {
    return this.#cache.snapshot(names);
  }

  changesSince(index: number, names?: ReadonlySet<string>): Promise<ChangeBatch | undefined> {
    return this.#cache.changesSince(index, names);
  }

  async expire(limit: number): Promise<{ expired: number; more: boolean }> {
    // This node's acknowledged heartbeats reach the database before its reaper looks.
    await this.#bounded(this.#renewals.flush(), Date.now() + this.#writeTimeoutMs);
    const [due] = await this.#bounded(
      this.#connection.db.execute(sql`SELECT 1 FROM srsr.instances WHERE expires_at <= ${this.#nowSql()} LIMIT 1`),
      Date.now() + this.#writeTimeoutMs,
    );
    if (!due) return { expired: 0, more: false };
    const expired = await this.#write(async (tx, now) => {
      const rows = await tx.execute<{ idx: number; instance: Instance }>(sql`WITH due AS (
          SELECT id AS due_id FROM srsr.instances WHERE expires_at <= ${now}
          ORDER BY expires_at, id LIMIT ${limit} FOR UPDATE SKIP LOCKED
        ), removed AS (
          DELETE FROM srsr.instances USING due WHERE id = due_id RETURNING ${INSTANCE_JSON} AS instance
        ), ordered AS (
          SELECT row_number() OVER (ORDER BY (instance ->> 'expiresAt')::float8, (instance ->> 'registeredAt')::float8, instance ->> 'id')
            AS position, instance FROM removed)
        ${appendChanges("expire", sql`ordered`, now)}`);
      return { result: rows.length, changes: changesOf("expire", rows) };
    });
    return { expired, more: expired === limit };
  }

  subscribe(listener: ChangeListener): () => void {
    // Wrapped so that subscribing the same function twice gives two independent subscriptions.
    const entry: ChangeListener = (changes) => listener(changes);
    this.#listeners.add(entry);
    return () => void this.#listeners.delete(entry);
  }

  async ready(): Promise<void> {
    try {
      await this.#bounded(this.#connection.db.execute(sql`SELECT 1`), Date.now() + this.#writeTimeoutMs);
      this.#noteOutcome(undefined);
    } catch (error) {
      throw error instanceof StoreUnavailableError ? error : this.#unavailableError(reasonOf(error));
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#renewals.close();
    await this.#renewals.flush().catch(() => {});
    await this.#tail;
    await this.#feed.close();
    await this.#connection.close();
  }

  #unavailableError(reason: string): StoreUnavailableError {
    return new StoreUnavailableError(`${this.description}: ${reason}`);
  }

  /**
   * Runs `body` in a transaction holding the write lock, after this node's earlier writes (so
   * index order is call order), with the cache brought up to the database first: `admit` and
   * the listeners then see every earlier change, this node's and every other node's.
   */
  #write<T>(body: (tx: Transaction, now: number) => Promise<Written<T>>): Promise<T> {
    if (this.#closed) return Promise.reject(this.#unavailableError("the store is closed"));
    const deadline = Date.now() + this.#writeTimeoutMs;
    const run = this.#tail.then(async () => {
      if (Date.now() >= deadline) throw this.#unavailableError(`no answer within ${this.#writeTimeoutMs / 1000} s`);
      const { result, changes } = await this.#connection.db.transaction(async (tx) => {
        await tx.execute(sql`SELECT pg_advisory_xact_lock(${WRITE_LOCK})`);
        const [behind, [{ now }]] = await Promise.all([
          tx.execute<ChangeRow & { oldest: number }>(changesAfter(this.#cache.index())),
          tx.execute<{ now: number }>(sql`SELECT ${this.#nowSql()} AS now`),
        ]);
        if (behind.length > 0) this.#cache.apply(behind.map(changeOf));
        return await body(tx, now);
      });
      this.#noteOutcome(undefined);
      this.#cache.apply(changes);
      return result;
    });
    const bounded = this.#bounded(run, deadline);
    // Past its deadline a write stops holding up the next ones: a connection that died under it
    // may never answer, and the database's statement_timeout ends a slow one soon after.
    this.#tail = bounded.catch(() => {});
    return bounded;
  }

  /** `promise`, failing with 503 at `deadline`, and with the database's errors made driver-independent. */
  async #bounded<T>(promise: Promise<T>, deadline: number): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.#unavailableError(`no answer within ${this.#writeTimeoutMs / 1000} s`)), deadline - Date.now());
    });
    try {
      return await Promise.race([promise, timeout]);
    } catch (error) {
      if (isConnectionError(error)) {
        this.#noteOutcome(error);
        throw this.#unavailableError(reasonOf(error));
      }
      if (error instanceof StoreUnavailableError) this.#noteOutcome(error);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Opens `postgres://…`: connects, migrates (once, however many nodes start together) and loads
 * the catalog. A database that cannot be reached or used is a {@link StoreSpecError} naming its
 * host and database, never the password.
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const where = whereOf(url);
  const connection = connectPostgres(url, options.connect);
  try {
    await migrate(connection.db, where);
    const store = new PostgresStore(url, connection, options);
    await store.start();
    return store;
  } catch (error) {
    await connection.close().catch(() => {});
    if (error instanceof StoreSpecError) throw error;
    const verb = isConnectionError(error) ? "reach" : "use";
    throw new StoreSpecError(`cannot ${verb} PostgreSQL at ${where}: ${reasonOf(error)}`);
  }
}
