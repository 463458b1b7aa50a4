import { describe, expect, test } from "bun:test";
import { MemoryStore } from "../stores/memory/store.ts";
import { createLogger } from "../src/logger.ts";
import { pickInstance, Registry, type RegistryEvent } from "../src/registry.ts";

/** A registry on a memory store with a clock the test moves by hand. */
function setup({ timeout = 30, sweepSliceSize = 2000 } = {}) {
  let now = 1_000_000;
  const lines: string[] = [];
  const registry = new Registry(new MemoryStore(), {
    timeout,
    now: () => now,
    sweepSliceSize,
    logger: createLogger("info", (line) => lines.push(line)),
  });
  return { registry, lines, advance: (ms: number) => (now += ms) };
}

describe("Registry", () => {
  test("register() then lookup() returns the instance", async () => {
    const { registry } = setup();
    const instance = await registry.register({ name: "billing", address: "http://10.0.0.1:80" });
    expect(instance.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect((await registry.lookup("billing"))?.address).toBe("http://10.0.0.1:80");
    expect(await registry.lookup("search")).toBeUndefined();
  });

  test("an instance expires timeout seconds after registering, before any sweep", async () => {
    const { registry, advance } = setup({ timeout: 30 });
    const instance = await registry.register({ name: "billing", address: "http://10.0.0.1:80" });
    advance(29_999);
    expect((await registry.lookup("billing"))?.id).toBe(instance.id);
    advance(1);
    expect(await registry.lookup("billing")).toBeUndefined();
    expect(await registry.heartbeat(instance.id)).toBe(false);
  });

  test("heartbeat() renews expiry to now + timeout", async () => {
    const { registry, advance } = setup({ timeout: 30 });
    const instance = await registry.register({ name: "billing", address: "http://10.0.0.1:80" });
    advance(20_000);
    expect(await registry.heartbeat(instance.id)).toBe(true);
    advance(29_000); // 49 s after registering, 29 s after the heartbeat
    expect((await registry.lookup("billing"))?.id).toBe(instance.id);
    expect(await registry.sweep()).toBe(0);
    advance(1_000);
    expect(await registry.lookup("billing")).toBeUndefined();
    expect(await registry.sweep()).toBe(1);
  });

  test("heartbeat() of an unknown id is false", async () => {
    const { registry } = setup();
    expect(await registry.heartbeat("5b0c3a52-0000-4000-8000-000000000000")).toBe(false);
  });

  test("deregister() removes only that instance and keeps its siblings", async () => {
    const { registry } = setup();
    const first = await registry.register({ name: "billing", address: "http://10.0.0.1:80" });
    const second = await registry.register({ name: "billing", address: "http://10.0.0.2:80" });
    expect(await registry.deregister(first.id)).toBe(true);
    expect(await registry.deregister(first.id)).toBe(false);
    for (let i = 0; i < 20; i++) expect((await registry.lookup("billing"))?.id).toBe(second.id);
    expect(await registry.heartbeat(second.id)).toBe(true);
  });

  test("deregister() of an expired instance is false", async () => {
    const { registry, advance } = setup({ timeout: 1 });
    const instance = await registry.register({ name: "billing", address: "http://10.0.0.1:80" });
    advance(1_000);
    expect(await registry.deregister(instance.id)).toBe(false);
  });

  test("lookup() picks among all live instances, each about equally often", async () => {
    const { registry } = setup();
    const ids = new Map<string, number>();
    for (let i = 0; i < 5; i++) {
      ids.set((await registry.register({ name: "billing", address: `http://10.0.0.${i}:80` })).id, 0);
    }
    const draws = 5_000;
    for (let i = 0; i < draws; i++) {
      const id = (await registry.lookup("billing"))!.id;
      ids.set(id, ids.get(id)! + 1);
    }
    // Each expects 1000; 700 is more than 9 standard deviations below.
    for (const count of ids.values()) expect(count).toBeGreaterThan(700);
  });

  test("lookup() never returns an expired sibling awaiting the sweep", async () => {
    const { registry, advance } = setup({ timeout: 10 });
    for (let i = 0; i < 9; i++) await registry.register({ name: "billing", address: `http://10.0.0.${i}:80` });
    advance(5_000);
    const fresh = await registry.register({ name: "billing", address: "http://10.0.0.99:80" });
    advance(5_000);
    for (let i = 0; i < 50; i++) expect((await registry.lookup("billing"))?.id).toBe(fresh.id);
  });

  test("sweep() removes expired instances in slices and reports each", async () => {
    const { registry, advance, lines } = setup({ timeout: 1, sweepSliceSize: 7 });
    const events: RegistryEvent[] = [];
    registry.subscribe((event) => events.push(event));
    for (let i = 0; i < 50; i++) await registry.register({ name: `svc-${i % 3}`, address: `10.0.0.${i}:80` });
    advance(1_000);
    expect(await registry.sweep()).toBe(50);
    expect(events.filter((event) => event.type === "expire")).toHaveLength(50);
    expect(lines.filter((line) => / info expire svc-\d /.test(line))).toHaveLength(50);
    expect(await registry.sweep()).toBe(0);
  });

  test("subscribe() sees register and deregister; unsubscribe stops it", async () => {
    const { registry } = setup();
    const events: string[] = [];
    const unsubscribe = registry.subscribe((event) => events.push(`${event.type} ${event.instance.name}`));
    const instance = await registry.register({ name: "billing", address: "http://10.0.0.1:80" });
    await registry.deregister(instance.id);
    unsubscribe();
    await registry.register({ name: "search", address: "http://10.0.0.1:80" });
    expect(events).toEqual(["register billing", "deregister billing"]);
  });
});

describe("pickInstance()", () => {
  const at = (expiresAt: number, id = String(expiresAt)) =>
    ({ id, name: "n", address: "a:1", registeredAt: 0, expiresAt });

  test("returns undefined for no instances or none live", () => {
    expect(pickInstance([], 0)).toBeUndefined();
    expect(pickInstance([at(5), at(6)], 6)).toBeUndefined();
  });

  test("falls back to a live instance when the draw lands on an expired one", () => {
    const instances = [at(1, "dead"), at(100, "live")];
    expect(pickInstance(instances, 50, () => 0)?.id).toBe("live");
  });
});
