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
  /** Written when the instance registers and by the batched renewals; see store.ts. */
  expiresAt: integer("expires_at").notNull(),
  /** A JSON object of string labels, or NULL when there are none. */
  metadata: text("metadata"),
}, (table) => [
  index("instances_name").on(table.name),
  index("instances_expires_at").on(table.expiresAt),
]);
