/**
 * The store's side of the SQLite connection in a worker: every query and transaction is a
 * message to the worker (worker_host.ts) and a promise of its reply, so the thread that answers
 * requests never waits for the disk. The runtime adapters make the worker and hand it to
 * {@link connectSqliteWorker}.
 *
 * @module
 */

import { drizzle } from "drizzle-orm/sqlite-proxy";
import type { SqliteConnection, SqliteDatabase, SqliteStatement, SqliteValue } from "./connection.ts";
import type { ErrorFields, QueryMethod, Reply, Request } from "./worker_protocol.ts";

/** A worker, as much of one as the connection uses (Bun's and Deno's both fit). */
export interface SqliteWorker {
  onmessage: ((event: MessageEvent<Reply>) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
  postMessage(request: Request): void;
  terminate(): void;
}

type Body<T> = T extends unknown ? Omit<T, "id"> : never;

const errorOf = (fields: ErrorFields): Error => Object.assign(new Error(fields.message), fields);

export class WorkerConnection implements SqliteConnection {
  readonly db: SqliteDatabase;
  readonly #worker: SqliteWorker;
  readonly #pending = new Map<number, { resolve: (rows: unknown) => void; reject: (error: Error) => void }>();
  #lastId = 0;
  /** Set once the worker is gone: every request after it fails with this. */
  #gone: Error | undefined;

  constructor(worker: SqliteWorker) {
    this.#worker = worker;
    worker.onmessage = ({ data: reply }) => {
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if ("error" in reply) pending?.reject(errorOf(reply.error));
      else pending?.resolve(reply.rows === undefined ? undefined : JSON.parse(reply.rows));
    };
    worker.onerror = (event) => {
      event.preventDefault(); // the failure is reported to whoever waits on the connection
      this.#end(new Error(`the SQLite worker failed: ${event.message}`));
    };
    this.db = drizzle(async (sql, params: SqliteValue[], method: QueryMethod) => ({
      rows: (await this.#request({ kind: "query", sql, params, method })) as unknown[],
    }));
  }

  /** Opens `path` in the worker; rejects with SQLite's error if it cannot. */
  open(path: string): Promise<void> {
    return this.#request({ kind: "open", path }).then(() => {});
  }

  transaction(statements: readonly SqliteStatement[]): Promise<void> {
    return this.#request({ kind: "transaction", statements }).then(() => {});
  }

  async close(): Promise<void> {
    if (this.#gone) return;
    try {
      await this.#request({ kind: "close" });
    } finally {
      this.#end(new Error("the SQLite connection is closed"));
    }
  }

  abandon(): void {
    this.#end(new Error("the SQLite connection was abandoned: the disk did not answer"));
  }

  /**
   * Blocks the worker, as a disk that stopped answering would, until the returned function is
   * called: what tests use to show that requests do not wait for the disk.
   */
  hold(): () => void {
    const gate = new Int32Array(new SharedArrayBuffer(4));
    void this.#request({ kind: "hold", gate }).catch(() => {});
    return () => {
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
    };
  }

  #request(body: Body<Request>): Promise<unknown> {
    if (this.#gone) return Promise.reject(this.#gone);
    const id = ++this.#lastId;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...body, id } as Request);
    });
  }

  #end(reason: Error): void {
    this.#gone ??= reason;
    this.#worker.terminate();
    for (const { reject } of this.#pending.values()) reject(reason);
    this.#pending.clear();
  }
}

/** Opens `path` on a connection held by `worker`; the worker is ended if it cannot. */
export async function connectSqliteWorker(worker: SqliteWorker, path: string): Promise<WorkerConnection> {
  const connection = new WorkerConnection(worker);
  try {
    await connection.open(path);
  } catch (error) {
    connection.abandon();
    throw error;
  }
  return connection;
}
