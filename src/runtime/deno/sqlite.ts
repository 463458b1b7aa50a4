/**
 * SQLite on Deno: the built-in `node:sqlite` through `drizzle-orm/sqlite-proxy`, since
 * better-sqlite3 needs a native build that Deno's npm install does not run.
 *
 * @module
 */

import { drizzle } from "drizzle-orm/sqlite-proxy";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { OpenSqlite } from "../../../stores/sqlite/connection.ts";

type Value = null | number | bigint | string | Uint8Array;

export const openSqlite: OpenSqlite = (path) => {
  const client = new DatabaseSync(path);
  // Drizzle's prepared queries send the same SQL text each time; preparing it once keeps the
  // batched heartbeat writes cheap.
  const statements = new Map<string, StatementSync>();
  const prepare = (query: string) => {
    let statement = statements.get(query);
    if (!statement) {
      statement = client.prepare(query);
      statement.setReturnArrays(true);
      statements.set(query, statement);
    }
    return statement;
  };
  const db = drizzle(async (query, params: Value[], method) => {
    const statement = prepare(query);
    if (method === "run") {
      statement.run(...params);
      return { rows: [] };
    }
    // sqlite-proxy wants one row's values for "get" (undefined when there is none), else rows.
    const rows = method === "get" ? statement.get(...params) : statement.all(...params);
    return { rows: rows as unknown as unknown[] };
  });
  return { db, close: () => client.close() };
};
