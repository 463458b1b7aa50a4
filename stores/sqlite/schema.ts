/**
 * The SQLite store's tables, as Drizzle declares them. `drizzle-kit generate` turns changes here
 * into a new file under `migrations/`; `bun run db:generate` also refreshes `migrations.ts`.
 *
 * @module
 */

import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

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
}, (table) => [
  // Lookups are served from memory too; this keeps `WHERE name = ?` cheap for people
  // inspecting a stopped registry's file, and costs only on register and deregister.
  index("instances_name").on(table.name),
]);
