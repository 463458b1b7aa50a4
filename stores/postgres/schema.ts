/**
 * The PostgreSQL store's tables, as Drizzle declares them, in a schema of their own (`srsr`) so
 * they can share a database with an application's. `npm run db:generate` turns changes here
 * into a new file under `migrations/` and refreshes `migrations.ts`.
 *
 * @module
 */

import { bigint, doublePrecision, index, integer, jsonb, pgSchema, text } from "drizzle-orm/pg-core";

export const srsr = pgSchema("srsr");

export const instances = srsr.table("instances", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  address: text("address").notNull(),
  /** String labels; `{}` when there are none. */
  meta: jsonb("meta").$type<Record<string, string>>().notNull(),
  /** Seconds, fractions allowed. */
  ttl: doublePrecision("ttl").notNull(),
  /** The TTL in whole milliseconds, rounded as every backend rounds it (stored_instance.ts). */
  ttlMs: bigint("ttl_ms", { mode: "number" }).notNull(),
  /** Milliseconds since the Unix epoch by the database's clock, like every time here. */
  registeredAt: bigint("registered_at", { mode: "number" }).notNull(),
  /** Moved by the nodes' batched heartbeat writes; the reaper takes rows past it. */
  expiresAt: bigint("expires_at", { mode: "number" }).notNull(),
}, (table) => [
  index("instances_name").on(table.name),
  index("instances_expires_at").on(table.expiresAt),
]);

/**
 * The change feed: its `idx` is the catalog's global index, taken from a sequence while the
 * writer holds the catalog's write lock, so indices commit in order. Trimmed to the retention,
 * always keeping the latest change.
 */
export const changes = srsr.table("changes", {
  idx: bigint("idx", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity({ startWith: 2 }),
  /** register, deregister, expire or update. */
  type: text("type").notNull(),
  name: text("name").notNull(),
  /** The instance as registered, updated, or when it was removed. */
  instance: jsonb("instance").notNull(),
  /** When the change was committed, by the database's clock. */
  at: bigint("at", { mode: "number" }).notNull(),
});

/** One row per embedded migration applied; the schema version is their count. */
export const migrations = srsr.table("migrations", {
  version: integer("version").primaryKey(),
  tag: text("tag").notNull(),
  appliedAt: bigint("applied_at", { mode: "number" }).notNull(),
});
