import { describe, expect, test } from "bun:test";
import { MemoryStore } from "../stores/memory/store.ts";
import { manualClock, newInstance, storeConformance } from "./store_conformance.ts";
import { bunRunner } from "./support/bun_runner.ts";

storeConformance("memory", async (options) => new MemoryStore(options), bunRunner);

describe("memory store", () => {
  test("memory follows what is registered: a deregistered instance leaves the expiry queue at once", async () => {
    const clock = manualClock();
    const store = new MemoryStore({ now: clock.now, retention: { changes: 10, ms: 1 } });
    for (let round = 0; round < 5; round++) {
      clock.advance(10);
      const added = [];
      for (let i = 0; i < 1_000; i++) added.push(await store.register(newInstance({ name: `svc-${i}`, ttl: 3600 })));
      clock.advance(10);
      for (const instance of added) await store.deregister(instance.id);
    }
    clock.advance(10); // the last round's changes age out of the history with the next one
    await store.deregister((await store.register(newInstance({ name: "last" }))).id);
    expect(store.size).toBe(0);
    expect(store.queued).toBe(0);
    expect(store.retainedChanges).toBeLessThanOrEqual(10);
    expect(store.names).toBeLessThanOrEqual(10);
  });

  test("a 100k-instance expiry is taken in bounded slices, earliest first", async () => {
    const clock = manualClock();
    const store = new MemoryStore({ now: clock.now });
    for (let i = 0; i < 100_000; i++) await store.register(newInstance({ name: `svc-${i % 1000}`, ttl: 1 + (i % 7) / 1000 }));
    clock.advance(2_000);
    let slices = 0;
    for (let more = true; more; slices++) ({ more } = await store.expire(500));
    expect(slices).toBeGreaterThanOrEqual(200);
    expect(store.size).toBe(0);
    expect(store.queued).toBe(0);
  });
});
