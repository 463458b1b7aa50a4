/**
 * The catalog contract every store backend and every driver must keep. Each backend's test
 * file calls `storeConformance(backend, open, runner)` and lists any case it skips, with the
 * reason. Written against `node:assert` and a minimal runner so that the same cases run under
 * `bun test` and under `deno test` (SQLite on Deno has its own driver).
 *
 * @module
 */

import assert from "node:assert/strict";
import { DuplicateIdError } from "../stores/errors.ts";
import type { Change, HeartbeatCounts, Instance, NewInstance, Retention, Store } from "../stores/store.ts";
import { NEVER_CHANGED } from "../stores/store.ts";

/** What a test file hands in: its runner's `describe` and `test`. */
export interface Runner {
  describe(name: string, body: () => void): void;
  test(name: string, body: () => Promise<void>): void;
  skip(name: string, body: () => Promise<void>): void;
  /** Runs once every test of the file has run. */
  afterAll(body: () => void): void;
}

export interface OpenOptions {
  now: () => number;
  retention?: Retention;
  heartbeatCounts?: HeartbeatCounts;
}

/** Opens a fresh, empty store of the backend under test. */
export type OpenStore = (options: OpenOptions) => Promise<Store>;

export interface ConformanceOptions {
  /** Case names this backend skips, each with the reason. */
  skip?: Record<string, string>;
}

/** A clock the test moves by hand. */
export function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms), set: (ms: number) => void (now = ms) };
}

let serial = 0;
export const newInstance = (overrides: Partial<NewInstance> = {}): NewInstance => ({
  id: `00000000-0000-4000-8000-${String(++serial).padStart(12, "0")}`,
  name: "billing",
  address: "http://10.0.0.1:8080",
  meta: {},
  ttl: 30,
  ...overrides,
});

/** An instance's fields as a plain object, for comparing with deepStrictEqual. */
export const plain = (instance: Instance | undefined) => (instance === undefined ? undefined : { ...instance });
const ids = (instances: readonly Instance[]) => instances.map((instance) => instance.id);
const sortedIds = (instances: readonly Instance[]) => ids(instances).sort();

type Case = (open: OpenStore) => Promise<void>;

/** Opens a store on a manual clock, runs `body`, and always closes it. */
async function withStore(
  open: OpenStore,
  body: (store: Store, clock: ReturnType<typeof manualClock>) => Promise<void>,
  retention?: Retention,
): Promise<void> {
  const clock = manualClock();
  const store = await open({ now: clock.now, retention });
  try {
    await body(store, clock);
  } finally {
    await store.close();
  }
}

const cases: Record<string, Case> = {
  "register() stamps its times from the store's clock and get() returns the same value": (open) =>
    withStore(open, async (store, clock) => {
      const added = await store.register(newInstance({ meta: { zone: "a" }, ttl: 2.5 }));
      assert.deepEqual(plain(added), {
        ...newInstance({ id: added.id, meta: { zone: "a" }, ttl: 2.5 }),
        registeredAt: clock.now(),
        expiresAt: clock.now() + 2_500,
      });
      assert.deepEqual(plain(await store.get(added.id)), plain(added));
    }),

  "register() asks admit with the sizes stored, and a refusal stores nothing": (open) =>
    withStore(open, async (store) => {
      const seen: unknown[] = [];
      await store.register(newInstance({ name: "billing" }), (sizes) => void seen.push(sizes));
      await store.register(newInstance({ name: "billing" }), (sizes) => void seen.push(sizes));
      await store.register(newInstance({ name: "search" }), (sizes) => void seen.push(sizes));
      assert.deepEqual(seen, [{ total: 0, ofName: 0 }, { total: 1, ofName: 1 }, { total: 2, ofName: 0 }]);
      const index = store.index();
      await assert.rejects(store.register(newInstance({ name: "billing" }), () => {
        throw new Error("limit reached");
      }), /limit reached/);
      assert.equal(store.index(), index);
      assert.equal((await store.list("billing")).instances.length, 2);
      // Together, several registers are admitted one after the other.
      const admitted = await Promise.allSettled(Array.from({ length: 5 }, () =>
        store.register(newInstance({ name: "crowd" }), ({ ofName }) => {
          if (ofName >= 3) throw new Error("full");
        })
      ));
      assert.deepEqual(admitted.map((result) => result.status), ["fulfilled", "fulfilled", "fulfilled", "rejected", "rejected"]);
    }),

  "ready() resolves while the store can take writes": (open) =>
    withStore(open, async (store) => {
      await store.ready();
      await store.register(newInstance());
      await store.ready();
    }),

  "get() of an unknown or expired id is undefined": (open) =>
    withStore(open, async (store, clock) => {
      assert.equal(await store.get("no-such-id"), undefined);
      const added = await store.register(newInstance({ ttl: 1 }));
      clock.advance(999);
      assert.equal((await store.get(added.id))?.id, added.id);
      clock.advance(1);
      assert.equal(await store.get(added.id), undefined);
    }),

  "register() with an id already stored fails and changes nothing": (open) =>
    withStore(open, async (store) => {
      const added = await store.register(newInstance());
      const index = store.index();
      await assert.rejects(store.register(newInstance({ id: added.id, name: "other" })), DuplicateIdError);
      assert.equal(store.index(), index);
      assert.deepEqual((await store.list("other")).instances, []);
      assert.equal((await store.get(added.id))?.name, "billing");
    }),

  "list() returns the live instances of one name, oldest first": (open) =>
    withStore(open, async (store, clock) => {
      const first = await store.register(newInstance({ ttl: 10 }));
      clock.advance(1);
      const second = await store.register(newInstance({ ttl: 100 }));
      await store.register(newInstance({ name: "search" }));
      assert.deepEqual(ids((await store.list("billing")).instances), [first.id, second.id]);
      clock.advance(10_000);
      assert.deepEqual(ids((await store.list("billing")).instances), [second.id]);
      assert.deepEqual(await store.list("unknown"), { index: NEVER_CHANGED, instances: [] });
    }),

  "list() and pick() filter by meta, every key equal": (open) =>
    withStore(open, async (store) => {
      const euBlue = await store.register(newInstance({ meta: { zone: "eu", color: "blue" } }));
      const euGreen = await store.register(newInstance({ meta: { zone: "eu", color: "green" } }));
      await store.register(newInstance({ meta: { zone: "us", color: "blue" } }));
      await store.register(newInstance());
      assert.deepEqual(sortedIds((await store.list("billing", { zone: "eu" })).instances), [euBlue.id, euGreen.id].sort());
      assert.deepEqual(ids((await store.list("billing", { zone: "eu", color: "green" })).instances), [euGreen.id]);
      assert.deepEqual((await store.list("billing", { zone: "ap" })).instances, []);
      for (let draw = 0; draw < 20; draw++) {
        assert.equal((await store.pick("billing", Math.random, { zone: "eu", color: "blue" }))?.id, euBlue.id);
      }
      assert.equal(await store.pick("billing", Math.random, { zone: "ap" }), undefined);
    }),

  "pick() draws each live instance with the random given, never an expired one": (open) =>
    withStore(open, async (store, clock) => {
      const added: Instance[] = [];
      for (let i = 0; i < 4; i++) added.push(await store.register(newInstance({ ttl: i === 0 ? 1 : 30 })));
      const seen = new Set<string>();
      for (const draw of [0, 0.25, 0.5, 0.75, 0.99]) seen.add((await store.pick("billing", () => draw))!.id);
      assert.deepEqual([...seen].sort(), sortedIds(added));
      clock.advance(1_000);
      for (const draw of [0, 0.25, 0.5, 0.75, 0.99]) assert.notEqual((await store.pick("billing", () => draw))!.id, added[0].id);
      assert.equal(await store.pick("nobody", Math.random), undefined);
    }),

  "deregister() removes one live instance and keeps its siblings": (open) =>
    withStore(open, async (store) => {
      const [a, b, c] = [await store.register(newInstance()), await store.register(newInstance()), await store.register(newInstance())];
      assert.equal((await store.deregister(b.id))?.id, b.id);
      assert.equal(await store.get(b.id), undefined);
      assert.deepEqual(sortedIds((await store.list("billing")).instances), [a.id, c.id].sort());
      assert.equal(await store.deregister(b.id), undefined);
      assert.equal(await store.deregister("no-such-id"), undefined);
    }),

  "deregister() of an expired instance is undefined, and its expiry is recorded": (open) =>
    withStore(open, async (store, clock) => {
      const added = await store.register(newInstance({ ttl: 1 }));
      clock.advance(1_000);
      assert.equal(await store.deregister(added.id), undefined);
      assert.deepEqual(await store.expire(100), { expired: 1, more: false });
      const feed = await store.changesSince(NEVER_CHANGED);
      assert.deepEqual(feed?.changes.map((change) => change.type), ["register", "expire"]);
    }),

  "heartbeat() renews a live instance for its own TTL without making a change": (open) =>
    withStore(open, async (store, clock) => {
      const short = await store.register(newInstance({ ttl: 0.5 }));
      const long = await store.register(newInstance({ ttl: 60 }));
      const index = store.index();
      clock.advance(400);
      assert.equal((await store.heartbeat(short.id))?.expiresAt, clock.now() + 500);
      assert.equal((await store.heartbeat(long.id))?.expiresAt, clock.now() + 60_000);
      assert.equal(store.index(), index);
      assert.equal(store.nameIndex("billing"), index);
      assert.deepEqual((await store.changesSince(index))?.changes, []);
      clock.advance(499);
      assert.equal((await store.get(short.id))?.expiresAt, clock.now() + 1);
    }),

  "heartbeats are counted into heartbeatCounts as they are answered": async (open) => {
    const clock = manualClock();
    const heartbeatCounts = { renewed: 0, unknown: 0 };
    const store = await open({ now: clock.now, heartbeatCounts });
    try {
      const added = await store.register(newInstance({ ttl: 1 }));
      await store.heartbeat(added.id);
      await store.heartbeat(added.id);
      await store.heartbeat("no-such-id");
      clock.advance(1_000);
      await store.heartbeat(added.id);
      assert.deepEqual(heartbeatCounts, { renewed: 2, unknown: 2 });
    } finally {
      await store.close();
    }
  },

  "heartbeat() refuses an expired or unknown instance": (open) =>
    withStore(open, async (store, clock) => {
      const added = await store.register(newInstance({ ttl: 1 }));
      clock.advance(1_000);
      assert.equal(await store.heartbeat(added.id), undefined);
      assert.equal(await store.heartbeat("no-such-id"), undefined);
      assert.equal(await store.get(added.id), undefined);
    }),

  "instances handed out never change afterwards": (open) =>
    withStore(open, async (store, clock) => {
      const added = await store.register(newInstance({ meta: { zone: "a" } }));
      const before = plain(added);
      const listed = (await store.list("billing")).instances;
      clock.advance(1_000);
      const beat = await store.heartbeat(added.id);
      const afterBeat = plain(beat);
      const picked = await store.pick("billing", Math.random);
      const gotten = await store.get(added.id);
      const afterPick = plain(picked);
      clock.advance(1_000);
      await store.heartbeat(added.id);
      await store.heartbeat(added.id);
      await store.updateMeta(added.id, () => ({ zone: "b" }));
      assert.deepEqual(plain(added), before);
      assert.deepEqual(plain(listed[0]), before);
      assert.deepEqual(plain(beat), afterBeat);
      assert.deepEqual(plain(picked), afterPick);
      assert.deepEqual(plain(gotten), afterPick);
      assert.equal(afterPick?.expiresAt, added.expiresAt + 1_000);
      assert.equal(listed.length, 1);
      assert.equal((await store.get(added.id))?.meta.zone, "b");
    }),

  "every change moves the global index up; heartbeats and reads do not": (open) =>
    withStore(open, async (store, clock) => {
      const seen = [store.index()];
      const step = () => {
        assert.ok(store.index() > seen.at(-1)!, `index ${store.index()} after ${seen.at(-1)}`);
        seen.push(store.index());
      };
      assert.ok(Number.isInteger(seen[0]) && seen[0] >= NEVER_CHANGED);
      const a = await store.register(newInstance({ ttl: 1 }));
      step();
      const b = await store.register(newInstance({ ttl: 30 }));
      step();
      await store.updateMeta(b.id, () => ({ v: "2" }));
      step();
      await store.heartbeat(b.id);
      await store.list("billing");
      await store.services();
      assert.equal(store.index(), seen.at(-1));
      clock.advance(1_000);
      await store.expire(100);
      step();
      await store.deregister(b.id);
      step();
      assert.equal((await store.get(a.id)), undefined);
    }),

  "a name's index is its latest change's, and changes to other names never move it": (open) =>
    withStore(open, async (store) => {
      const billing = await store.register(newInstance({ name: "billing" }));
      const billingIndex = store.index();
      assert.equal(store.nameIndex("billing"), billingIndex);
      assert.equal((await store.list("billing")).index, billingIndex);
      const payments = await store.register(newInstance({ name: "payments" }));
      await store.updateMeta(payments.id, () => ({ v: "2" }));
      await store.deregister(payments.id);
      assert.equal(store.nameIndex("billing"), billingIndex);
      assert.equal((await store.list("billing")).index, billingIndex);
      assert.equal(store.nameIndex("payments"), store.index());
      await store.updateMeta(billing.id, () => ({ v: "2" }));
      assert.equal(store.nameIndex("billing"), store.index());
    }),

  "a name never registered reports NEVER_CHANGED whatever else changes": (open) =>
    withStore(open, async (store) => {
      assert.equal(store.nameIndex("ghost"), NEVER_CHANGED);
      const other = await store.register(newInstance({ name: "other" }));
      await store.deregister(other.id);
      assert.equal(store.nameIndex("ghost"), NEVER_CHANGED);
      assert.equal((await store.list("ghost")).index, NEVER_CHANGED);
      assert.ok(store.index() > NEVER_CHANGED);
    }),

  "updateMeta() replaces meta with update(current); an update that changes nothing is not a change": (open) =>
    withStore(open, async (store) => {
      const added = await store.register(newInstance({ meta: { zone: "a", tier: "1" } }));
      const updated = await store.updateMeta(added.id, (meta) => ({ ...meta, zone: "b" }));
      assert.deepEqual(updated?.meta, { zone: "b", tier: "1" });
      assert.equal(updated?.expiresAt, added.expiresAt);
      const index = store.index();
      const same = await store.updateMeta(added.id, (meta) => ({ tier: "1", zone: meta.zone }));
      assert.deepEqual(same?.meta, { zone: "b", tier: "1" });
      assert.equal(store.index(), index);
      const feed = await store.changesSince(index - 1);
      assert.deepEqual(feed?.changes.map((change) => [change.type, change.instance.meta]), [["update", { zone: "b", tier: "1" }]]);
    }),

  "updateMeta() that throws changes nothing; of an expired or unknown id it is undefined": (open) =>
    withStore(open, async (store, clock) => {
      const added = await store.register(newInstance({ ttl: 1, meta: { zone: "a" } }));
      const index = store.index();
      await assert.rejects(store.updateMeta(added.id, () => {
        throw new Error("too many keys");
      }), /too many keys/);
      assert.equal(store.index(), index);
      assert.deepEqual((await store.get(added.id))?.meta, { zone: "a" });
      assert.equal(await store.updateMeta("no-such-id", () => ({})), undefined);
      clock.advance(1_000);
      assert.equal(await store.updateMeta(added.id, () => ({ zone: "b" })), undefined);
    }),

  "expire() removes exactly the expired instances, each against its own TTL": (open) =>
    withStore(open, async (store, clock) => {
      const short = await store.register(newInstance({ ttl: 1 }));
      const medium = await store.register(newInstance({ ttl: 2 }));
      const long = await store.register(newInstance({ ttl: 3 }));
      clock.advance(2_000);
      assert.deepEqual(await store.expire(100), { expired: 2, more: false });
      assert.deepEqual(ids((await store.list("billing")).instances), [long.id]);
      const feed = await store.changesSince(store.index() - 2);
      assert.deepEqual(feed?.changes.map((change) => [change.type, change.instance.id]), [
        ["expire", short.id],
        ["expire", medium.id],
      ]);
      assert.deepEqual(await store.expire(100), { expired: 0, more: false });
    }),

  "expire() skips renewed and deregistered instances": (open) =>
    withStore(open, async (store, clock) => {
      const renewed = await store.register(newInstance({ ttl: 3 }));
      const removed = await store.register(newInstance({ ttl: 3 }));
      const expiring = await store.register(newInstance({ ttl: 3 }));
      clock.advance(2_000);
      await store.heartbeat(renewed.id);
      await store.deregister(removed.id);
      clock.advance(1_000);
      assert.equal((await store.expire(100)).expired, 1);
      assert.equal(await store.get(expiring.id), undefined);
      assert.equal((await store.get(renewed.id))?.expiresAt, clock.now() + 2_000);
      clock.advance(2_000);
      assert.equal((await store.expire(100)).expired, 1);
      assert.equal(await store.get(renewed.id), undefined);
    }),

  "expire() looks at no more than limit candidates per call and says when more may remain": (open) =>
    withStore(open, async (store, clock) => {
      for (let i = 0; i < 25; i++) await store.register(newInstance({ ttl: 1 + i / 1000 }));
      clock.advance(2_000);
      let total = 0;
      for (let call = 0; call < 10; call++) {
        const { expired, more } = await store.expire(10);
        assert.ok(expired <= 10);
        total += expired;
        if (!more) break;
      }
      assert.equal(total, 25);
      assert.deepEqual((await store.list("billing")).instances, []);
    }),

  "services() lists every name with live instances, sorted, with counts": (open) =>
    withStore(open, async (store, clock) => {
      await store.register(newInstance({ name: "search" }));
      await store.register(newInstance({ name: "billing" }));
      await store.register(newInstance({ name: "billing" }));
      await store.register(newInstance({ name: "ephemeral", ttl: 1 }));
      const gone = await store.register(newInstance({ name: "gone" }));
      await store.deregister(gone.id);
      clock.advance(1_000);
      assert.deepEqual(await store.services(), {
        index: store.index(),
        services: [{ name: "billing", instances: 2 }, { name: "search", instances: 1 }],
      });
    }),

  "snapshot() is every live instance of the names asked, at the global index": (open) =>
    withStore(open, async (store) => {
      const billing = await store.register(newInstance({ name: "billing" }));
      const search = await store.register(newInstance({ name: "search" }));
      const other = await store.register(newInstance({ name: "other" }));
      const all = await store.snapshot();
      assert.equal(all.index, store.index());
      assert.deepEqual(ids(all.instances), [billing.id, search.id, other.id]);
      const some = await store.snapshot(new Set(["billing", "search", "ghost"]));
      assert.deepEqual(sortedIds(some.instances), [billing.id, search.id].sort());
      assert.deepEqual((await store.snapshot(new Set(["ghost"]))).instances, []);
    }),

  "changesSince() returns the changes after an index to the names asked, oldest first": (open) =>
    withStore(open, async (store) => {
      const start = store.index();
      const a = await store.register(newInstance({ name: "billing" }));
      const b = await store.register(newInstance({ name: "search" }));
      await store.updateMeta(a.id, () => ({ v: "2" }));
      await store.deregister(b.id);
      const all = await store.changesSince(start);
      assert.equal(all?.index, store.index());
      assert.deepEqual(all?.changes.map((change) => [change.type, change.instance.name]), [
        ["register", "billing"],
        ["register", "search"],
        ["update", "billing"],
        ["deregister", "search"],
      ]);
      const indices = all!.changes.map((change) => change.index);
      assert.deepEqual(indices, [...indices].sort((x, y) => x - y));
      assert.equal(new Set(indices).size, indices.length);
      assert.equal(indices.at(-1), store.index());
      const billing = await store.changesSince(start, new Set(["billing"]));
      assert.deepEqual(billing?.changes.map((change) => change.type), ["register", "update"]);
      const after = await store.changesSince(indices[1], new Set(["search"]));
      assert.deepEqual(after?.changes.map((change: Change) => change.type), ["deregister"]);
      assert.deepEqual(await store.changesSince(store.index()), { index: store.index(), changes: [] });
      assert.equal(await store.changesSince(store.index() + 1), undefined);
    }),

  "changesSince() keeps at least the last `changes` changes, and says when older ones are gone": (open) =>
    withStore(open, async (store, clock) => {
      const start = store.index();
      for (let i = 0; i < 30; i++) {
        await store.register(newInstance({ name: `svc-${i % 3}` }));
        clock.advance(10);
      }
      const kept = await store.changesSince(store.index() - 5);
      assert.equal(kept?.changes.length, 5);
      assert.equal(await store.changesSince(start), undefined);
      // The oldest retained change is found from just before it, not from further back.
      let from = store.index() - 5;
      while ((await store.changesSince(from - 1)) !== undefined) from--;
      assert.ok(store.index() - from >= 5, `kept ${store.index() - from} changes`);
    }, { changes: 5, ms: 50 }),

  "changesSince() keeps the changes of the last `ms`, however many": (open) =>
    withStore(open, async (store, clock) => {
      const start = store.index();
      for (let i = 0; i < 20; i++) await store.register(newInstance());
      clock.advance(50);
      await store.register(newInstance());
      assert.equal((await store.changesSince(start))?.changes.length, 21);
      clock.advance(1);
      await store.register(newInstance());
      assert.equal(await store.changesSince(start), undefined);
      assert.equal((await store.changesSince(store.index() - 2))?.changes.length, 2);
    }, { changes: 1, ms: 50 }),

  "a name left empty is forgotten with its history; its index falls to NEVER_CHANGED below reapedIndex()": (open) =>
    withStore(open, async (store, clock) => {
      assert.equal(store.reapedIndex(), NEVER_CHANGED);
      const gone = await store.register(newInstance({ name: "gone" }));
      await store.deregister(gone.id);
      const lastChange = store.nameIndex("gone");
      const kept = await store.register(newInstance({ name: "kept" }));
      for (let i = 0; i < 5; i++) {
        clock.advance(100);
        await store.register(newInstance({ name: "churn" }));
      }
      assert.equal(store.nameIndex("gone"), NEVER_CHANGED);
      assert.ok(store.reapedIndex() >= lastChange, `reaped ${store.reapedIndex()} < ${lastChange}`);
      assert.ok(store.reapedIndex() < store.index());
      assert.ok(store.nameIndex("kept") > NEVER_CHANGED, "a name with instances keeps its index");
      assert.equal((await store.get(kept.id))?.id, kept.id);
    }, { changes: 2, ms: 50 }),

  "listeners get each committed change; one that throws fails neither the write nor the others": (open) =>
    withStore(open, async (store, clock) => {
      const seen: string[] = [];
      store.subscribe(() => {
        throw new Error("a broken listener");
      });
      const unsubscribe = store.subscribe((changes) => {
        for (const change of changes) seen.push(`${change.index} ${change.type} ${change.instance.name}`);
      });
      const a = await store.register(newInstance({ name: "billing", ttl: 1 }));
      const b = await store.register(newInstance({ name: "search" }));
      await store.heartbeat(b.id);
      await store.updateMeta(b.id, () => ({ v: "2" }));
      await store.deregister(b.id);
      clock.advance(1_000);
      assert.equal((await store.expire(100)).expired, 1);
      const index = store.index();
      assert.deepEqual(seen, [
        `${index - 4} register billing`,
        `${index - 3} register search`,
        `${index - 2} update search`,
        `${index - 1} deregister search`,
        `${index} expire billing`,
      ]);
      assert.equal(await store.get(a.id), undefined);
      unsubscribe();
      await store.register(newInstance());
      assert.equal(seen.length, 5);
    }),

  "writes started together each take their own index, in the order they were called": (open) =>
    withStore(open, async (store) => {
      const start = store.index();
      const seen: number[] = [];
      store.subscribe((changes) => seen.push(...changes.map((change) => change.index)));
      const added = await Promise.all(Array.from({ length: 20 }, (_, i) => store.register(newInstance({ name: `svc-${i % 3}` }))));
      await Promise.all([
        store.updateMeta(added[0].id, () => ({ v: "2" })),
        store.deregister(added[1].id),
        store.register(newInstance()),
        store.deregister(added[2].id),
      ]);
      assert.equal(store.index(), start + 24);
      assert.deepEqual(seen, Array.from({ length: 24 }, (_, i) => start + 1 + i));
      const feed = await store.changesSince(start);
      assert.deepEqual(feed?.changes.slice(0, 20).map((change) => change.instance.id), added.map((instance) => instance.id));
    }),

  "keeps thousands of instances over many names consistent through churn": (open) =>
    withStore(open, async (store) => {
      const live = new Map<string, Instance>();
      for (let i = 0; i < 2_000; i++) {
        const added = await store.register(newInstance({ name: `svc-${i % 37}`, ttl: 10 + i }));
        live.set(added.id, added);
      }
      let i = 0;
      for (const id of [...live.keys()]) {
        if (i++ % 3 === 0) {
          await store.deregister(id);
          live.delete(id);
        }
      }
      for (let n = 0; n < 37; n++) {
        const expected = [...live.values()].filter((found) => found.name === `svc-${n}`).map((found) => found.id).sort();
        assert.deepEqual(sortedIds((await store.list(`svc-${n}`)).instances), expected);
      }
      assert.equal((await store.snapshot()).instances.length, live.size);
    }),
};

/** Registers every case under `describe(<backend> store conformance)` with the runner given. */
export function storeConformance(
  backend: string,
  open: OpenStore,
  runner: Runner,
  { skip = {} }: ConformanceOptions = {},
): void {
  for (const name of Object.keys(skip)) {
    if (!(name in cases)) throw new Error(`${backend}: skips an unknown conformance case: ${name}`);
  }
  runner.describe(`${backend} store conformance`, () => {
    for (const [name, body] of Object.entries(cases)) {
      if (name in skip) runner.skip(`${name} (skipped: ${skip[name]})`, () => body(open));
      else runner.test(name, () => body(open));
    }
  });
}
