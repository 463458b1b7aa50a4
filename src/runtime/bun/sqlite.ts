/** SQLite on Bun: the built-in `bun:sqlite` through `drizzle-orm/bun-sqlite`. @module */

import { Database } from "bun:sqlite";
import { drizzle } from "drizzle-orm/bun-sqlite";
import type { OpenSqlite } from "../../../stores/sqlite/connection.ts";

export const openSqlite: OpenSqlite = (path) => {
  const client = new Database(path, { create: true, readwrite: true });
  // close(true) finalizes the statements Drizzle leaves open, so the file lock is released now.
  return { db: drizzle({ client }), close: () => client.close(true) };
};
