/**
 * The contract every store backend must keep. Each backend's test file calls
 * `storeConformance(name, open)` and lists any case it skips, with the reason.
 *
 * @module
 */

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Instance, Store } from "../stores/store.ts";

export interface ConformanceOptions {
  /** Case names this backend skips, each with the reason. */
  skip?: Record<string, string>;
}

let serial = 0;
const instance = (overrides: Partial<Instance> = {}): Instance => ({
  id: `00000000-0000-4000-8000-${String(++serial).padStart(12, "0")}`,
  name: "billing",
  address: "http://10.0.0.1:8080",
  registeredAt: 1_000,
  expiresAt: 31_000,
  ...overrides,
});

export function storeConformance(
  backend: string,
  open: () => Promise<Store>,
  { skip = {} }: ConformanceOptions = {},
): void {
  describe(`${backend} store conformance`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });
    const it = (name: string, body: () => Promise<void>) =>
      name in skip ? test.skip(`${name} (skipped: ${skip[name]})`, body) : test(name, body);

    it("add() then get() returns the same record", async () => {
      const added = instance({ metadata: { zone: "a" } });
      await store.add(added);
      expect(await store.get(added.id)).toEqual(added);
    });

    it("get() of an unknown id is undefined", async () => {
      expect(await store.get("no-such-id")).toBeUndefined();
    });

    it("instancesOf() lists every instance of a name and no other", async () => {
      const a = instance({ name: "billing" });
      const b = instance({ name: "billing", address: "http://10.0.0.2:8080" });
      const other = instance({ name: "search" });
      for (const added of [a, b, other]) await store.add(added);
      const ids = (await store.instancesOf("billing")).map((found) => found.id).sort();
      expect(ids).toEqual([a.id, b.id].sort());
      expect(await store.instancesOf("unknown")).toHaveLength(0);
    });

    it("remove() takes one instance and keeps its siblings", async () => {
      const a = instance();
      const b = instance();
      const c = instance();
      for (const added of [a, b, c]) await store.add(added);
      expect((await store.remove(a.id))?.id).toBe(a.id);
      expect(await store.get(a.id)).toBeUndefined();
      const left = (await store.instancesOf("billing")).map((found) => found.id).sort();
      expect(left).toEqual([b.id, c.id].sort());
    });

    it("remove() of an unknown or removed id is undefined", async () => {
      const a = instance();
      await store.add(a);
      await store.remove(a.id);
      expect(await store.remove(a.id)).toBeUndefined();
      expect(await store.remove("no-such-id")).toBeUndefined();
      expect(await store.instancesOf(a.name)).toHaveLength(0);
    });

    it("renew() moves the expiry of a live instance", async () => {
      const a = instance({ expiresAt: 31_000 });
      await store.add(a);
      expect((await store.renew(a.id, 50_000, 20_000))?.expiresAt).toBe(50_000);
      expect((await store.get(a.id))?.expiresAt).toBe(50_000);
    });

    it("renew() refuses an expired or unknown instance", async () => {
      const a = instance({ expiresAt: 31_000 });
      await store.add(a);
      expect(await store.renew(a.id, 70_000, 31_000)).toBeUndefined();
      expect((await store.get(a.id))?.expiresAt).toBe(31_000);
      expect(await store.renew("no-such-id", 70_000, 0)).toBeUndefined();
    });

    it("takeExpired() removes exactly the expired instances, earliest first", async () => {
      const late = instance({ expiresAt: 5_000 });
      const early = instance({ expiresAt: 3_000 });
      const live = instance({ expiresAt: 9_000 });
      for (const added of [late, early, live]) await store.add(added);
      const expired = await store.takeExpired(5_000, 100);
      expect(expired.map((found) => found.id)).toEqual([early.id, late.id]);
      expect(await store.get(early.id)).toBeUndefined();
      expect((await store.instancesOf("billing")).map((found) => found.id)).toEqual([live.id]);
      expect(await store.takeExpired(5_000, 100)).toHaveLength(0);
    });

    it("takeExpired() skips renewed and removed instances", async () => {
      const renewed = instance({ expiresAt: 3_000 });
      const removed = instance({ expiresAt: 3_000 });
      const expiring = instance({ expiresAt: 3_000 });
      for (const added of [renewed, removed, expiring]) await store.add(added);
      await store.renew(renewed.id, 10_000, 2_000);
      await store.remove(removed.id);
      expect((await store.takeExpired(4_000, 100)).map((found) => found.id)).toEqual([expiring.id]);
      expect((await store.get(renewed.id))?.expiresAt).toBe(10_000);
      expect((await store.takeExpired(10_000, 100)).map((found) => found.id)).toEqual([renewed.id]);
    });

    it("takeExpired() returns at most limit instances per call and the rest later", async () => {
      for (let i = 0; i < 25; i++) await store.add(instance({ expiresAt: 1_000 + i }));
      const seen = new Set<string>();
      for (let call = 0; call < 10 && seen.size < 25; call++) {
        const batch = await store.takeExpired(2_000, 10);
        expect(batch.length).toBeLessThanOrEqual(10);
        for (const found of batch) seen.add(found.id);
      }
      expect(seen.size).toBe(25);
      expect(await store.instancesOf("billing")).toHaveLength(0);
    });

    it("keeps thousands of instances over many names consistent through churn", async () => {
      const live = new Map<string, Instance>();
      for (let i = 0; i < 2_000; i++) {
        const added = instance({ name: `svc-${i % 37}`, expiresAt: 10_000 + i });
        await store.add(added);
        live.set(added.id, added);
      }
      let i = 0;
      for (const id of [...live.keys()]) {
        if (i++ % 3 === 0) {
          await store.remove(id);
          live.delete(id);
        }
      }
      for (let n = 0; n < 37; n++) {
        const expected = [...live.values()].filter((found) => found.name === `svc-${n}`).map((found) => found.id).sort();
        const actual = (await store.instancesOf(`svc-${n}`)).map((found) => found.id).sort();
        expect(actual).toEqual(expected);
      }
    });
  });
}
