/**
 * The default backend: everything in process memory, gone on restart.
 *
 * Lookups read a per-name array (no copy, O(1) pick); removal swaps the last element into
 * the gap so it stays O(1); expiry runs off an {@link ExpiryQueue}.
 *
 * @module
 */

import type { Instance, Store } from "../store.ts";
import { ExpiryQueue } from "./expiry_queue.ts";

/**
 * The one object kept per instance: the instance's fields plus the store's bookkeeping, so a
 * million instances cost one object each rather than two (the bookkeeping used to live in a
 * separate entry object, ~56 bytes more per instance). The bookkeeping is in private fields so
 * the record still looks, compares and serializes exactly like the {@link Instance} it holds.
 */
class StoredInstance implements Instance {
  readonly id: string;
  readonly name: string;
  readonly address: string;
  readonly registeredAt: number;
  expiresAt: number;
  readonly metadata?: Readonly<Record<string, string>>;
  #slot = -1;
  #dueAt: number;

  constructor(instance: Instance, name: string) {
    this.id = instance.id;
    this.name = name;
    this.address = instance.address;
    this.registeredAt = instance.registeredAt;
    this.expiresAt = instance.expiresAt;
    if (instance.metadata !== undefined) this.metadata = instance.metadata;
    this.#dueAt = instance.expiresAt;
  }

  /** Index in its name's array; -1 once removed (its queue entry is dropped when it surfaces). */
  get slot(): number {
    return this.#slot;
  }
  set slot(slot: number) {
    this.#slot = slot;
  }

  /** When the queue will next look at this instance; may lag behind `expiresAt`. */
  get dueAt(): number {
    return this.#dueAt;
  }
  set dueAt(dueAt: number) {
    this.#dueAt = dueAt;
  }
}

export class MemoryStore implements Store {
  readonly description: string = "memory";
  #byId = new Map<string, StoredInstance>();
  #byName = new Map<string, StoredInstance[]>();
  #queue = new ExpiryQueue<StoredInstance>();

  /** How many instances are stored, expired ones included until they are taken. */
  get size(): number {
    return this.#byId.size;
  }

  async add(instance: Instance): Promise<void> {
    this.insert(instance);
  }

  async remove(id: string): Promise<Instance | undefined> {
    return this.delete(id);
  }

  async get(id: string): Promise<Instance | undefined> {
    return this.#byId.get(id);
  }

  async instancesOf(name: string): Promise<readonly Instance[]> {
    return this.#byName.get(name) ?? [];
  }

  async renew(id: string, expiresAt: number, now: number): Promise<Instance | undefined> {
    return this.extend(id, expiresAt, now);
  }

  async takeExpired(now: number, limit: number): Promise<Instance[]> {
    return this.expire(now, limit);
  }

  async close(): Promise<void> {
    this.#byId.clear();
    this.#byName.clear();
    this.#queue.clear();
  }

  // The synchronous core, for stores that keep this one as their in-memory index.

  insert(instance: Instance): void {
    let siblings = this.#byName.get(instance.name);
    if (!siblings) this.#byName.set(instance.name, (siblings = []));
    // Siblings share one name string: each parsed request body brings its own copy.
    const stored = new StoredInstance(instance, siblings.length > 0 ? siblings[0].name : instance.name);
    stored.slot = siblings.length;
    siblings.push(stored);
    this.#byId.set(stored.id, stored);
    this.#queue.push(stored);
  }

  delete(id: string): Instance | undefined {
    const stored = this.#byId.get(id);
    if (!stored) return undefined;
    this.#byId.delete(id);
    const siblings = this.#byName.get(stored.name)!;
    const last = siblings.pop()!;
    if (last !== stored) {
      siblings[stored.slot] = last;
      last.slot = stored.slot;
    }
    stored.slot = -1;
    if (siblings.length === 0) this.#byName.delete(stored.name);
    return stored;
  }

  extend(id: string, expiresAt: number, now: number): Instance | undefined {
    const stored = this.#byId.get(id);
    if (!stored || stored.expiresAt <= now) return undefined;
    stored.expiresAt = expiresAt;
    return stored;
  }

  expire(now: number, limit: number): Instance[] {
    const expired: Instance[] = [];
    // Re-queued renewals count against the limit too, so one call's work stays bounded.
    for (let steps = 0; steps < limit; steps++) {
      const stored = this.#queue.peek();
      if (!stored || stored.dueAt > now) break;
      this.#queue.pop();
      if (stored.slot === -1) continue;
      if (stored.expiresAt > now) {
        stored.dueAt = stored.expiresAt;
        this.#queue.push(stored);
      } else {
        expired.push(this.delete(stored.id)!);
      }
    }
    return expired;
  }
}
