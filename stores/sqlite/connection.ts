/**
 * What the SQLite store needs from a runtime: one connection to one file, off the request
 * thread. The runtime adapters (`src/runtime/<bun|deno>/sqlite.ts`) open it in a worker that
 * runs the driver (see worker_host.ts and worker_client.ts) and the composition root hands it
 * in, so this folder never imports a runtime. Every query is asynchronous: while the disk is
 * slow, or stuck, the thread that answers requests keeps running.
 *
 * @module
 */

import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type { SqliteStatement } from "./worker_protocol.ts";

export type { SqliteStatement, SqliteValue } from "./worker_protocol.ts";

export type SqliteDatabase = BaseSQLiteDatabase<"sync" | "async", unknown>;

export interface SqliteConnection {
  /** Drizzle on the connection: for opening, migrating and loading, a round trip per query. */
  readonly db: SqliteDatabase;
  /**
   * Runs `statements` in one transaction (`BEGIN IMMEDIATE` … `COMMIT`, rolled back on any
   * error), after everything sent before it: one round trip however many statements.
   */
  transaction(statements: readonly SqliteStatement[]): Promise<void>;
  /** Closes the connection once what was sent before has run; its locks on the file are released. */
  close(): Promise<void>;
  /**
   * Stops the connection at once, abandoning what it has not yet run: for a disk that does not
   * answer. What it committed stays committed; the process's locks go with the worker.
   */
  abandon(): void;
}

/** Opens (creating if absent) the SQLite file at `path`, or `:memory:`. */
export type OpenSqlite = (path: string) => SqliteConnection | Promise<SqliteConnection>;
