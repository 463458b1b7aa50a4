import { describe, expect, test } from "bun:test";
import { MemoryStore } from "../stores/memory/store.ts";
import { createLogger } from "../src/logger.ts";
import { InvalidInputError, mergeMeta, Registry } from "../src/registry.ts";
import { manualClock } from "./store_conformance.ts";

/** A registry on a memory store with a clock the test moves by hand, logging into `lines`. */
function setup({ defaultTtl = 30, maxTtl = 3600, sweepSliceSize = 2000 } = {}) {
  const clock = manualClock();
  const lines: string[] = [];
  const logger = createLogger("info", (line) => lines.push(line));
  const store = new MemoryStore({ now: clock.now, logger });
  const registry = new Registry(store, { defaultTtl, maxTtl, sweepSliceSize, logger });
  return { registry, store, lines, clock };
}

describe("Registry", () => {
  test("register() gives a uuid, the default TTL and no meta unless told otherwise", async () => {
    const { registry, clock } = setup({ defaultTtl: 30 });
    const plain = await registry.register({ name: "billing", address: "http://10.0.0.1:80" });
    expect(plain.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(plain).toMatchObject({ ttl: 30, meta: {}, expiresAt: clock.now() + 30_000 });
    const own = await registry.register({ name: "billing", address: "http://10.0.0.2:80", ttl: 0.25, meta: { zone: "a" } });
    expect(own).toMatchObject({ ttl: 0.25, meta: { zone: "a" }, expiresAt: clock.now() + 250 });
  });

  test("register() refuses a TTL above the maximum, and accepts the maximum itself", async () => {
    const { registry } = setup({ maxTtl: 60 });
    await expect(registry.register({ name: "a", address: "a:1", ttl: 60.5 })).rejects.toThrow(
      new InvalidInputError("ttl: must be at most 60 seconds (the server's --max-ttl)"),
    );
    expect((await registry.register({ name: "a", address: "a:1", ttl: 60 })).ttl).toBe(60);
    expect((await registry.services()).services).toEqual([{ name: "a", instances: 1 }]);
  });

  test("the default TTL applies even when it is above the maximum a client may ask for", async () => {
    const { registry } = setup({ defaultTtl: 7200, maxTtl: 3600 });
    expect((await registry.register({ name: "a", address: "a:1" })).ttl).toBe(7200);
  });

  test("pick() chooses among all live instances, each about equally often", async () => {
    const { registry } = setup();
    const counts = new Map<string, number>();
    for (let i = 0; i < 5; i++) counts.set((await registry.register({ name: "billing", address: `10.0.0.${i}:80` })).id, 0);
    const draws = 5_000;
    for (let i = 0; i < draws; i++) {
      const id = (await registry.pick("billing"))!.id;
      counts.set(id, counts.get(id)! + 1);
    }
    // Each expects 1000; 700 is more than 9 standard deviations below.
    for (const count of counts.values()) expect(count).toBeGreaterThan(700);
  });

  test("patchMeta() merges: a string sets a key, null removes one, others stay", async () => {
    const { registry } = setup();
    const added = await registry.register({ name: "a", address: "a:1", meta: { zone: "eu", canary: "yes", tier: "1" } });
    const patched = await registry.patchMeta(added.id, { zone: "us", canary: null, new: "x" });
    expect(patched?.meta).toEqual({ zone: "us", tier: "1", new: "x" });
    expect(await registry.patchMeta("no-such-id", { a: "b" })).toBeUndefined();
  });

  test("patchMeta() refuses a patch that would leave more than 32 keys, and changes nothing", async () => {
    const { registry } = setup();
    const meta = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, "v"]));
    const added = await registry.register({ name: "a", address: "a:1", meta });
    const index = registry.index();
    await expect(registry.patchMeta(added.id, { extra: "v" })).rejects.toThrow(
      "meta: the patch would leave 33 keys; at most 32 are allowed",
    );
    expect(registry.index()).toBe(index);
    expect(Object.keys((await registry.get(added.id))!.meta)).toHaveLength(32);
    expect((await registry.patchMeta(added.id, { k0: null, extra: "v" }))?.meta.extra).toBe("v");
  });

  test("sweep() expires in slices, logs each expiry, and returns how many", async () => {
    const { registry, clock, lines } = setup({ defaultTtl: 1, sweepSliceSize: 7 });
    for (let i = 0; i < 50; i++) await registry.register({ name: `svc-${i % 3}`, address: `10.0.0.${i}:80` });
    clock.advance(1_000);
    expect(await registry.sweep()).toBe(50);
    expect(lines.filter((line) => / info expire name=svc-\d /.test(line))).toHaveLength(50);
    expect(await registry.sweep()).toBe(0);
  });

  test("every change is logged once, with the name, the address and the id", async () => {
    const { registry, lines } = setup();
    const added = await registry.register({ name: "billing", address: "http://10.0.0.1:80" });
    await registry.patchMeta(added.id, { v: "2" });
    await registry.heartbeat(added.id);
    await registry.deregister(added.id);
    expect(lines.map((line) => line.replace(/^\S+ /, ""))).toEqual([
      `info register name=billing address=http://10.0.0.1:80 id=${added.id}`,
      `info update name=billing address=http://10.0.0.1:80 id=${added.id}`,
      `info deregister name=billing address=http://10.0.0.1:80 id=${added.id}`,
    ]);
  });

  test("a subscriber that throws is logged and breaks neither a register nor a sweep", async () => {
    const { registry, clock, lines } = setup({ defaultTtl: 1 });
    registry.subscribe(() => {
      throw new Error("listener bug");
    });
    const seen: string[] = [];
    registry.subscribe((changes) => seen.push(...changes.map((change) => change.type)));
    const added = await registry.register({ name: "billing", address: "a:1" });
    expect((await registry.get(added.id))?.id).toBe(added.id);
    clock.advance(1_000);
    expect(await registry.sweep()).toBe(1);
    expect(seen).toEqual(["register", "expire"]);
    expect(lines.filter((line) => line.includes("error a change listener failed") && line.includes("listener bug"))).toHaveLength(2);
  });
});

describe("mergeMeta()", () => {
  test("follows RFC 7396 for flat string maps and does not change its input", () => {
    const meta = Object.freeze({ a: "1", b: "2" });
    expect(mergeMeta(meta, { b: null, c: "3" })).toEqual({ a: "1", c: "3" });
    expect(mergeMeta(meta, {})).toEqual({ a: "1", b: "2" });
    expect(mergeMeta(meta, { missing: null })).toEqual({ a: "1", b: "2" });
    expect(meta).toEqual({ a: "1", b: "2" });
  });
});
