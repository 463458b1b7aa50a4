/**
 * The catalog's history: the global index, the retained changes that watchers resume from,
 * and the listeners told of each committed change.
 *
 * Retention keeps at least the latest `changes` entries or those of the last `ms`, whichever
 * is more, and never more than `maxChanges`. Trimming happens as changes are appended, so it
 * costs O(trimmed), amortized O(1) per change.
 *
 * The history is kept in columns (index, type, instance, time) rather than one object per
 * change: a burst of a million registrations would otherwise leave a million more objects for
 * the garbage collector to trace for five minutes; the instances are held by the catalog anyway.
 *
 * @module
 */

import type { Change, ChangeBatch, ChangeListener, ChangeType, Instance, Retention, StoreLogger } from "../store.ts";
import { NEVER_CHANGED } from "../store.ts";

export const DEFAULT_RETENTION: Required<Retention> = { changes: 10_000, ms: 300_000, maxChanges: 1_000_000 };

const TYPES: readonly ChangeType[] = ["register", "deregister", "expire", "update"];
const TYPE_CODES: Readonly<Record<ChangeType, number>> = { register: 0, deregister: 1, expire: 2, update: 3 };

/** Stands in a dropped slot, so the array keeps one element kind. */
const DROPPED: Instance = Object.freeze({ id: "", name: "", address: "", meta: {}, ttl: 0, registeredAt: 0, expiresAt: 0 });

/** Dropped entries accumulate at the front until compacting them away is worth a copy. */
const COMPACT_AT = 4096;

export interface ChangeLogOptions {
  /** The index of the latest change already made (a reopened file's). @default NEVER_CHANGED */
  index?: number;
  /** @default DEFAULT_RETENTION */
  retention?: Retention;
  now: () => number;
  logger?: StoreLogger;
  /** Called for each change that ages out of the history. */
  onTrim?: (index: number, instance: Instance) => void;
}

export class ChangeLog {
  #index: number;
  #indices: number[] = [];
  #types: number[] = [];
  #instances: Instance[] = [];
  /** When each retained change was appended, by the store's clock. */
  #times: number[] = [];
  /** Position of the oldest retained change in the columns; earlier slots are dropped. */
  #head = 0;
  readonly #retention: Required<Retention>;
  readonly #now: () => number;
  readonly #logger: StoreLogger | undefined;
  readonly #onTrim: ((index: number, instance: Instance) => void) | undefined;
  readonly #listeners = new Set<ChangeListener>();

  constructor({ index = NEVER_CHANGED, retention = {}, now, logger, onTrim }: ChangeLogOptions) {
    this.#index = index;
    this.#retention = { ...DEFAULT_RETENTION, ...retention };
    this.#now = now;
    this.#logger = logger;
    this.#onTrim = onTrim;
  }

  /** The index of the latest change. */
  get index(): number {
    return this.#index;
  }

  /** How many changes are retained. */
  get size(): number {
    return this.#indices.length - this.#head;
  }

  /** The index of the oldest retained change; one above {@link index} when none is. */
  get oldestIndex(): number {
    return this.size > 0 ? this.#indices[this.#head] : this.#index + 1;
  }

  /** How many listeners are subscribed (tests count them after watchers leave). */
  get listenerCount(): number {
    return this.#listeners.size;
  }

  /**
   * Loads history written before a restart, oldest first, without telling listeners: each
   * change with when it was made. `index` is the global index the file was left at.
   */
  restore(changes: readonly { change: Change; at: number }[], index: number): void {
    for (const { change, at } of changes) {
      this.#push(change, at);
      if (change.index > this.#index) this.#index = change.index;
    }
    if (index > this.#index) this.#index = index;
  }

  /** Records committed changes (indices above the current one, ascending) and tells listeners. */
  append(changes: readonly Change[]): void {
    if (changes.length === 0) return;
    const at = this.#now();
    for (const change of changes) {
      if (change.index <= this.#index) {
        throw new Error(`change index ${change.index} does not follow ${this.#index}`);
      }
      this.#index = change.index;
      this.#push(change, at);
    }
    this.#trim(at);
    for (const listener of this.#listeners) {
      try {
        listener(changes);
      } catch (error) {
        this.#logger?.error(`a change listener failed (the change itself is committed): ${(error as Error)?.stack ?? error}`);
      }
    }
  }

  /**
   * The retained changes after `index` to `names` (all when omitted), or `undefined` when the
   * history after `index` is gone or `index` is ahead of this log.
   */
  since(index: number, names?: ReadonlySet<string>): ChangeBatch | undefined {
    if (index > this.#index) return undefined;
    if (index === this.#index) return { index, changes: [] };
    const indices = this.#indices;
    // Every change's index is known only from the oldest retained one on: asking from
    // further back could miss trimmed changes.
    if (this.size === 0 || index < indices[this.#head] - 1) return undefined;
    let low = this.#head;
    let high = indices.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (indices[middle] <= index) low = middle + 1;
      else high = middle;
    }
    const found: Change[] = [];
    for (let position = low; position < indices.length; position++) {
      const instance = this.#instances[position];
      if (names === undefined || names.has(instance.name)) {
        found.push({ index: indices[position], type: TYPES[this.#types[position]], instance });
      }
    }
    return { index: this.#index, changes: found };
  }

  subscribe(listener: ChangeListener): () => void {
    // Wrapped so that subscribing the same function twice gives two independent subscriptions.
    const entry: ChangeListener = (changes) => listener(changes);
    this.#listeners.add(entry);
    return () => void this.#listeners.delete(entry);
  }

  clear(): void {
    this.#indices = [];
    this.#types = [];
    this.#instances = [];
    this.#times = [];
    this.#head = 0;
    this.#listeners.clear();
  }

  #push(change: Change, at: number): void {
    this.#indices.push(change.index);
    this.#types.push(TYPE_CODES[change.type]);
    this.#instances.push(change.instance);
    this.#times.push(at);
  }

  #trim(now: number): void {
    const { changes: keep, ms, maxChanges } = this.#retention;
    const oldestKept = now - ms;
    while (this.size > keep && (this.size > maxChanges || this.#times[this.#head] < oldestKept)) {
      const position = this.#head++;
      const instance = this.#instances[position];
      // Dropped slots must not keep a removed instance alive until the next compaction.
      this.#instances[position] = DROPPED;
      this.#onTrim?.(this.#indices[position], instance);
    }
    if (this.#head >= COMPACT_AT && this.#head * 2 >= this.#indices.length) {
      this.#indices = this.#indices.slice(this.#head);
      this.#types = this.#types.slice(this.#head);
      this.#instances = this.#instances.slice(this.#head);
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    }
  }
}
