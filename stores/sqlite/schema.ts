/**
 * The SQLite store's tables, as Drizzle declares them. `drizzle-kit generate` turns changes here
 * into a new file under `migrations/`; `npm run db:generate` also refreshes `migrations.ts`.
 *
 * @module
 */

import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const instances = sqliteTable("instances", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  address: text("address").notNull(),
  /** Milliseconds since the Unix epoch, like every time in srsr. */
  registeredAt: integer("registered_at").notNull(),
  /**
   * Written when the instance registers and by the batched renewals; see store.ts. Not
   * indexed: expiry runs off the in-memory queue, and an index here tripled the cost of
   * writing renewals (10k: 48 ms instead of 17 ms), the one write heartbeats cause.
   */
  expiresAt: integer("expires_at").notNull(),
  /** A JSON object of string labels, or NULL when there are none. */
  metadata: text("metadata"),
  /**
   * Seconds, fractions allowed. NULL only in rows written by srsr 0.1, which had one timeout
   * for all: opening such a file fills in the server's `--timeout`.
   */
  ttl: real("ttl"),
}, (table) => [
  // Lookups are served from memory too; this keeps `WHERE name = ?` cheap for people
  // inspecting a stopped registry's file, and costs only on register and deregister.
  index("instances_name").on(table.name),
]);

/**
 * The change history watchers resume from, trimmed to the store's retention. Its largest
 * `idx` is the catalog's global index, so the index survives restarts.
 */
export const changes = sqliteTable("changes", {
  /** The change's index; assigned by the store, one above the previous. */
  idx: integer("idx").primaryKey(),
  /** register, deregister, expire or update. */
  type: text("type").notNull(),
  name: text("name").notNull(),
  /** The instance as a JSON object: the register's, the update's result, or the removed one. */
  instance: text("instance").notNull(),
  /** When the change was committed, milliseconds since the Unix epoch. */
  at: integer("at").notNull(),
});
