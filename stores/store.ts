/**
 * The catalog contract: what every store backend (memory, sqlite, later postgres) is, and the
 * only thing the registry knows of them. Types only: backends import this file, never the
 * reverse, and nothing here imports from `src/`.
 *
 * A store is an authoritative, revisioned catalog. Every change (register, deregister, expiry,
 * metadata update) takes the next value of one global **index**; heartbeats only move an
 * expiry and are not changes. Each name remembers the index of its own latest change, so a
 * watcher of `billing` is never woken by `payments`. Reads return live instances only, as
 * values the store never changes afterwards: a heartbeat or a patch makes a new value.
 *
 * @module
 */

/** One registered instance of a service. Times are milliseconds since the Unix epoch. */
export interface Instance {
  readonly id: string;
  readonly name: string;
  readonly address: string;
  /** Labels, string to string; `{}` when there are none. */
  readonly meta: Readonly<Record<string, string>>;
  /** Seconds the instance lives after registering or its last heartbeat (fractions allowed). */
  readonly ttl: number;
  readonly registeredAt: number;
  /** The instance is live while the store's clock reads less than this. */
  readonly expiresAt: number;
}

/** What a register asks the store to keep; the store stamps `registeredAt` and `expiresAt`. */
export interface NewInstance {
  /** Unique: a second register with a live or stored id fails with `DuplicateIdError`. */
  readonly id: string;
  readonly name: string;
  readonly address: string;
  readonly meta: Readonly<Record<string, string>>;
  readonly ttl: number;
}

export type ChangeType = "register" | "deregister" | "expire" | "update";

/** One entry of the change feed: what happened to which instance, at which index. */
export interface Change {
  readonly index: number;
  readonly type: ChangeType;
  /** The instance as it was registered or updated, or as it was when it was removed. */
  readonly instance: Instance;
}

/** How many instances are stored (live, or expired and awaiting the sweep), for limits. */
export interface StoreSizes {
  readonly total: number;
  /** Of the name being registered. */
  readonly ofName: number;
}

/** Changes, and the global index up to which they are complete. */
export interface ChangeBatch {
  readonly index: number;
  readonly changes: readonly Change[];
}

/** Keys and values an instance's meta must all have (an AND of equalities). */
export type MetaFilter = Readonly<Record<string, string>>;

/** Live instances and the index they were read at. */
export interface InstanceList {
  /** For one name, the name's index; for a snapshot, the global index. */
  readonly index: number;
  readonly instances: readonly Instance[];
}

export interface ServiceSummary {
  readonly name: string;
  /** Live instances. */
  readonly instances: number;
}

/** Every name with at least one live instance, sorted, and the global index. */
export interface ServiceList {
  readonly index: number;
  readonly services: readonly ServiceSummary[];
}

/**
 * The index of a name the store knows no change for: one that was never registered, or whose
 * last change has aged out of the retained history while it had no instances. Changes to other
 * names never move it; every real change has a higher index.
 */
export const NEVER_CHANGED = 1;

/** Called with changes once they are committed, in index order. */
export type ChangeListener = (changes: readonly Change[]) => void;

export interface Store {
  /** What `--store` said, secrets redacted, for the start-up line (`memory`, `sqlite:./reg.db`). */
  readonly description: string;

  /** The global index: the index of the latest change, or {@link NEVER_CHANGED} before any. */
  index(): number;
  /** The index of `name`'s latest change, or {@link NEVER_CHANGED}. */
  nameIndex(name: string): number;
  /**
   * The highest index of a change the store has forgotten along with its name (a name left
   * without instances whose history aged out), or {@link NEVER_CHANGED}. A name reporting
   * NEVER_CHANGED has had no change above this: a watcher holding an index at or above it has
   * seen everything there is to see of such a name.
   */
  reapedIndex(): number;

  /**
   * Adds an instance, live for `ttl` seconds from the store's clock. A `register` change.
   * `admit`, given how many instances are stored, may throw to refuse it (a limit); it runs
   * atomically with the insert, so concurrent registers cannot together pass a limit.
   */
  register(instance: NewInstance, admit?: (sizes: StoreSizes) => void): Promise<Instance>;
  /** Removes a live instance: a `deregister` change. `undefined` when unknown or expired. */
  deregister(id: string): Promise<Instance | undefined>;
  /** Renews a live instance for its own TTL; not a change. `undefined` when unknown or expired. */
  heartbeat(id: string): Promise<Instance | undefined>;
  /**
   * Replaces a live instance's meta with `update(current meta)`, atomically: `update` may throw
   * to refuse (nothing changes). An `update` change, unless the new meta equals the old (then
   * the index does not move). `undefined` when the instance is unknown or expired.
   */
  updateMeta(id: string, update: (meta: Instance["meta"]) => Instance["meta"]): Promise<Instance | undefined>;

  /** A live instance, or `undefined`. */
  get(id: string): Promise<Instance | undefined>;
  /**
   * The live instances of `name` whose meta matches `filter`, oldest registration first (then
   * by id), with the name's index.
   */
  list(name: string, filter?: MetaFilter): Promise<InstanceList>;
  /**
   * One live instance of `name` matching `filter`, chosen uniformly with `random` (a float in
   * [0, 1)), or `undefined`. Costs O(1) in the common case: the lookup hot path.
   */
  pick(name: string, random: () => number, filter?: MetaFilter): Promise<Instance | undefined>;
  /** Every name with at least one live instance. */
  services(): Promise<ServiceList>;
  /**
   * The live instances of `names` (every name when omitted) and the global index they were
   * read at, consistently: every change up to that index and none after it.
   */
  snapshot(names?: ReadonlySet<string>): Promise<InstanceList>;

  /**
   * The changes after `index` to instances of `names` (every name when omitted), oldest first,
   * and the global index the answer is complete up to. `undefined` when the history after
   * `index` is no longer retained, or `index` is ahead of the store (it was reset): the caller
   * must take a fresh snapshot instead.
   */
  changesSince(index: number, names?: ReadonlySet<string>): Promise<ChangeBatch | undefined>;

  /**
   * Removes expired instances, each an `expire` change, looking at no more than `limit`
   * candidates (renewed ones put back count too), so one call's work stays bounded. `more` says
   * whether candidates may remain: the registry calls it in slices until it is false.
   */
  expire(limit: number): Promise<{ expired: number; more: boolean }>;

  /**
   * Calls `listener` after every committed change. A listener that throws is logged and
   * skipped: it never fails the write or stops the other listeners. Returns the unsubscribe.
   */
  subscribe(listener: ChangeListener): () => void;

  /**
   * A real round trip to the backend: resolves when it can take writes, rejects with a
   * `StoreUnavailableError` saying why when it cannot (for readiness checks).
   */
  ready(): Promise<void>;

  /** Flushes and releases the backend; the store is unusable afterwards. */
  close(): Promise<void>;
}

/** The few log calls a backend makes; srsr's logger fits it. */
export interface StoreLogger {
  error(message: string): void;
  warn(message: string): void;
}

/** How much change history a store keeps for watchers to resume from. */
export interface Retention {
  /** Keep at least this many of the latest changes. @default 10_000 */
  changes?: number;
  /** Keep at least the changes of this many milliseconds. @default 300_000 (5 minutes) */
  ms?: number;
  /**
   * Never keep more than this many, whatever their age, so a flood of churn cannot exhaust
   * memory. @default 1_000_000
   */
  maxChanges?: number;
}

/** What every backend takes besides its location. */
export interface StoreOptions {
  /**
   * The TTL, in seconds, of instances restored from a file written before instances had their
   * own (srsr 0.1): the server's `--timeout`. @default 30
   */
  defaultTtl?: number;
  /**
   * Milliseconds since the Unix epoch: the clock expiry is decided by. @default the backend's
   * own: the memory and SQLite stores keep a lease clock (monotonic, and standing still while
   * srsr was not running: stores/memory/lease_clock.ts); a store on a shared database reads the
   * database's clock, which no node's pause stops.
   */
  now?: () => number;
  /** For failures no request sees, and listeners that throw. @default no logging */
  logger?: StoreLogger;
  /** @default { changes: 10_000, ms: 300_000, maxChanges: 1_000_000 } */
  retention?: Retention;
  /**
   * Counted into as heartbeats are answered, for metrics: a store counts them where it answers
   * them, since watching a heartbeat's promise from outside would cost it one more promise.
   */
  heartbeatCounts?: HeartbeatCounts;
  /**
   * Counted into when a store that keeps its own clock notices srsr was not running and extends
   * every lease by the gap (memory, SQLite, with no `now` given); other stores never count.
   */
  pauseCounts?: PauseCounts;
}

/** The pauses a store noticed: times srsr was not running, and their length in all. */
export interface PauseCounts {
  pauses: number;
  pausedMs: number;
}

/** Heartbeats answered: those that renewed a live instance, and those that named none. */
export interface HeartbeatCounts {
  renewed: number;
  unknown: number;
}
