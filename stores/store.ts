/**
 * The store contract: every backend (memory, sqlite, later postgres) implements {@link Store},
 * and the registry talks to nothing else. `openStore(spec)` maps a `--store` value to a backend.
 *
 * @module
 */

import type { Logger } from "../src/logger.ts";
import { MemoryStore } from "./memory/store.ts";

/** One registered instance of a service. Times are milliseconds since the Unix epoch. */
export interface Instance {
  readonly id: string;
  readonly name: string;
  readonly address: string;
  readonly registeredAt: number;
  /** The instance is live while `now < expiresAt`. */
  readonly expiresAt: number;
  /** Free-form labels; the legacy API never sets them, later APIs will. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/**
 * A backend. Methods are async so that a networked store fits the same contract; the
 * in-process ones resolve immediately. A missing row is `undefined`, never an exception.
 */
export interface Store {
  /** What `--store` said, for the start-up line (`memory`, `sqlite:./reg.db`). */
  readonly description: string;
  /** Stores a new instance; its id is unique (the registry makes it). */
  add(instance: Instance): Promise<void>;
  /** Removes an instance, live or expired, returning what was removed. */
  remove(id: string): Promise<Instance | undefined>;
  get(id: string): Promise<Instance | undefined>;
  /**
   * All stored instances of a name, expired ones possibly included (the caller filters by
   * `expiresAt`). The array may be the store's own: callers must not keep or change it.
   */
  instancesOf(name: string): Promise<readonly Instance[]>;
  /**
   * Moves the expiry of a live instance (`now < expiresAt`) to `expiresAt`; returns the renewed
   * instance, or `undefined` when it is unknown or already expired at `now`.
   */
  renew(id: string, expiresAt: number, now: number): Promise<Instance | undefined>;
  /**
   * Removes and returns at most `limit` instances whose `expiresAt <= now`, earliest first.
   * Must cost O(returned), not O(stored): an expiry-ordered structure or index.
   */
  takeExpired(now: number, limit: number): Promise<Instance[]>;
  /** Flushes and releases the backend; the store is unusable afterwards. */
  close(): Promise<void>;
}

/** What a backend may need besides its location. */
export interface StoreOptions {
  /**
   * Seconds an instance lives without a heartbeat. A persistent store gives every instance it
   * restores at least this long from opening, so the registry's own downtime expires no one.
   * @default 30
   */
  timeout?: number;
  /** Milliseconds since the Unix epoch. @default Date.now */
  now?: () => number;
  /** For failures no request sees, such as a background write. @default silentLogger */
  logger?: Logger;
}

/** Opens a backend from the part of a `--store` value after its scheme and colon. */
export type StoreFactory = (location: string, options: StoreOptions) => Promise<Store>;

/** A `--store` value that names no backend, or a backend that cannot open its location. */
export class StoreSpecError extends Error {
  override name = "StoreSpecError";
}

const backends: Record<string, StoreFactory> = {
  memory: async () => new MemoryStore(),
  // Imported on first use: a memory-only server never loads Drizzle or a SQLite driver.
  sqlite: async (location, options) => (await import("./sqlite/store.ts")).openSqliteStore(location, options),
};

function schemeOf(spec: string): string {
  const colon = spec.indexOf(":");
  return colon === -1 ? spec : spec.slice(0, colon);
}

/** Checks a `--store` value without opening anything; returns the problem, or `undefined`. */
export function checkStoreSpec(spec: string): string | undefined {
  if (spec === "memory") return undefined;
  const scheme = schemeOf(spec);
  if (scheme === "memory" || !Object.hasOwn(backends, scheme)) {
    return `unknown store "${spec}": expected memory or sqlite:PATH`;
  }
  if (spec.length <= scheme.length + 1) return `store "${spec}" names no file: expected ${scheme}:PATH, e.g. ${scheme}:./reg.db`;
  return undefined;
}

/**
 * Opens the backend a `--store` value names: `memory`, or `sqlite:PATH`.
 *
 * @example
 * ```ts
 * const store = await openStore("memory");
 * const durable = await openStore("sqlite:./reg.db", { timeout: 30 });
 * ```
 */
export async function openStore(spec: string, options: StoreOptions = {}): Promise<Store> {
  const problem = checkStoreSpec(spec);
  if (problem) throw new StoreSpecError(problem);
  const scheme = schemeOf(spec);
  return backends[scheme](spec.slice(scheme.length + 1), options);
}
