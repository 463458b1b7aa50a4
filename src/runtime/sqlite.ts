/**
 * The contract each runtime's SQLite driver keeps: one connection to one file, wrapped in Drizzle.
 * Bun's is synchronous and Deno's asynchronous underneath; callers await every query, so one
 * set of queries runs on both.
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
export type OpenSqlite = (path: string) => SqliteConnection;
