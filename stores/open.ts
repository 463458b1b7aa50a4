/**
 * `openStore(spec, deps)`: maps a `--store` value to a backend and opens it. Backends are
 * imported on first use, so a memory-only server never loads Drizzle, a SQLite driver or
 * postgres.js. A PostgreSQL URL's password never leaves this module in a message.
 *
 * @module
 */

import { StoreSpecError } from "./errors.ts";
import { MemoryStore } from "./memory/store.ts";
import type { OpenSqlite } from "./sqlite/connection.ts";
import type { Store, StoreOptions } from "./store.ts";

/** What backends need from the composition root besides their location. */
export interface StoreDeps extends StoreOptions {
  /** The runtime's SQLite driver; only `sqlite:` specs use it. */
  openSqlite?: OpenSqlite;
}

type Backend = (location: string, deps: StoreDeps) => Promise<Store>;

/** Both schemes PostgreSQL's own tools accept; the whole URL goes to the driver. */
const postgres: Backend = async (location, { openSqlite: _, ...options }) =>
  (await import("./postgres/store.ts")).openPostgresStore(location, options);

const backends: Record<string, Backend> = {
  memory: async (_location, deps) => new MemoryStore(deps),
  sqlite: async (location, { openSqlite, ...options }) => {
    if (openSqlite === undefined) throw new StoreSpecError("the sqlite store needs a SQLite driver, and none was given");
    return (await import("./sqlite/store.ts")).openSqliteStore(location, { ...options, openSqlite });
  },
  postgres,
  postgresql: postgres,
};

const EXPECTED = "memory, sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE";

/** `postgres://user:secret@db/srsr` as `postgres://user@db/srsr`, for messages. */
function redacted(spec: string): string {
  return spec.replace(/^([a-z]+:(?:\/\/)?[^:@/]*):[^@/]*@/i, "$1@");
}

function schemeOf(spec: string): string {
  const colon = spec.indexOf(":");
  return colon === -1 ? spec : spec.slice(0, colon);
}

/** Checks a `--store` value without opening anything; returns the problem, or `undefined`. */
export function checkStoreSpec(spec: string): string | undefined {
  if (spec === "memory") return undefined;
  const scheme = schemeOf(spec);
  if (scheme === "memory" || !Object.hasOwn(backends, scheme)) {
    return `unknown store "${redacted(spec)}": expected ${EXPECTED}`;
  }
  if (scheme === "postgres" || scheme === "postgresql") {
    let url: URL | undefined;
    try {
      url = new URL(spec);
    } catch {
      // reported below
    }
    if (url === undefined || !spec.startsWith(`${scheme}://`)) {
      return `store "${redacted(spec)}" is not a PostgreSQL URL: expected ${scheme}://USER:PASSWORD@HOST:PORT/DATABASE ` +
        `(percent-encode special characters in the password)`;
    }
    return undefined;
  }
  if (spec.length <= scheme.length + 1) return `store "${spec}" names no file: expected ${scheme}:PATH, e.g. ${scheme}:./reg.db`;
  return undefined;
}

/**
 * Opens the backend a `--store` value names: `memory`, `sqlite:PATH` or `postgres://…`
 * (`postgresql://…`). Throws
 * {@link StoreSpecError} for a value or location that cannot be used.
 *
 * @example
 * ```ts
 * const store = await openStore("memory");
 * const durable = await openStore("sqlite:./reg.db", { defaultTtl: 30, openSqlite });
 * ```
 */
export async function openStore(spec: string, deps: StoreDeps = {}): Promise<Store> {
  const problem = checkStoreSpec(spec);
  if (problem) throw new StoreSpecError(problem);
  const scheme = schemeOf(spec);
  const location = scheme === "postgres" || scheme === "postgresql" ? spec : spec.slice(scheme.length + 1);
  return backends[scheme](location, deps);
}
