/**
 * The shapes rows come back in, turned into the catalog's values, and the SQL fragments the
 * store's statements share.
 *
 * @module
 */

import { type SQL, sql } from "drizzle-orm";
import type { Change, ChangeType, Instance } from "../store.ts";

/** The advisory lock every change takes before its index ("srsr" in ASCII, then 2). */
export const WRITE_LOCK = 0x7372737202;

/** The channel every node listens on: `c <index>` after changes, `{"r": [[id, at], ...]}` after renewals. */
export const CHANNEL = "srsr";

/** The database's clock: milliseconds since the Unix epoch, as an integer-valued float8. */
export const DATABASE_NOW = sql`floor(extract(epoch FROM clock_timestamp()) * 1000)::float8`;

/** An instance row as a JSON object with the catalog's field names. */
export const INSTANCE_JSON = sql`jsonb_build_object('id', id, 'name', name, 'address', address, 'meta', meta,
  'ttl', ttl, 'registeredAt', registered_at, 'expiresAt', expires_at)`;

export interface ChangeRow extends Record<string, unknown> {
  idx: number;
  type: string;
  instance: Instance;
  at: number;
}

export interface InstanceRow extends Record<string, unknown> {
  instance: Instance;
}

export const changeOf = (row: ChangeRow): Change => ({ index: row.idx, type: row.type as ChangeType, instance: row.instance });

/** The changes after `index`, oldest first, with the oldest index retained (to tell a trimmed gap). */
export const changesAfter = (index: number): SQL =>
  sql`SELECT idx, type, instance, at, (SELECT min(idx) FROM srsr.changes) AS oldest
    FROM srsr.changes WHERE idx > ${index} ORDER BY idx`;
