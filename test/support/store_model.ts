/**
 * Model-based testing of the catalog contract: random sequences of operations — register,
 * heartbeat, deregister, meta patches, the clock running and standing still (a pause), expiry
 * sweeps, restarts of a persistent store — run against a store backend and against
 * {@link StoreModel}, a plain reference written from the contract in stores/store.ts, and every
 * answer, every read and the change feed must agree after every step.
 *
 * Operations are plain data ({@link Op}), so fast-check can shrink a failing sequence and a
 * shrunk counterexample can be kept as a regression case (test/store_model.test.ts). A backend
 * is one {@link ModelBackend} line. Runner-agnostic (node:assert), like the conformance suite.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { isDeepStrictEqual } from "node:util";
import { DuplicateIdError } from "../../stores/errors.ts";
import { LeaseClock } from "../../stores/memory/lease_clock.ts";
import type { Change, Instance, MetaFilter, Store } from "../../stores/store.ts";
import { NEVER_CHANGED } from "../../stores/store.ts";

/** How one backend is opened for a scenario; a persistent one is reopened on `restart`. */
export interface ModelBackend {
  name: string;
  /**
   * Opens the store of scenario `scenario` (a fresh one the first time; the same data again
   * when `reopening`), deciding expiry by `now`.
   */
  open(options: { now: () => number; scenario: number; reopening: boolean }): Promise<Store>;
  /** Whether the store keeps its catalog across `close()` and `open()`; without it `restart` is skipped. */
  persistent?: boolean;
}

const NAMES = ["a", "b", "c"] as const;
const META_KEYS = ["zone", "v"] as const;
const META_VALUES = ["x", "y", ""] as const;

type Meta = Readonly<Record<string, string>>;

/** An instance named by its place among those registered so far (wrapping), or -1 for one never registered. */
type Target = number;

export type Op =
  | { op: "register"; name: string; ttl: number; meta: Meta; reuse?: Target; limitPerName?: number }
  | { op: "heartbeat"; target: Target }
  | { op: "deregister"; target: Target }
  | { op: "patch"; target: Target; patch: Readonly<Record<string, string | null>>; refuse?: boolean }
  /** srsr runs for `ms`: its watchdog reads the clock every 100 ms. */
  | { op: "run"; ms: number }
  /** srsr is stopped for `ms`: nothing reads the clock; leases must not age. */
  | { op: "pause"; ms: number }
  | { op: "sweep"; limit: number }
  | { op: "restart" }
  | { op: "read"; since: number; names?: readonly string[]; filter?: Meta };

const metaArbitrary = fc.dictionary(fc.constantFrom(...META_KEYS), fc.constantFrom(...META_VALUES), { maxKeys: 2 });
const target = fc.integer({ min: -1, max: 20 });

/** Operations, weighted towards the ones that change the catalog. */
export function opArbitrary({ restarts }: { restarts: boolean }): fc.Arbitrary<Op> {
  const ops: fc.WeightedArbitrary<Op>[] = [
    {
      weight: 6,
      arbitrary: fc.record(
        {
          op: fc.constant("register" as const),
          name: fc.constantFrom(...NAMES),
          ttl: fc.constantFrom(0.001, 0.05, 0.1, 0.25, 1, 2.5, 30),
          meta: metaArbitrary,
          reuse: target,
          limitPerName: fc.integer({ min: 1, max: 4 }),
        },
        { requiredKeys: ["op", "name", "ttl", "meta"] },
      ),
    },
    { weight: 5, arbitrary: fc.record({ op: fc.constant("heartbeat" as const), target }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant("deregister" as const), target }) },
    {
      weight: 3,
      arbitrary: fc.record(
        {
          op: fc.constant("patch" as const),
          target,
          patch: fc.dictionary(fc.constantFrom(...META_KEYS), fc.option(fc.constantFrom(...META_VALUES), { nil: null }), { maxKeys: 2 }),
          refuse: fc.boolean(),
        },
        { requiredKeys: ["op", "target", "patch"] },
      ),
    },
    { weight: 5, arbitrary: fc.record({ op: fc.constant("run" as const), ms: fc.constantFrom(1, 49, 99, 100, 250, 999, 1000, 2500, 30_000) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("pause" as const), ms: fc.constantFrom(250, 1000, 60_000) }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant("sweep" as const), limit: fc.constantFrom(1, 2, 500) }) },
    {
      weight: 2,
      arbitrary: fc.record(
        {
          op: fc.constant("read" as const),
          since: fc.integer({ min: 0, max: 40 }),
          names: fc.subarray([...NAMES]),
          filter: fc.dictionary(fc.constantFrom(...META_KEYS), fc.constantFrom(...META_VALUES), { maxKeys: 1 }),
        },
        { requiredKeys: ["op", "since"] },
      ),
    },
  ];
  if (restarts) ops.push({ weight: 1, arbitrary: fc.constant({ op: "restart" as const }) });
  return fc.oneof(...ops);
}

const ttlMs = (ttl: number) => Math.max(1, Math.round(ttl * 1000));
const plain = (instance: Instance | undefined) => (instance === undefined ? undefined : { ...instance, meta: { ...instance.meta } });
const byRegistration = (a: Instance, b: Instance) => a.registeredAt - b.registeredAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const matches = (meta: Meta, filter: MetaFilter | undefined) =>
  filter === undefined || Object.entries(filter).every(([key, value]) => meta[key] === value);

/** The contract of stores/store.ts, as plainly as it can be written: no heap, no history trimming. */
export class StoreModel {
  now: number;
  index = NEVER_CHANGED;
  readonly nameIndex = new Map<string, number>();
  /** Stored instances: live, or expired and awaiting the sweep. */
  readonly stored = new Map<string, Instance>();
  readonly changes: Change[] = [];

  constructor(now: number) {
    this.now = now;
  }

  isLive = (instance: Instance) => instance.expiresAt > this.now;

  live(name?: string, filter?: MetaFilter): Instance[] {
    return [...this.stored.values()]
      .filter((instance) => (name === undefined || instance.name === name) && this.isLive(instance) && matches(instance.meta, filter))
      .sort(byRegistration);
  }

  liveById(id: string): Instance | undefined {
    const instance = this.stored.get(id);
    return instance && this.isLive(instance) ? instance : undefined;
  }

  #record(type: Change["type"], instance: Instance): void {
    this.index++;
    this.changes.push({ index: this.index, type, instance });
    this.nameIndex.set(instance.name, this.index);
  }

  register(id: string, name: string, address: string, meta: Meta, ttl: number): Instance {
    const instance = { id, name, address, meta, ttl, registeredAt: this.now, expiresAt: this.now + ttlMs(ttl) };
    this.stored.set(id, instance);
    this.#record("register", instance);
    return instance;
  }

  heartbeat(id: string): Instance | undefined {
    const instance = this.liveById(id);
    if (!instance) return undefined;
    const renewed = { ...instance, expiresAt: this.now + ttlMs(instance.ttl) };
    this.stored.set(id, renewed);
    return renewed;
  }

  deregister(id: string): Instance | undefined {
    const instance = this.liveById(id);
    if (!instance) return undefined;
    this.stored.delete(id);
    this.#record("deregister", instance);
    return instance;
  }

  /** A JSON merge patch of meta; no change (and no index) when it leaves meta as it was. */
  patch(id: string, patch: Readonly<Record<string, string | null>>): Instance | undefined {
    const instance = this.liveById(id);
    if (!instance) return undefined;
    const meta: Record<string, string> = { ...instance.meta };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete meta[key];
      else meta[key] = value;
    }
    const same = Object.keys(meta).length === Object.keys(instance.meta).length &&
      Object.entries(meta).every(([key, value]) => instance.meta[key] === value);
    if (same) return instance;
    const updated = { ...instance, meta };
    this.stored.set(id, updated);
    this.#record("update", updated);
    return updated;
  }

  /** The instances a sweep must remove now. */
  expired(): Instance[] {
    return [...this.stored.values()].filter((instance) => !this.isLive(instance));
  }

  /**
   * Applies a sweep's expiries in the order the store recorded them: the contract leaves the
   * order within one sweep to the backend; which instances, their values and indices it does not.
   */
  expire(recorded: readonly Change[]): void {
    const due = new Map(this.expired().map((instance) => [instance.id, instance]));
    assert.deepEqual(
      recorded.map((change) => change.instance.id).sort(),
      [...due.keys()].sort(),
      "a sweep expires exactly the instances whose expiresAt has passed",
    );
    for (const change of recorded) {
      const instance = due.get(change.instance.id)!;
      assert.deepEqual({ ...change, instance: plain(change.instance) }, { index: this.index + 1, type: "expire", instance: plain(instance) });
      this.stored.delete(instance.id);
      this.#record("expire", instance);
    }
  }

  /** A persistent store reopened: every stored instance lives at least its TTL from now (the grace period). */
  reopen(): void {
    for (const [id, instance] of this.stored) {
      this.stored.set(id, { ...instance, expiresAt: Math.max(instance.registeredAt + ttlMs(instance.ttl), this.now + ttlMs(instance.ttl)) });
    }
  }

  since(index: number, names?: ReadonlySet<string>) {
    if (index > this.index) return undefined;
    if (index === this.index) return { index, changes: [] };
    if (this.changes.length === 0 || index < this.changes[0].index - 1) return undefined;
    const changes = this.changes.filter((change) => change.index > index && (names === undefined || names.has(change.instance.name)));
    return { index: this.index, changes };
  }
}

const plainChanges = (changes: readonly Change[] | undefined) =>
  changes?.map((change) => ({ index: change.index, type: change.type, instance: plain(change.instance) }));

/** Runs `ops` on a fresh store of `backend` and on the model, comparing after every step. */
export async function checkAgainstModel(backend: ModelBackend, ops: readonly Op[], scenario: number): Promise<void> {
  let monotonic = 0;
  const clock = new LeaseClock({ monotonic: () => monotonic, wall: () => 1_800_000_000_000 });
  clock.start();
  const model = new StoreModel(clock.now());
  const ids: string[] = [];
  let serial = 0;
  const idOf = (target: Target) => (target < 0 || ids.length === 0 ? "never-registered" : ids[target % ids.length]);
  let feed: Change[] = [];
  let store = await backend.open({ now: clock.now, scenario, reopening: false });
  let unsubscribe = store.subscribe((changes) => void feed.push(...changes));
  /** The changes the store told its listeners of since the last look. */
  const told = () => {
    const changes = feed;
    feed = [];
    return changes;
  };
  const expectTold = (expected: readonly Change[], what: string) => assert.deepEqual(plainChanges(told()), plainChanges(expected), what);

  try {
    for (const [step, op] of ops.entries()) {
      const at = `step ${step} ${JSON.stringify(op)}`;
      const changesBefore = model.changes.length;
      switch (op.op) {
        case "register": {
          const id = op.reuse !== undefined && ids.length > 0 && op.reuse >= 0 ? idOf(op.reuse) : `id-${String(++serial).padStart(4, "0")}`;
          const existing = model.stored.get(id);
          const ofName = [...model.stored.values()].filter((instance) => instance.name === op.name).length;
          const refused = op.limitPerName !== undefined && ofName >= op.limitPerName;
          let seen: unknown;
          const admit = (sizes: unknown) => {
            seen = sizes;
            if (refused) throw new RangeError("limit");
          };
          const attempt = store.register({ id, name: op.name, address: `http://10.0.0.${serial % 250}:80`, meta: op.meta, ttl: op.ttl }, admit);
          if (existing) {
            await assert.rejects(attempt, DuplicateIdError, at);
          } else if (refused) {
            await assert.rejects(attempt, RangeError, at);
            assert.deepEqual(seen, { total: model.stored.size, ofName }, `${at}: admit sees what is stored`);
          } else {
            const added = await attempt;
            assert.deepEqual(seen, { total: model.stored.size, ofName }, `${at}: admit sees what is stored`);
            const expected = model.register(id, op.name, `http://10.0.0.${serial % 250}:80`, op.meta, op.ttl);
            assert.deepEqual(plain(added), plain(expected), at);
            if (!ids.includes(id)) ids.push(id);
          }
          break;
        }
        case "heartbeat":
          assert.deepEqual(plain(await store.heartbeat(idOf(op.target))), plain(model.heartbeat(idOf(op.target))), at);
          break;
        case "deregister":
          assert.deepEqual(plain(await store.deregister(idOf(op.target))), plain(model.deregister(idOf(op.target))), at);
          break;
        case "patch": {
          const merge = (meta: Meta) => {
            if (op.refuse) throw new RangeError("refused");
            const merged: Record<string, string> = { ...meta };
            for (const [key, value] of Object.entries(op.patch)) {
              if (value === null) delete merged[key];
              else merged[key] = value;
            }
            return merged;
          };
          const id = idOf(op.target);
          if (op.refuse && model.liveById(id)) {
            await assert.rejects(store.updateMeta(id, merge), RangeError, at);
          } else {
            assert.deepEqual(plain(await store.updateMeta(id, merge)), plain(model.patch(id, op.patch)), at);
          }
          break;
        }
        case "run":
          for (let left = op.ms; left > 0; left -= 100) {
            monotonic += Math.min(100, left);
            clock.now();
          }
          model.now += op.ms;
          break;
        case "pause":
          monotonic += op.ms;
          break;
        case "sweep": {
          let expired = 0;
          for (let more = true; more;) {
            const answer = await store.expire(op.limit);
            expired += answer.expired;
            more = answer.more;
          }
          const recorded = told();
          assert.equal(expired, recorded.length, `${at}: expire() counts what it records`);
          model.expire(recorded);
          break;
        }
        case "restart":
          if (!backend.persistent) break;
          unsubscribe();
          await store.close();
          store = await backend.open({ now: clock.now, scenario, reopening: true });
          unsubscribe = store.subscribe((changes) => void feed.push(...changes));
          model.reopen();
          break;
        case "read": {
          const names = op.names && op.names.length > 0 ? new Set(op.names) : undefined;
          assert.deepEqual(plainChanges((await store.changesSince(op.since, names))?.changes), plainChanges(model.since(op.since, names)?.changes), at);
          const filter = op.filter && Object.keys(op.filter).length > 0 ? op.filter : undefined;
          for (const name of NAMES) {
            assert.deepEqual((await store.list(name, filter)).instances.map(plain), model.live(name, filter).map(plain), `${at}: list(${name})`);
          }
          break;
        }
      }
      if (op.op !== "sweep") expectTold(model.changes.slice(changesBefore), `${at}: the listeners are told of exactly its changes`);
      assert.equal(clock.now(), model.now, `${at}: the store's clock`);
      await compareReads(store, model, at);
    }
    // The whole feed, from the start: what a watcher resuming from the first index reads.
    assert.deepEqual(plainChanges((await store.changesSince(NEVER_CHANGED))?.changes), plainChanges(model.since(NEVER_CHANGED)?.changes), "the whole feed");
  } finally {
    unsubscribe();
    await store.close();
    clock.stop();
  }
}

/** Every read of the contract, against the model. */
async function compareReads(store: Store, model: StoreModel, at: string): Promise<void> {
  assert.equal(store.index(), model.index, `${at}: index()`);
  for (const name of NAMES) {
    const list = await store.list(name);
    assert.deepEqual({ index: list.index, instances: list.instances.map(plain) }, {
      index: model.nameIndex.get(name) ?? NEVER_CHANGED,
      instances: model.live(name).map(plain),
    }, `${at}: list(${name})`);
    assert.equal(store.nameIndex(name), model.nameIndex.get(name) ?? NEVER_CHANGED, `${at}: nameIndex(${name})`);
    const picked = await store.pick(name, () => 0.5);
    const candidates = model.live(name).map(plain);
    if (candidates.length === 0) assert.equal(picked, undefined, `${at}: pick(${name})`);
    else assert.ok(candidates.some((candidate) => isDeepStrictEqual(plain(picked), candidate)), `${at}: pick(${name}) is a live instance`);
  }
  for (const id of model.stored.keys()) assert.deepEqual(plain(await store.get(id)), plain(model.liveById(id)), `${at}: get(${id})`);
  const services = await store.services();
  assert.deepEqual(services, {
    index: model.index,
    services: NAMES.map((name) => ({ name, instances: model.live(name).length })).filter((service) => service.instances > 0),
  }, `${at}: services()`);
  const snapshot = await store.snapshot();
  assert.deepEqual({ index: snapshot.index, instances: snapshot.instances.map(plain) }, {
    index: model.index,
    instances: model.live().map(plain),
  }, `${at}: snapshot()`);
  const since = Math.max(NEVER_CHANGED, model.index - 3);
  assert.deepEqual(plainChanges((await store.changesSince(since))?.changes), plainChanges(model.since(since)?.changes), `${at}: changesSince(${since})`);
}

/** How many random sequences each property tries: `SRSR_PROPERTY_RUNS`, else `fallback`. */
export function propertyRuns(fallback: number): number {
  const runs = Number((globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.SRSR_PROPERTY_RUNS);
  return Number.isInteger(runs) && runs > 0 ? runs : fallback;
}
