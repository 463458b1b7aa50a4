/**
 * Brings a freshly opened file to this program's schema, inside the transaction that also
 * takes the file for this process. The schema version is SQLite's `user_version`: the number
 * of embedded migrations applied.
 *
 * @module
 */

import { type SQL, sql } from "drizzle-orm";
import type { SqliteDatabase } from "../../src/runtime/sqlite.ts";
import { StoreSpecError } from "../store.ts";
import { MIGRATIONS } from "./migrations.ts";

async function single(db: SqliteDatabase, query: SQL): Promise<unknown> {
  const rows = (await db.values(query)) as unknown[][];
  return rows[0]?.[0];
}

export interface PrepareOptions {
  /** Restored instances expiring before this are moved to it: the restart's grace period. */
  graceUntil: number;
  /** `SQLITE_PATH` as given, for messages. */
  path: string;
}

/**
 * Locks the file for this connection, checks and migrates its schema, and applies the grace
 * period. Throws {@link StoreSpecError} for a file this program must not use; it is then left
 * as it was.
 */
export async function prepareDatabase(db: SqliteDatabase, { graceUntil, path }: PrepareOptions): Promise<void> {
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
  await db.run(sql.raw("PRAGMA journal_mode = WAL"));
  // NORMAL: a commit is in the WAL file (the OS has it) before it returns, which survives the
  // process dying at any point; only an OS crash or power loss can lose the last commits.
  // FULL would fsync every commit (~2.5 ms here), capping registrations at a few hundred a second.
  await db.run(sql.raw("PRAGMA synchronous = NORMAL"));
  await db.run(sql.raw("BEGIN IMMEDIATE"));
  try {
    for (const migration of MIGRATIONS.slice(version)) {
      for (const statement of migration.statements) await db.run(sql.raw(statement));
    }
    await db.run(sql.raw(`PRAGMA user_version = ${MIGRATIONS.length}`));
    await db.run(sql`UPDATE instances SET expires_at = ${graceUntil} WHERE expires_at < ${graceUntil}`);
    await db.run(sql.raw("COMMIT"));
  } catch (error) {
    await Promise.resolve(db.run(sql.raw("ROLLBACK"))).catch(() => {});
    throw error;
  }
}
