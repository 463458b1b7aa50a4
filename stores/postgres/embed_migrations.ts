/**
 * Turns drizzle-kit's migration folder into `migrations.ts`, as the SQLite store does (see
 * stores/sqlite/embed_migrations.ts): the binary needs no folder beside it. `npm run db:generate`
 * runs this after drizzle-kit; a test fails when the module and the folder disagree.
 *
 * @module
 */

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderMigrationsModule } from "../sqlite/embed_migrations.ts";

const HERE = import.meta.dirname ?? new URL(".", import.meta.url).pathname;
export const MIGRATIONS_FOLDER = join(HERE, "migrations");
export const MIGRATIONS_MODULE = join(HERE, "migrations.ts");

/** The source of `migrations.ts` for the PostgreSQL migrations in `folder`. */
export const renderPostgresMigrations = (folder: string = MIGRATIONS_FOLDER) => renderMigrationsModule(folder, "postgres");

if (import.meta.main) {
  writeFileSync(MIGRATIONS_MODULE, renderPostgresMigrations());
  console.error(`wrote ${MIGRATIONS_MODULE}`);
}
