/**
 * How a node's cache follows the database: it LISTENs on one channel, and after each
 * notification reads the changes after its own index (`c <index>`) or applies the renewals it
 * carries; a poll every second does the same catch-up should a notification be lost, and trims
 * the history to the retention. After every reconnect of the listening connection the cache is
 * reloaded whole (notifications sent meanwhile are not replayed). Everything runs one task at a
 * time, in arrival order, so a renewal never overtakes the registration it renews.
 *
 * @module
 */

import { type SQL, sql } from "drizzle-orm";
import type { RestoredCatalog } from "../memory/store.ts";
import type { Change, Instance, Retention, StoreLogger } from "../store.ts";
import { NEVER_CHANGED } from "../store.ts";
import { DEFAULT_RETENTION } from "../memory/change_log.ts";
import { type PostgresConnection, reasonOf } from "./connection.ts";
import { CHANNEL, type ChangeRow, changeOf, changesAfter, INSTANCE_JSON } from "./rows.ts";

/** What the feed keeps up to date: the store's cache, behind these few calls. */
export interface FeedTarget {
  index(): number;
  apply(changes: readonly Change[]): void;
  renew(renewals: readonly [id: string, renewedAt: number][]): void;
  /** Replaces the cache with `catalog`, read whole from the database. */
  reload(catalog: RestoredCatalog): void;
  /** The database's clock read just now, to keep the cache's in step. */
  observeClock(databaseNow: number): void;
  /** Told after each round trip of the feed: `undefined` when it worked, else why not. */
  onOutcome(error: unknown | undefined): void;
}

export interface FeedOptions {
  /** The clock the database reads, as SQL (a parameter in tests, clock_timestamp() otherwise). */
  now: () => SQL;
  retention?: Retention;
  logger?: StoreLogger;
  description: string;
  /** @default 1_000 */
  pollMs?: number;
  /** Trims the history every this many polls. @default 5 */
  trimEvery?: number;
}

export class Feed {
  readonly #connection: PostgresConnection;
  readonly #target: FeedTarget;
  readonly #options: FeedOptions;
  readonly #retention: Required<Retention>;
  #tasks: Promise<void> = Promise.resolve();
  #queuedCatchUp: Promise<void> | undefined;
  #listening: { unlisten(): Promise<void> } | undefined;
  #poll: ReturnType<typeof setInterval> | undefined;
  #polls = 0;
  #closed = false;

  constructor(connection: PostgresConnection, target: FeedTarget, options: FeedOptions) {
    this.#connection = connection;
    this.#target = target;
    this.#options = options;
    this.#retention = { ...DEFAULT_RETENTION, ...options.retention };
  }

  /** Listens, then loads the catalog; resolves once the cache holds it. Throws when the database cannot be read. */
  async start(): Promise<void> {
    let connects = 0;
    // Listening first: a change committed after the load's snapshot is then always notified.
    this.#listening = await this.#connection.client.listen(CHANNEL, (payload) => this.#notified(payload), () => {
      if (connects++ > 0 && !this.#closed) this.#enqueue(() => this.#reload()).catch(() => {});
    });
    await this.#enqueue(() => this.#reload());
    const pollMs = this.#options.pollMs ?? 1_000;
    this.#poll = setInterval(() => this.#polled(), pollMs);
  }

  /**
   * Reads the changes after the cache's index and applies them, after whatever is queued.
   * Callers together share one read: while one is queued and not started, it is the answer.
   */
  catchUp(): Promise<void> {
    return (this.#queuedCatchUp ??= this.#enqueue(() => {
      this.#queuedCatchUp = undefined;
      return this.#catchUp();
    }));
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#poll);
    await this.#tasks;
    await this.#listening?.unlisten().catch(() => {});
  }

  #notified(payload: string): void {
    if (this.#closed) return;
    if (payload.startsWith("{")) {
      const { r } = JSON.parse(payload) as { r: [string, number][] };
      this.#enqueue(async () => this.#target.renew(r)).catch(() => {});
    } else if (Number(payload.slice(2)) > this.#target.index()) {
      this.catchUp().catch(() => {});
    }
  }

  #polled(): void {
    if (this.#closed || this.#queuedCatchUp) return;
    this.catchUp().catch(() => {});
    if (++this.#polls % (this.#options.trimEvery ?? 5) === 0) this.#enqueue(() => this.#trim()).catch(() => {});
  }

  /** Runs `task` after every task queued before it; a failure is logged, told, and rejects. */
  #enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.#tasks.then(async () => {
      try {
        await task();
        this.#target.onOutcome(undefined);
      } catch (error) {
        this.#target.onOutcome(error);
        if (!this.#closed) this.#options.logger?.warn(`${this.#options.description}: following the change feed failed: ${reasonOf(error)}`);
        throw error;
      }
    });
    this.#tasks = run.catch(() => {});
    return run;
  }

  async #catchUp(): Promise<void> {
    const index = this.#target.index();
    const { db } = this.#connection;
    const [rows, [{ now }]] = await Promise.all([
      db.execute<ChangeRow & { oldest: number }>(changesAfter(index)),
      db.execute<{ now: number }>(sql`SELECT ${this.#options.now()} AS now`),
    ]);
    this.#target.observeClock(now);
    if (rows.length === 0) return;
    // The history after our index was trimmed away: only a whole reload is right now.
    if (rows[0].oldest > index + 1) return await this.#reload();
    this.#target.apply(rows.map(changeOf));
  }

  /** Reads instances and history in one snapshot, so they agree on the index. */
  async #reload(): Promise<void> {
    const catalog = await this.#connection.db.transaction(async (tx) => {
      const [[{ now }], instances, history] = await Promise.all([
        tx.execute<{ now: number }>(sql`SELECT ${this.#options.now()} AS now`),
        tx.execute<{ instance: Instance }>(sql`SELECT ${INSTANCE_JSON} AS instance FROM srsr.instances`),
        tx.execute<ChangeRow>(sql`SELECT idx, type, instance, at FROM srsr.changes ORDER BY idx`),
      ]);
      return { now, instances: instances.map((row) => row.instance), history };
    }, { isolationLevel: "repeatable read", accessMode: "read only" });
    this.#target.observeClock(catalog.now);
    this.#target.reload({
      instances: catalog.instances,
      changes: catalog.history.map((row) => ({ change: changeOf(row), at: row.at })),
      index: catalog.history.at(-1)?.idx ?? NEVER_CHANGED,
    });
  }

  /** Deletes the history past the retention, as the memory store's ChangeLog trims its own; keeps the latest change. */
  async #trim(): Promise<void> {
    const { changes, ms, maxChanges } = this.#retention;
    const newest = (rank: number) => sql`(SELECT idx FROM srsr.changes ORDER BY idx DESC OFFSET ${Math.max(1, rank) - 1} LIMIT 1)`;
    await this.#connection.db.execute(sql`DELETE FROM srsr.changes WHERE idx < coalesce(${newest(changes)}, 0)
      AND idx < greatest(coalesce(${newest(maxChanges)}, 0),
        coalesce((SELECT min(idx) FROM srsr.changes WHERE at >= ${this.#options.now()} - ${ms}), 9223372036854775807))`);
  }
}
