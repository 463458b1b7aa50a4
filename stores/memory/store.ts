/**
 * The in-memory catalog: the default backend, and the index every persistent backend keeps in
 * front of its file (it hands its writes to a {@link Journal} before applying them).
 *
 * Each name's live and not-yet-swept instances sit in one array (O(1) pick; removal swaps the
 * last element into the gap), instances by id in a Map, expiry runs off an {@link ExpiryQueue},
 * and the history off a {@link ChangeLog}. Instances are values: once a record has been handed
 * out, a heartbeat or a patch puts a new one in its place, so whatever a caller holds never
 * changes under it (see StoredInstance).
 *
 * @module
 */

import { DuplicateIdError } from "../errors.ts";
import type {
  Change,
  ChangeBatch,
  ChangeListener,
  ChangeType,
  HeartbeatCounts,
  Instance,
  InstanceList,
  MetaFilter,
  NewInstance,
  ServiceList,
  ServiceSummary,
  Store,
  StoreOptions,
  StoreSizes,
} from "../store.ts";
import { NEVER_CHANGED } from "../store.ts";
import { ChangeLog } from "./change_log.ts";
import { ExpiryQueue } from "./expiry_queue.ts";
import { type LeaseClock, reportingLeaseClock } from "./lease_clock.ts";
import {
  byRegistration,
  isLive,
  matches,
  type NameEntry,
  sameMeta,
  StoredInstance,
  ttlMs,
  withoutEmpty,
} from "./stored_instance.ts";

/** What a persistent backend does with the catalog's writes. */
export interface Journal {
  /**
   * Makes `changes` durable (the instances' rows and the history's). The catalog applies them
   * only once this returns or resolves; if it throws, the catalog stays as it was.
   */
  write(changes: readonly Change[]): void | Promise<void>;
  /** A heartbeat moved `instance`'s expiry. Not a change: it may be written later. */
  renewed(instance: Instance): void;
  /** A round trip to the file or database; rejects with why it cannot take writes. */
  ready(): Promise<void>;
  /** Writes whatever is pending and releases the file; close() calls it after the last write. */
  close(): Promise<void>;
}

/** What a reopened file holds, for {@link MemoryStore.restore}. */
export interface RestoredCatalog {
  instances: readonly Instance[];
  /** The retained history, oldest first, with when each change was made. */
  changes: readonly { change: Change; at: number }[];
  /** The global index when the file was last written. */
  index: number;
}

export interface MemoryStoreOptions extends StoreOptions {
  /** Set by persistent backends; the memory store alone has none. */
  journal?: Journal;
  /**
   * The lease clock to start now and stop on close; `now` reads it unless given. @default one
   * reporting to `logger` and `pauseCounts` when `now` is not given, else none
   */
  leaseClock?: LeaseClock;
  /** @default "memory" */
  description?: string;
}

export class MemoryStore implements Store {
  readonly description: string;
  readonly #byId = new Map<string, StoredInstance>();
  readonly #names = new Map<string, NameEntry>();
  readonly #queue = new ExpiryQueue<StoredInstance>();
  readonly #log: ChangeLog;
  readonly #now: () => number;
  readonly #leaseClock: LeaseClock | undefined;
  readonly #journal: Journal | undefined;
  readonly #heartbeats: HeartbeatCounts;
  /** See {@link reapedIndex}. */
  #reaped = NEVER_CHANGED;
  /** The last journaled write; each waits for it, so index order is commit order. */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(
    {
      now,
      logger,
      retention,
      journal,
      description = "memory",
      heartbeatCounts = { renewed: 0, unknown: 0 },
      pauseCounts,
      leaseClock = now === undefined ? reportingLeaseClock({ logger, pauseCounts }) : undefined,
    }: MemoryStoreOptions = {},
  ) {
    this.description = description;
    now ??= leaseClock!.now;
    this.#now = now;
    this.#leaseClock = leaseClock;
    leaseClock?.start();
    this.#journal = journal;
    this.#heartbeats = heartbeatCounts;
    this.#log = new ChangeLog({ now, logger, retention, onTrim: (index, instance) => this.#forget(index, instance) });
  }

  /** Stored instances, expired ones included until the sweep takes them. */
  get size(): number {
    return this.#byId.size;
  }

  /** Entries in the expiry queue: one per stored instance. */
  get queued(): number {
    return this.#queue.size;
  }

  /** Names with instances or retained history. */
  get names(): number {
    return this.#names.size;
  }

  /** Changes kept in the history. */
  get retainedChanges(): number {
    return this.#log.size;
  }

  /** The index of the oldest change kept in the history; one above the global index when none is. */
  get oldestRetainedIndex(): number {
    return this.#log.oldestIndex;
  }

  /** Subscribed change listeners. */
  get listenerCount(): number {
    return this.#log.listenerCount;
  }

  /** Loads a reopened file's catalog; call once, before anything else. */
  restore({ instances, changes, index }: RestoredCatalog): void {
    // A file from before the history existed holds instances but no change: count its
    // contents as one, so that their names' index is above NEVER_CHANGED.
    this.#log.restore(changes, instances.length > 0 ? Math.max(index, NEVER_CHANGED + 1) : index);
    for (const instance of instances) this.#insert(new StoredInstance(instance), NEVER_CHANGED);
    for (const { change } of changes) {
      (this.#names.get(change.instance.name) ?? this.#entry(change.instance.name)).index = change.index;
    }
    // A name whose latest change has aged out changed at the latest just before the oldest
    // change kept, which is the most precise index it can report.
    const lostUpTo = changes.length > 0 ? changes[0].change.index - 1 : this.#log.index;
    const floor = Math.max(NEVER_CHANGED + 1, lostUpTo);
    for (const entry of this.#names.values()) if (entry.index === NEVER_CHANGED) entry.index = floor;
    // Any change lost with the history may have been to a name that is now unknown.
    this.#reaped = Math.max(NEVER_CHANGED, lostUpTo);
  }

  index(): number {
    return this.#log.index;
  }

  nameIndex(name: string): number {
    return this.#names.get(name)?.index ?? NEVER_CHANGED;
  }

  reapedIndex(): number {
    return this.#reaped;
  }

  register(instance: NewInstance, admit?: (sizes: StoreSizes) => void): Promise<Instance> {
    return this.#write(async () => {
      if (this.#byId.has(instance.id)) throw new DuplicateIdError(instance.id);
      const now = this.#now();
      const entry = this.#names.get(instance.name);
      admit?.({ total: this.#byId.size, ofName: entry?.instances.length ?? 0 });
      const stored = new StoredInstance({
        id: instance.id,
        name: entry?.name ?? instance.name,
        address: instance.address,
        meta: withoutEmpty(instance.meta),
        ttl: instance.ttl,
        registeredAt: now,
        expiresAt: now + ttlMs(instance.ttl),
      });
      const [change] = this.#changes("register", [stored]);
      if (this.#journal) await this.#journal.write([change]);
      this.#insert(stored, change.index);
      this.#log.append([change]);
      return stored;
    });
  }

  deregister(id: string): Promise<Instance | undefined> {
    return this.#write(async () => {
      const stored = this.#byId.get(id);
      // An expired one is left for the sweep, which records its expiry.
      if (!stored || !isLive(stored, this.#now())) return undefined;
      const [change] = this.#changes("deregister", [stored]);
      if (this.#journal) await this.#journal.write([change]);
      const current = this.#byId.get(id)!.share(); // a heartbeat may have replaced it meanwhile
      this.#remove(current, change.index);
      this.#log.append([{ ...change, instance: current }]);
      return current;
    });
  }

  async heartbeat(id: string): Promise<Instance | undefined> {
    let stored = this.#byId.get(id);
    const now = this.#now();
    if (!stored || !isLive(stored, now)) {
      this.#heartbeats.unknown++;
      return undefined;
    }
    this.#heartbeats.renewed++;
    const expiresAt = now + ttlMs(stored.ttl);
    if (stored.shared) {
      const renewed = new StoredInstance(stored, expiresAt);
      this.#replace(stored, renewed);
      stored = renewed;
    } else {
      stored.expiresAt = expiresAt; // its queue entry is due no later than before: see ExpiryQueue
    }
    this.#journal?.renewed(stored);
    // A copy, so that the record itself stays unshared and the next heartbeat can move it again.
    // Written out: spreading a class instance costs ~80 ns in JavaScriptCore, a literal ~10.
    const { id: instanceId, name, address, meta, ttl, registeredAt } = stored;
    return { id: instanceId, name, address, meta, ttl, registeredAt, expiresAt };
  }

  updateMeta(
    id: string,
    update: (meta: Readonly<Record<string, string>>) => Readonly<Record<string, string>>,
  ): Promise<Instance | undefined> {
    return this.#write(async () => {
      const stored = this.#byId.get(id);
      if (!stored || !isLive(stored, this.#now())) return undefined;
      const meta = withoutEmpty(update(stored.meta));
      if (sameMeta(meta, stored.meta)) return stored.share();
      const [change] = this.#changes("update", [new StoredInstance(stored, stored.expiresAt, meta)]);
      if (this.#journal) await this.#journal.write([change]);
      const current = this.#byId.get(id)!;
      const updated = current === stored ? (change.instance as StoredInstance) : new StoredInstance(current, current.expiresAt, meta).share();
      this.#replace(current, updated);
      updated.entry!.index = change.index;
      this.#log.append([{ ...change, instance: updated }]);
      return updated;
    });
  }

  async get(id: string): Promise<Instance | undefined> {
    const stored = this.#byId.get(id);
    return stored && isLive(stored, this.#now()) ? stored.share() : undefined;
  }

  async list(name: string, filter?: MetaFilter): Promise<InstanceList> {
    const entry = this.#names.get(name);
    if (!entry) return { index: NEVER_CHANGED, instances: [] };
    const now = this.#now();
    const instances = entry.instances.filter((instance) => isLive(instance, now) && matches(instance.meta, filter));
    for (const instance of instances) instance.share();
    return { index: entry.index, instances: instances.sort(byRegistration) };
  }

  async pick(name: string, random: () => number, filter?: MetaFilter): Promise<Instance | undefined> {
    const instances = this.#names.get(name)?.instances;
    if (instances === undefined || instances.length === 0) return undefined;
    const now = this.#now();
    if (filter === undefined) {
      // The common case costs one draw; expired instances awaiting the sweep, or a filter,
      // cost a pass over the name's instances.
      const first = instances[Math.floor(random() * instances.length)];
      if (isLive(first, now)) return first.share();
    }
    const candidates = instances.filter((instance) => isLive(instance, now) && matches(instance.meta, filter));
    return candidates.length === 0 ? undefined : candidates[Math.floor(random() * candidates.length)].share();
  }

  async services(): Promise<ServiceList> {
    const now = this.#now();
    const services: ServiceSummary[] = [];
    for (const entry of this.#names.values()) {
      let live = 0;
      for (const instance of entry.instances) if (isLive(instance, now)) live++;
      if (live > 0) services.push({ name: entry.name, instances: live });
    }
    services.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { index: this.#log.index, services };
  }

  async snapshot(names?: ReadonlySet<string>): Promise<InstanceList> {
    const now = this.#now();
    const instances: Instance[] = [];
    const add = (entry: NameEntry | undefined) => {
      if (entry) for (const instance of entry.instances) if (isLive(instance, now)) instances.push(instance.share());
    };
    if (names === undefined) for (const entry of this.#names.values()) add(entry);
    else for (const name of names) add(this.#names.get(name));
    return { index: this.#log.index, instances: instances.sort(byRegistration) };
  }

  async changesSince(index: number, names?: ReadonlySet<string>): Promise<ChangeBatch | undefined> {
    return this.#log.since(index, names);
  }

  expire(limit: number): Promise<{ expired: number; more: boolean }> {
    return this.#write(async () => {
      const now = this.#now();
      const expired: StoredInstance[] = [];
      // Renewed entries moved down the queue count against the limit too, so one call's work
      // stays bounded however many heartbeats came since the last sweep.
      let steps = 0;
      for (; steps < limit; steps++) {
        const head = this.#queue.peek();
        if (!head || head.dueAt > now) break;
        if (isLive(head, now)) {
          this.#queue.reschedule(head, head.expiresAt);
        } else {
          this.#queue.remove(head);
          expired.push(head);
        }
      }
      if (expired.length === 0) return { expired: 0, more: steps === limit };
      const changes = this.#changes("expire", expired);
      try {
        if (this.#journal) await this.#journal.write(changes);
      } catch (error) {
        for (const instance of expired) this.#queue.push(instance);
        throw error;
      }
      for (const change of changes) this.#remove(change.instance as StoredInstance, change.index);
      this.#log.append(changes);
      return { expired: expired.length, more: steps === limit };
    });
  }

  subscribe(listener: ChangeListener): () => void {
    return this.#log.subscribe(listener);
  }

  // A cache: the PostgreSQL store keeps a MemoryStore in front of the database, fed from its
  // change feed. Those changes come committed, with the database's indices, so they are applied
  // rather than written, and the cache never expires anything itself (the database's reaper does).

  /**
   * Applies changes committed elsewhere, oldest first; those at or below the global index are
   * skipped, so the same change may be offered twice. Listeners are told, as after a write.
   */
  apply(changes: readonly Change[]): void {
    const applied: Change[] = [];
    for (const change of changes) {
      if (change.index <= this.#log.index || (applied.length > 0 && change.index <= applied.at(-1)!.index)) continue;
      const { type, index } = change;
      const current = this.#byId.get(change.instance.id);
      let logged = change.instance;
      if (type === "register") {
        if (current) this.#remove(current, index);
        const stored = new StoredInstance({ ...change.instance, meta: withoutEmpty(change.instance.meta) });
        this.#insert(stored, index);
        logged = stored.share();
      } else if (type === "update" && current) {
        const updated = new StoredInstance(current, Math.max(current.expiresAt, change.instance.expiresAt), withoutEmpty(change.instance.meta));
        this.#replace(current, updated.share());
        updated.entry!.index = index;
        logged = updated;
      } else if (current && (type === "deregister" || type === "expire")) {
        this.#remove(current, index);
      } else {
        (this.#names.get(change.instance.name) ?? this.#entry(change.instance.name)).index = index;
      }
      applied.push({ index, type, instance: logged });
    }
    this.#log.append(applied);
  }

  /**
   * A heartbeat answered elsewhere at `renewedAt`: the instance lives its TTL from then, unless
   * it already lives longer. Not a change; unknown ids are ignored.
   */
  renew(id: string, renewedAt: number): void {
    const stored = this.#byId.get(id);
    const expiresAt = renewedAt + ttlMs(stored?.ttl ?? 0);
    if (!stored || expiresAt <= stored.expiresAt) return;
    if (stored.shared) this.#replace(stored, new StoredInstance(stored, expiresAt));
    else stored.expiresAt = expiresAt;
  }

  /** How many instances are stored, in all and of `name` (what a register's admit is given). */
  sizes(name: string): StoreSizes {
    return { total: this.#byId.size, ofName: this.#names.get(name)?.instances.length ?? 0 };
  }

  async ready(): Promise<void> {
    await this.#journal?.ready();
  }

  async close(): Promise<void> {
    this.#leaseClock?.stop();
    await this.#tail;
    await this.#journal?.close();
    this.#byId.clear();
    this.#names.clear();
    this.#queue.clear();
    this.#log.clear();
  }

  /**
   * Runs a write. Without a journal it runs at once, to its end: nothing in it may await then,
   * or two writes could take the same index. With one, writes run one at a time in call order,
   * so each sees the state its predecessor left.
   */
  #write<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#journal === undefined) return operation();
    const result = this.#tail.then(operation);
    this.#tail = result.catch(() => {});
    return result;
  }

  /** The changes of `type` for `instances`, at the next indices; not yet applied. */
  #changes(type: ChangeType, instances: readonly StoredInstance[]): Change[] {
    let index = this.#log.index;
    return instances.map((instance) => ({ index: ++index, type, instance: instance.share() }));
  }

  #entry(name: string): NameEntry {
    const entry: NameEntry = { name, instances: [], index: NEVER_CHANGED };
    this.#names.set(name, entry);
    return entry;
  }

  #insert(stored: StoredInstance, index: number): void {
    const entry = this.#names.get(stored.name) ?? this.#entry(stored.name);
    stored.entry = entry;
    stored.slot = entry.instances.length;
    entry.instances.push(stored);
    if (index !== NEVER_CHANGED) entry.index = index;
    this.#byId.set(stored.id, stored);
    this.#queue.push(stored);
  }

  #remove(stored: StoredInstance, index: number): void {
    this.#byId.delete(stored.id);
    this.#queue.remove(stored);
    const entry = stored.entry!;
    const last = entry.instances.pop()!;
    if (last !== stored) {
      entry.instances[stored.slot] = last;
      last.slot = stored.slot;
    }
    stored.slot = -1;
    stored.entry = undefined;
    // The entry stays while its change is in the history: its index must not go back.
    entry.index = index;
  }

  #replace(stored: StoredInstance, replacement: StoredInstance): void {
    this.#byId.set(stored.id, replacement);
    const entry = stored.entry!;
    replacement.entry = entry;
    replacement.slot = stored.slot;
    entry.instances[stored.slot] = replacement;
    stored.slot = -1;
    stored.entry = undefined;
    this.#queue.replace(stored, replacement);
  }

  /** A change aged out of the history: an empty name whose last change it was is forgotten. */
  #forget(index: number, instance: Instance): void {
    const entry = this.#names.get(instance.name);
    if (entry && entry.instances.length === 0 && entry.index === index) {
      this.#names.delete(entry.name);
      this.#reaped = Math.max(this.#reaped, index);
    }
  }

}
