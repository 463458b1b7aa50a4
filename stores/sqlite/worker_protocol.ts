/**
 * The messages between the SQLite store and the worker that holds its connection
 * (worker_client.ts sends, worker_host.ts answers). The worker runs one request at a time, in
 * the order sent, and answers each with a {@link Reply} of the same id. Nothing here imports
 * Drizzle: the worker loads (and Deno type-checks) only this, worker_host.ts and its driver.
 *
 * @module
 */

/** A value SQLite binds to a `?` parameter. */
export type SqliteValue = null | number | bigint | string | Uint8Array;

/** One statement of a transaction, with `?` placeholders. */
export interface SqliteStatement {
  sql: string;
  params: readonly SqliteValue[];
}

/** How Drizzle's sqlite-proxy wants a query's rows: none, all, one, or all as arrays. */
export type QueryMethod = "run" | "all" | "values" | "get";

export type Request =
  | { id: number; kind: "open"; path: string }
  | { id: number; kind: "query"; sql: string; params: SqliteValue[]; method: QueryMethod }
  | { id: number; kind: "transaction"; statements: readonly SqliteStatement[] }
  | { id: number; kind: "close" }
  /** Blocks the worker until `gate[0]` is set and notified: a disk that stopped answering, for tests. */
  | { id: number; kind: "hold"; gate: Int32Array };

/** An error as it crosses to the other thread: SQLite's text and codes, which messages are made of. */
export interface ErrorFields {
  message: string;
  code?: string;
  errstr?: string;
}

/**
 * A query's rows travel as JSON text: cloning 100k rows as objects cost the loading thread
 * ~185 ms on Bun, parsing their text ~35 ms. The store's tables hold only text, integers and
 * reals, which JSON carries exactly (no blobs, no integers beyond 2^53).
 */
export type Reply = { id: number; rows?: string } | { id: number; error: ErrorFields };
