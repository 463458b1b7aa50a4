/**
 * SQLite on Bun: the built-in `bun:sqlite`, in a worker (sqlite_worker.ts) so that the disk
 * never holds up requests. The worker file is an extra entrypoint of the compiled binary
 * (scripts/build.ts), which is what lets `new Worker` find it there.
 *
 * @module
 */

import type { OpenSqlite } from "../../../stores/sqlite/connection.ts";
import { connectSqliteWorker, type SqliteWorker } from "../../../stores/sqlite/worker_client.ts";

// Inside a compiled binary the worker is the entrypoint at this path from the repository's root
// (scripts/build.ts), and every module's own URL is the binary's.
const WORKER = Bun.isStandaloneExecutable ? "./src/runtime/bun/sqlite_worker.ts" : new URL("./sqlite_worker.ts", import.meta.url).href;

export const openSqlite: OpenSqlite = (path) => {
  const worker = new Worker(WORKER);
  return connectSqliteWorker(worker as unknown as SqliteWorker, path);
};
