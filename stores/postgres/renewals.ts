/**
 * Heartbeats, batched: a node answers a heartbeat from its cache at once and queues the renewal;
 * one flush at a time writes every queued renewal (a few statements of up to 200 each, in
 * parallel) and tells the other nodes through NOTIFY, so their caches see the new expiry too.
 * Under load the queue fills while a flush is in flight, so batches grow with the rate and the
 * database sees a few statements per millisecond, not one per heartbeat.
 *
 * A renewal keeps the time its heartbeat was answered: the row then lives its TTL from that
 * moment, as the answer said, however late the flush. The reaper on the same node flushes first,
 * so it never expires an instance whose heartbeat it has acknowledged; another node's reaper
 * could only do so within the few milliseconds a flush takes, far inside a TTL/3 heartbeat's margin.
 *
 * @module
 */

import { sql } from "drizzle-orm";
import type { PostgresDatabase } from "./connection.ts";
import { CHANNEL } from "./rows.ts";

const BATCH = 200;
/** Milliseconds before retrying a flush that failed. */
const RETRY_MS = 250;

export interface RenewalsOptions {
  /** Told of every failed flush (the renewals are kept and retried) and of every one that succeeds. */
  onOutcome: (error: unknown | undefined) => void;
}

export class Renewals {
  readonly #db: PostgresDatabase;
  readonly #onOutcome: (error: unknown | undefined) => void;
  /** Instance id -> when its latest heartbeat was answered. */
  #pending = new Map<string, number>();
  #flushing: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(db: PostgresDatabase, { onOutcome }: RenewalsOptions) {
    this.#db = db;
    this.#onOutcome = onOutcome;
  }

  /** Renewals queued and not yet written. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Queues the renewal of `id`, answered at `renewedAt`. */
  add(id: string, renewedAt: number): void {
    this.#pending.set(id, renewedAt);
    if (this.#flushing === undefined) this.#timer ??= setTimeout(() => void this.flush().catch(() => {}), 0);
  }

  /** Writes every renewal queued so far; rejects when the database refused them (they stay queued). */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing.catch(() => {});
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    this.#flushing = this.#write(batch);
    try {
      await this.#flushing;
      this.#onOutcome(undefined);
    } catch (error) {
      for (const [id, at] of batch) if (!(this.#pending.get(id)! >= at)) this.#pending.set(id, at);
      this.#onOutcome(error);
      if (!this.#closed) this.#timer ??= setTimeout(() => void this.flush().catch(() => {}), RETRY_MS);
      throw error;
    } finally {
      this.#flushing = undefined;
      if (this.#pending.size > 0 && !this.#closed) this.#timer ??= setTimeout(() => void this.flush().catch(() => {}), 0);
    }
  }

  /** Stops retrying; what is queued is written by a last flush() if the caller asks for one. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #write(batch: Map<string, number>): Promise<void> {
    const entries = [...batch];
    const statements = [];
    for (let start = 0; start < entries.length; start += BATCH) {
      const chunk = JSON.stringify(entries.slice(start, start + BATCH));
      // Only rows still live when their heartbeat was answered; never moves an expiry back.
      statements.push(this.#db.execute(sql`WITH renewal AS (
          SELECT value ->> 0 AS id, (value ->> 1)::float8 AS at FROM jsonb_array_elements(${chunk}::jsonb)
        ), renewed AS (
          UPDATE srsr.instances i SET expires_at = greatest(i.expires_at, r.at + i.ttl_ms)
          FROM renewal r WHERE i.id = r.id AND i.expires_at > r.at
          RETURNING i.id, r.at
        )
        SELECT pg_notify(${CHANNEL}, json_build_object('r', json_agg(json_build_array(id, at)))::text)
        FROM renewed HAVING count(*) > 0`));
    }
    await Promise.all(statements);
  }
}
