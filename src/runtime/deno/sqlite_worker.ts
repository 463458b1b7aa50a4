/**
 * The driver of the worker that holds srsr's SQLite connection on Deno: `node:sqlite`, for
 * stores/sqlite/worker_host.ts. Self-contained (the class comes in as a parameter), as the
 * worker is started from its source text: see sqlite.ts.
 *
 * @module
 */

import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import type { SqliteDriver } from "../../../stores/sqlite/worker_host.ts";

export function openNodeSqlite(Database: typeof DatabaseSync, path: string): SqliteDriver {
  const client = new Database(path);
  // The store sends the same few SQL texts again and again: each is prepared once.
  const statements = new Map<string, StatementSync>();
  const prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = client.prepare(sql);
      statement.setReturnArrays(true);
      statements.set(sql, statement);
    }
    return statement;
  };
  return {
    run: (sql, params) => void prepare(sql).run(...(params as SQLInputValue[])),
    values: (sql, params) => prepare(sql).all(...(params as SQLInputValue[])) as unknown as unknown[][],
    close: () => client.close(),
  };
}
