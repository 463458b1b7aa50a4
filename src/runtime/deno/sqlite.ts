/**
 * SQLite on Deno: the built-in `node:sqlite` (better-sqlite3 needs a native build that Deno's
 * npm install does not run), in a worker so that the disk never holds up requests. The worker
 * inherits srsr's permissions.
 *
 * The worker is a `data:` module made from the source of two self-contained functions rather
 * than a file: `deno test` type-checks every worker file it starts, again for each (~1 s here),
 * and the SQLite suites start one per store. tsc checks these functions where they are written.
 *
 * @module
 */

import type { OpenSqlite } from "../../../stores/sqlite/connection.ts";
import { connectSqliteWorker, type SqliteWorker } from "../../../stores/sqlite/worker_client.ts";
import { serveSqlite } from "../../../stores/sqlite/worker_host.ts";
import { openNodeSqlite } from "./sqlite_worker.ts";

const WORKER_SOURCE = `import { DatabaseSync } from "node:sqlite";
(${serveSqlite})(self, (path) => (${openNodeSqlite})(DatabaseSync, path));`;
const WORKER = `data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`;

export const openSqlite: OpenSqlite = (path) => {
  const worker = new Worker(WORKER, { type: "module" });
  return connectSqliteWorker(worker as unknown as SqliteWorker, path);
};
