/**
 * Brings a freshly opened file to this program's schema, inside the transaction that also
 * takes the file for this process. The schema version is SQLite's `user_version`: the number
 * of embedded migrations applied.
 *
 * @module
 */

import { type SQL, sql } from "drizzle-orm";
import { StoreSpecError } from "../errors.ts";
import type { SqliteDatabase } from "./connection.ts";
import { MIGRATIONS } from "./migrations.ts";

async function single(db: SqliteDatabase, query: SQL): Promise<unknown> {
  const rows = (await db.values(query)) as unknown[][];
  return rows[0]?.[0];
}

export interface PrepareOptions {
  /** When the store opens: restored instances are live for at least their TTL from then. */
  openedAt: number;
  /** The TTL, in seconds, of rows written before instances had their own (srsr 0.1). */
  defaultTtl: number;
  /** `SQLITE_PATH` as given, for messages. */
  path: string;
}

/**
 * Locks the file for this connection, checks and migrates its schema, gives rows from srsr 0.1
 * the default TTL, and applies the restart's grace period: every instance lives at least its
 * own TTL from `openedAt`, so the registry's own downtime expires no one. Throws {@link StoreSpecError} for a file this program must not use; it is then left
 * as it was.
 */
export async function prepareDatabase(db: SqliteDatabase, { openedAt, defaultTtl, path }: PrepareOptions): Promise<void> {
  // Once this connection has written, it keeps the file locked until it closes (or its process
  // dies), so a second srsr on the same file fails its first read with SQLITE_BUSY instead of
  // running beside us. It also keeps WAL's index in process memory: no -shm file.
  await db.run(sql.raw("PRAGMA locking_mode = EXCLUSIVE"));
  const version = Number(await single(db, sql.raw("PRAGMA user_version")));
  if (version > MIGRATIONS.length) {
    throw new StoreSpecError(
      `cannot open sqlite:${path}: its schema (version ${version}) is newer than this srsr knows ` +
        `(version ${MIGRATIONS.length}); left untouched: run a newer srsr or use another path`,
    );
  }
  if (version === 0) {
    const tables = Number(await single(db, sql.raw("SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")));
    if (tables > 0) {
      throw new StoreSpecError(
        `cannot open sqlite:${path}: it is a SQLite database but not srsr's (it has tables and no srsr schema ` +
          `version); left untouched: choose a new path`,
      );
    }
  }
  // The schema and the grace period are written in one transaction, in the journal mode the
  // file is in (WAL for every file srsr wrote): if the disk is full it rolls back, leaving the
  // file as it was. Only then is a new file switched to WAL, which writes its header.
  await db.run(sql.raw("BEGIN IMMEDIATE"));
  try {
    for (const migration of MIGRATIONS.slice(version)) {
      for (const statement of migration.statements) await db.run(sql.raw(statement));
    }
    await db.run(sql.raw(`PRAGMA user_version = ${MIGRATIONS.length}`));
    await db.run(sql`UPDATE instances SET ttl = ${defaultTtl} WHERE ttl IS NULL`);
    await db.run(sql`UPDATE instances
      SET expires_at = max(expires_at, ${openedAt} + max(1, CAST(round(ttl * 1000) AS INTEGER)))`);
    await db.run(sql.raw("COMMIT"));
  } catch (error) {
    await rollBack(db);
    throw error;
  }
  await db.run(sql.raw("PRAGMA journal_mode = WAL"));
  // NORMAL: a commit is in the WAL file (the OS has it) before it returns, which survives the
  // process dying at any point; only an OS crash or power loss can lose the last commits.
  // FULL would fsync every commit (~2.5 ms here), capping registrations at a few hundred a second.
  await db.run(sql.raw("PRAGMA synchronous = NORMAL"));
}

/**
 * Rolls back the open transaction, if SQLite has not already (it does itself after a full
 * disk): the error that made it roll back is the one to report, never this one's. Bun's
 * driver throws synchronously, Deno's rejects.
 */
export async function rollBack(db: SqliteDatabase): Promise<void> {
  try {
    await db.run(sql.raw("ROLLBACK"));
  } catch {
    // No transaction was open any more.
  }
}
