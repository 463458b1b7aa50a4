/**
 * What the SQLite store needs from a runtime: one connection to one file, wrapped in Drizzle.
 * The runtime adapters (`src/runtime/<bun|deno>/sqlite.ts`) implement it and the composition
 * root hands it in, so this folder never imports a runtime. Bun's driver is synchronous and
 * Deno's asynchronous underneath; the store awaits every query, so one set runs on both.
 *
 * @module
 */

import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";

export type SqliteDatabase = BaseSQLiteDatabase<"sync" | "async", unknown>;

export interface SqliteConnection {
  readonly db: SqliteDatabase;
  /** Closes the connection; its locks on the file are released. */
  close(): void;
}

/** Opens (creating if absent) the SQLite file at `path`, or `:memory:`. */
export type OpenSqlite = (path: string) => SqliteConnection | Promise<SqliteConnection>;
