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

type MutableInstance = { -readonly [K in keyof Instance]: Instance[K] };

interface Entry {
  instance: MutableInstance;
  /** Index of `instance` in its name's array. */
  slot: number;
  /** When the queue will next look at this entry; may lag behind `instance.expiresAt`. */
  dueAt: number;
  removed: boolean;
}

export class MemoryStore implements Store {
  readonly description: string = "memory";
  #entries = new Map<string, Entry>();
  #byName = new Map<string, MutableInstance[]>();
  #queue = new ExpiryQueue<Entry>();

  /** How many instances are stored, expired ones included until they are taken. */
  get size(): number {
    return this.#entries.size;
  }

  async add(instance: Instance): Promise<void> {
    this.insert(instance);
  }

  async remove(id: string): Promise<Instance | undefined> {
    return this.delete(id);
  }

  async get(id: string): Promise<Instance | undefined> {
    return this.#entries.get(id)?.instance;
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
    this.#entries.clear();
    this.#byName.clear();
    this.#queue.clear();
  }

  // The synchronous core, for stores that keep this one as their in-memory index.

  insert(instance: Instance): void {
    const stored: MutableInstance = { ...instance };
    let siblings = this.#byName.get(stored.name);
    if (!siblings) this.#byName.set(stored.name, (siblings = []));
    const entry: Entry = { instance: stored, slot: siblings.length, dueAt: stored.expiresAt, removed: false };
    siblings.push(stored);
    this.#entries.set(stored.id, entry);
    this.#queue.push(entry);
  }

  delete(id: string): Instance | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    this.#entries.delete(id);
    entry.removed = true; // its queue entry is dropped when it surfaces
    const siblings = this.#byName.get(entry.instance.name)!;
    const last = siblings.pop()!;
    if (last !== entry.instance) {
      siblings[entry.slot] = last;
      this.#entries.get(last.id)!.slot = entry.slot;
    }
    if (siblings.length === 0) this.#byName.delete(entry.instance.name);
    return entry.instance;
  }

  extend(id: string, expiresAt: number, now: number): Instance | undefined {
    const instance = this.#entries.get(id)?.instance;
    if (!instance || instance.expiresAt <= now) return undefined;
    instance.expiresAt = expiresAt;
    return instance;
  }

  expire(now: number, limit: number): Instance[] {
    const expired: Instance[] = [];
    // Re-queued renewals count against the limit too, so one call's work stays bounded.
    for (let steps = 0; steps < limit; steps++) {
      const entry = this.#queue.peek();
      if (!entry || entry.dueAt > now) break;
      this.#queue.pop();
      if (entry.removed) continue;
      if (entry.instance.expiresAt > now) {
        entry.dueAt = entry.instance.expiresAt;
        this.#queue.push(entry);
      } else {
        expired.push(this.delete(entry.instance.id)!);
      }
    }
    return expired;
  }
}
