/**
 * The worker's side of the SQLite connection: opens the file with the runtime's driver and
 * runs what the store sends, one request at a time, so a slow or stuck disk holds up only this
 * thread. The runtime's worker calls {@link serveSqlite} with its driver.
 *
 * @module
 */

import type { ErrorFields, QueryMethod, Reply, Request, SqliteValue } from "./worker_protocol.ts";

/** A synchronous SQLite driver, as the worker uses it; rows come as arrays of column values. */
export interface SqliteDriver {
  run(sql: string, params: readonly SqliteValue[]): void;
  values(sql: string, params: readonly SqliteValue[]): unknown[][];
  close(): void;
}

/** The worker's global scope, as much of it as the host uses. */
export interface WorkerScope {
  onmessage: ((event: MessageEvent<Request>) => void) | null;
  postMessage(reply: Reply): void;
}

/**
 * Answers the store's requests on `scope` with connections `open` makes. Self-contained (it
 * refers to nothing outside its body), as Deno starts it from its source text: see
 * src/runtime/deno/sqlite.ts.
 */
export function serveSqlite(scope: WorkerScope, open: (path: string) => SqliteDriver): void {
  let driver: SqliteDriver | undefined;
  const connected = () => {
    if (driver === undefined) throw new Error("the SQLite connection is not open");
    return driver;
  };
  const query = (sql: string, params: readonly SqliteValue[], method: QueryMethod): unknown => {
    if (method === "run") {
      connected().run(sql, params);
      return [];
    }
    const rows = connected().values(sql, params);
    // sqlite-proxy wants one row's values for "get" (undefined when there is none), else rows.
    return method === "get" ? rows[0] : rows;
  };
  const transaction = (statements: readonly { sql: string; params: readonly SqliteValue[] }[]): void => {
    const db = connected();
    db.run("BEGIN IMMEDIATE", []);
    try {
      for (const { sql, params } of statements) db.run(sql, params);
      db.run("COMMIT", []);
    } catch (error) {
      try {
        db.run("ROLLBACK", []);
      } catch {
        // SQLite already rolled back (it does itself after a full disk): report the first error.
      }
      throw error;
    }
  };
  // An error as it crosses to the other thread: SQLite's text and codes, which messages are made of.
  const fieldsOf = (error: unknown): ErrorFields => {
    const { message, code, errstr } = error as { message?: unknown; code?: unknown; errstr?: unknown };
    return {
      message: typeof message === "string" ? message : String(error),
      ...(typeof code === "string" ? { code } : {}),
      ...(typeof errstr === "string" ? { errstr } : {}),
    };
  };
  scope.onmessage = ({ data: request }) => {
    try {
      let rows: string | undefined;
      switch (request.kind) {
        case "open":
          driver = open(request.path);
          break;
        case "query":
          rows = JSON.stringify(query(request.sql, request.params, request.method));
          break;
        case "transaction":
          transaction(request.statements);
          break;
        case "close":
          driver?.close();
          driver = undefined;
          break;
        case "hold":
          Atomics.wait(request.gate, 0, 0);
          break;
      }
      scope.postMessage({ id: request.id, rows });
    } catch (error) {
      scope.postMessage({ id: request.id, error: fieldsOf(error) });
    }
  };
}
