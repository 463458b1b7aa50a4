/**
 * The worker that holds srsr's SQLite connection on Bun (see stores/sqlite/worker_host.ts).
 *
 * @module
 */

import { Database, type Statement } from "bun:sqlite";
import { serveSqlite, type WorkerScope } from "../../../stores/sqlite/worker_host.ts";
import type { SqliteValue } from "../../../stores/sqlite/worker_protocol.ts";

declare const self: WorkerScope;

serveSqlite(self, (path) => {
  const client = new Database(path, { create: true, readwrite: true });
  // The store sends the same few SQL texts again and again: each is prepared once.
  const statements = new Map<string, Statement>();
  const prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = client.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  return {
    run: (sql, params) => void prepare(sql).run(...(params as SqliteValue[] as never[])),
    values: (sql, params) => prepare(sql).values(...(params as SqliteValue[] as never[])) as unknown[][],
    // close(true) finalizes the prepared statements, so the file lock is released now.
    close: () => client.close(true),
  };
});
