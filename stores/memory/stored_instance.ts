/**
 * The memory store's record of one instance, and the small rules about instances it applies:
 * liveness, TTLs in milliseconds, meta filters and equality, the listing order.
 *
 * @module
 */

import type { Instance, MetaFilter } from "../store.ts";
import type { Queued } from "./expiry_queue.ts";

/** Shared by every instance registered without meta, so legacy registrations cost no object. */
const NO_META: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The one object kept per instance: its fields, plus the store's bookkeeping in private fields
 * so the value still looks, compares and serializes exactly like the {@link Instance} it is.
 *
 * Once handed out (returned by a read, or recorded in the history) a record is never changed:
 * a heartbeat or a patch puts a new one in its place. Until then a heartbeat may move its
 * `expiresAt` in place, since no one can tell; heartbeats of instances no one reads in between
 * then allocate nothing, which kept the legacy heartbeat within 1% of srsr 0.1's CPU per
 * request (a new record per heartbeat cost 4%: it lives until the next heartbeat, long enough
 * to burden the garbage collector).
 */
export class StoredInstance implements Instance, Queued {
  readonly id: string;
  readonly name: string;
  readonly address: string;
  readonly meta: Readonly<Record<string, string>>;
  readonly ttl: number;
  readonly registeredAt: number;
  /** Moved in place only while no one holds this record; see the class comment. */
  expiresAt: number;
  #shared = false;
  #slot = -1;
  #entry: NameEntry | undefined;
  #dueAt: number;
  #queuePosition = -1;

  /** A copy of `instance`, with a new expiry or meta if given. */
  constructor(instance: Instance, expiresAt: number = instance.expiresAt, meta: Instance["meta"] = instance.meta) {
    this.id = instance.id;
    this.name = instance.name;
    this.address = instance.address;
    this.meta = meta;
    this.ttl = instance.ttl;
    this.registeredAt = instance.registeredAt;
    this.expiresAt = expiresAt;
    this.#dueAt = expiresAt;
  }

  /** Whether the record has been handed out, so that it must never change again. */
  get shared(): boolean {
    return this.#shared;
  }

  /** Marks the record as handed out and returns it. */
  share(): this {
    this.#shared = true;
    return this;
  }

  /** Index in its name's array; -1 once removed or replaced. */
  get slot(): number {
    return this.#slot;
  }
  set slot(slot: number) {
    this.#slot = slot;
  }
  /** Its name's entry while stored: heartbeats replace it in the entry without a lookup by name. */
  get entry(): NameEntry | undefined {
    return this.#entry;
  }
  set entry(entry: NameEntry | undefined) {
    this.#entry = entry;
  }
  /** When the queue next looks at it; at most `expiresAt`. */
  get dueAt(): number {
    return this.#dueAt;
  }
  set dueAt(dueAt: number) {
    this.#dueAt = dueAt;
  }
  get queuePosition(): number {
    return this.#queuePosition;
  }
  set queuePosition(position: number) {
    this.#queuePosition = position;
  }
}

export interface NameEntry {
  /** The first registration's copy of the name, shared by every sibling. */
  readonly name: string;
  readonly instances: StoredInstance[];
  /** The global index of the name's latest change. */
  index: number;
}

/**
 * A TTL in whole milliseconds, at least 1: times are integers in every backend (SQLite's
 * migrate.ts computes the same in SQL).
 */
export const ttlMs = (ttl: number): number => Math.max(1, Math.round(ttl * 1000));

export const withoutEmpty = (meta: Instance["meta"]) => (Object.keys(meta).length === 0 ? NO_META : meta);

export const isLive = (instance: Instance, now: number) => instance.expiresAt > now;

export function matches(meta: Readonly<Record<string, string>>, filter: MetaFilter | undefined): boolean {
  if (filter === undefined) return true;
  for (const key in filter) if (meta[key] !== filter[key]) return false;
  return true;
}

export function sameMeta(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
}

/** Registration order, then id: the order every backend lists instances in. */
export function byRegistration(a: Instance, b: Instance): number {
  return a.registeredAt - b.registeredAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

