/**
 * The SQLite store's {@link Journal}: each change is committed, with its row in the `changes`
 * history, before the catalog applies it (see store.ts). The connection lives in a worker, so
 * a commit is a message and a reply; the request thread never waits for the disk.
 *
 * A commit that has no answer within `writeTimeoutMs` (a stuck disk) is answered with
 * {@link StoreUnavailableError} (503: nothing was changed), and every write after it is refused
 * at once until the disk answers. If that late commit then succeeds after all, it is taken back
 * out of the file (the 503 said nothing changed) before writes resume, so the file and the
 * catalog never part; if that cannot be done, writes stay refused until srsr restarts.
 *
 * @module
 */

import { sql } from "drizzle-orm";
import { statSync } from "node:fs";
import { StoreUnavailableError } from "../errors.ts";
import type { Journal } from "../memory/store.ts";
import type { Change, Instance, StoreLogger } from "../store.ts";
import type { SqliteConnection, SqliteStatement } from "./connection.ts";
import { sqliteReason } from "./location.ts";

export interface JournalOptions {
  /** Milliseconds from a write to trimming the history behind it. @default 1000 */
  trimDelayMs?: number;
  /** Milliseconds a commit may take before the write is answered as unavailable. @default 5000 */
  writeTimeoutMs?: number;
  logger?: StoreLogger;
  now: () => number;
}

const INSERT_INSTANCE = `INSERT INTO instances (id, name, address, registered_at, expires_at, metadata, ttl)
  VALUES (?, ?, ?, ?, ?, ?, ?)`;
const UPDATE_METADATA = "UPDATE instances SET metadata = ? WHERE id = ?";
// One statement per kind with the batch as a JSON parameter: a statement per row would cost a
// 100k-instance expiry ~10 µs a row.
const DELETE_INSTANCES = "DELETE FROM instances WHERE id IN (SELECT value FROM json_each(?))";
const INSERT_CHANGES = `INSERT INTO changes (idx, type, name, instance, at)
  SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each(?)`;

const metadataOf = (meta: Instance["meta"]) => (Object.keys(meta).length === 0 ? null : JSON.stringify(meta));

/** The statements that commit `changes`, made at `at`. */
function statementsOf(changes: readonly Change[], at: number): SqliteStatement[] {
  const statements: SqliteStatement[] = [];
  const removed: string[] = [];
  for (const { type, instance } of changes) {
    if (type === "register") {
      const { id, name, address, registeredAt, expiresAt, meta, ttl } = instance;
      statements.push({ sql: INSERT_INSTANCE, params: [id, name, address, registeredAt, expiresAt, metadataOf(meta), ttl] });
    } else if (type === "update") {
      statements.push({ sql: UPDATE_METADATA, params: [metadataOf(instance.meta), instance.id] });
    } else {
      removed.push(instance.id);
    }
  }
  if (removed.length > 0) statements.push({ sql: DELETE_INSTANCES, params: [JSON.stringify(removed)] });
  const rows = changes.map(({ index, type, instance }) => [index, type, instance.name, JSON.stringify(instance), at]);
  statements.push({ sql: INSERT_CHANGES, params: [JSON.stringify(rows)] });
  return statements;
}

/**
 * The statements that undo `changes`, committed though their writer was told they were not:
 * registered rows go, removed rows come back, updated meta returns to the catalog's (`meta`).
 */
function takeBackStatementsOf(changes: readonly Change[], meta: ReadonlyMap<string, Instance["meta"] | undefined>): SqliteStatement[] {
  const statements: SqliteStatement[] = [];
  for (const { type, instance } of changes) {
    const { id, name, address, registeredAt, expiresAt, ttl } = instance;
    if (type === "register") statements.push({ sql: "DELETE FROM instances WHERE id = ?", params: [id] });
    else if (type === "update") {
      const previous = meta.get(id);
      if (previous !== undefined) statements.push({ sql: UPDATE_METADATA, params: [metadataOf(previous), id] });
    } else {
      statements.push({ sql: INSERT_INSTANCE.replace("INSERT", "INSERT OR REPLACE"), params: [id, name, address, registeredAt, expiresAt, metadataOf(instance.meta), ttl] });
    }
  }
  const indices = changes.map(({ index }) => index);
  statements.push({ sql: "DELETE FROM changes WHERE idx IN (SELECT value FROM json_each(?))", params: [JSON.stringify(indices)] });
  return statements;
}

/** Whether `promise` is still unsettled after `ms`; rejects as it does if it rejects before. */
function late(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), ms)));
  return Promise.race([promise.then(() => false), deadline]).finally(() => clearTimeout(timer));
}

/**
 * The database file and its write-ahead log as opened, to notice either being deleted or
 * replaced under a running srsr (by their device and inode).
 */
class FileIdentity {
  readonly #path: string;
  readonly #file: string;
  #log: string | undefined;

  constructor(path: string) {
    this.#path = path;
    this.#file = identityOf(path)!;
  }

  /** After a write: the log exists from the first write until the connection closes. */
  noteLog(): void {
    this.#log ??= identityOf(`${this.#path}-wal`);
  }

  /** What happened to the files, or `undefined` while they are the ones opened. */
  lost(): string | undefined {
    const file = identityOf(this.#path);
    if (file !== this.#file) return file === undefined ? "the database file was deleted" : "the database file was replaced";
    if (this.#log !== undefined && identityOf(`${this.#path}-wal`) !== this.#log) {
      return `its write-ahead log ${this.#path}-wal was deleted or replaced`;
    }
    return undefined;
  }
}

function identityOf(path: string): string | undefined {
  try {
    const { dev, ino } = statSync(path);
    return `${dev}:${ino}`;
  } catch {
    return undefined;
  }
}

export class SqliteJournal implements Journal {
  readonly #description: string;
  readonly #connection: SqliteConnection;
  readonly #trimDelayMs: number;
  readonly #writeTimeoutMs: number;
  readonly #logger: StoreLogger | undefined;
  readonly #now: () => number;
  #trimTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #files: FileIdentity | undefined;
  /** Changes older than this are out of the catalog's retention; set by openSqliteStore. */
  historyStart: () => number = () => 0;
  /** The catalog's meta of a live instance, to take back a late update; set by openSqliteStore. */
  metaOf: (id: string) => Promise<Instance["meta"] | undefined> = async () => undefined;
  #trimmedBelow = 0;
  /** A commit that outlived its deadline and has not answered yet: writes are refused meanwhile. */
  #stuck: Promise<void> | undefined;
  /** Why the file no longer matches the catalog, after a late commit could not be taken back. */
  #parted: string | undefined;
  #closed = false;

  constructor(path: string, connection: SqliteConnection, options: JournalOptions) {
    this.#description = `sqlite:${path}`;
    this.#connection = connection;
    this.#trimDelayMs = options.trimDelayMs ?? 1000;
    this.#writeTimeoutMs = options.writeTimeoutMs ?? 5000;
    this.#logger = options.logger;
    this.#now = options.now;
    this.#files = path === ":memory:" ? undefined : new FileIdentity(path);
  }

  async write(changes: readonly Change[]): Promise<void> {
    this.#refuseLostFile();
    this.#refuseWhileStuck();
    const commit = this.#connection.transaction(statementsOf(changes, this.#now()));
    try {
      if (await late(commit, this.#writeTimeoutMs)) {
        this.#waitForLate(commit, changes);
        throw new StoreUnavailableError(
          `${this.#description}: the write did not complete within ${this.#writeTimeoutMs} ms (the disk is not answering); ` +
            `nothing was changed (should it commit late, it is taken back out): retry once srsr is ready`,
        );
      }
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError(`${this.#description}: the write failed: ${sqliteReason(error)}`, { cause: error });
    }
    this.#written();
  }

  async ready(): Promise<void> {
    this.#refuseLostFile();
    this.#refuseWhileStuck();
    const probe = this.#connection.db.run(sql.raw("SELECT 1")) as Promise<unknown>;
    try {
      if (await late(probe, this.#writeTimeoutMs)) {
        throw new StoreUnavailableError(`${this.#description}: the database did not answer within ${this.#writeTimeoutMs} ms`);
      }
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError(`${this.#description}: ${sqliteReason(error)}`, { cause: error });
    }
  }

  renewed(): void {
    // Nothing to write: see store.ts.
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#trimTimer);
    // What was acknowledged is committed already; a disk that does not answer is not waited for.
    const closing = this.#trim().finally(() => this.#connection.close());
    try {
      if (await late(closing, this.#writeTimeoutMs)) {
        this.#connection.abandon();
        throw new StoreUnavailableError(`${this.#description}: the database did not answer within ${this.#writeTimeoutMs} ms; closed without waiting`);
      }
    } catch (error) {
      this.#connection.abandon();
      throw error;
    }
  }

  /**
   * Writing on after the file was deleted or replaced would acknowledge changes that no restart
   * will see (SQLite keeps writing to the unlinked file): refused instead, from then on.
   */
  #refuseLostFile(): void {
    const lost = this.#files?.lost();
    if (lost) {
      throw new StoreUnavailableError(
        `${this.#description}: ${lost} while srsr runs; nothing more is written: restart srsr to open the file at that path`,
      );
    }
  }

  #refuseWhileStuck(): void {
    if (this.#parted) throw new StoreUnavailableError(`${this.#description}: ${this.#parted}`);
    if (this.#stuck) {
      throw new StoreUnavailableError(
        `${this.#description}: an earlier write has not completed for over ${this.#writeTimeoutMs} ms (the disk is not answering); ` +
          `nothing is written until it does`,
      );
    }
  }

  /** Refuses writes until `commit`, answered as unavailable, settles; takes it back if it committed. */
  #waitForLate(commit: Promise<void>, changes: readonly Change[]): void {
    this.#logger?.error(`${this.#description}: a write has not completed within ${this.#writeTimeoutMs} ms; refusing writes until the disk answers`);
    this.#stuck = commit.then(
      () => this.#takeBack(changes),
      (error) => this.#logger?.warn(`${this.#description}: the disk answered; the late write failed, as its caller was told: ${sqliteReason(error)}`),
    ).finally(() => (this.#stuck = undefined));
  }

  async #takeBack(changes: readonly Change[]): Promise<void> {
    try {
      const meta = new Map<string, Instance["meta"] | undefined>();
      for (const { type, instance } of changes) if (type === "update") meta.set(instance.id, await this.metaOf(instance.id));
      await this.#connection.transaction(takeBackStatementsOf(changes, meta));
      this.#logger?.warn(`${this.#description}: the disk answered; the late write committed and was taken back out, as its caller was told nothing changed`);
    } catch (error) {
      this.#parted = `a write that committed late could not be taken back out (${sqliteReason(error)}); nothing more is written: restart srsr`;
      this.#logger?.error(`${this.#description}: ${this.#parted}`);
    }
  }

  #written(): void {
    this.#files?.noteLog();
    if (!this.#closed) this.#trimTimer ??= setTimeout(() => void this.#trimLogged(), this.#trimDelayMs);
  }

  /** Deletes the history the catalog no longer retains. */
  async #trim(): Promise<void> {
    clearTimeout(this.#trimTimer);
    this.#trimTimer = undefined;
    const below = this.historyStart();
    if (below <= this.#trimmedBelow) return;
    await this.#connection.transaction([{ sql: "DELETE FROM changes WHERE idx < ?", params: [below] }]);
    this.#trimmedBelow = below;
  }

  async #trimLogged(): Promise<void> {
    try {
      await this.#trim();
    } catch (error) {
      // The next write schedules another attempt; until then the file keeps a little more history.
      this.#logger?.error(`${this.#description}: trimming the change history failed: ${sqliteReason(error)}`);
    }
  }
}
