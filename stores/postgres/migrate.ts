/**
 * Brings the database to this program's schema. Several nodes may start at once on an empty
 * database: each takes the same transaction-scoped advisory lock first, so exactly one applies
 * the migrations and the others then find them applied. The schema version is the number of
 * rows in `srsr.migrations`.
 *
 * @module
 */

import { sql } from "drizzle-orm";
import { StoreSpecError } from "../errors.ts";
import type { PostgresDatabase } from "./connection.ts";
import { MIGRATIONS } from "./migrations.ts";

/** The advisory lock key migrations take ("srsr" in ASCII, then 1). */
export const MIGRATION_LOCK = 0x7372737201;

/**
 * Applies the embedded migrations the database lacks, under {@link MIGRATION_LOCK}. Throws
 * {@link StoreSpecError} when the database's schema is newer than this program knows; it is
 * then left as it was. `where` names the database in messages.
 */
export async function migrate(db: PostgresDatabase, where: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    const [{ applied }] = await tx.execute<{ applied: boolean }>(sql`SELECT to_regclass('srsr.migrations') IS NOT NULL AS applied`);
    let version = 0;
    if (applied) {
      const [row] = await tx.execute<{ version: number }>(sql`SELECT count(*)::int AS version FROM srsr.migrations`);
      version = row.version;
    }
    if (version > MIGRATIONS.length) {
      throw new StoreSpecError(
        `cannot use PostgreSQL at ${where}: its srsr schema (version ${version}) is newer than this srsr knows ` +
          `(version ${MIGRATIONS.length}); left untouched: run a newer srsr or use another database`,
      );
    }
    for (const [position, migration] of MIGRATIONS.entries()) {
      if (position < version) continue;
      for (const statement of migration.statements) await tx.execute(sql.raw(statement));
      await tx.execute(sql`INSERT INTO srsr.migrations (version, tag, applied_at)
        VALUES (${position + 1}, ${migration.tag}, floor(extract(epoch FROM clock_timestamp()) * 1000))`);
    }
  });
}
