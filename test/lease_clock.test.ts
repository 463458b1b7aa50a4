/**
 * A registry that pauses must not expire everyone (issue 10, item 3): the lease clock of the
 * memory and SQLite stores, on an injected monotonic source, so every case is deterministic.
 * The real SIGSTOP of a spawned srsr is in test/pause_e2e.test.ts.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqlite } from "../src/runtime/bun/sqlite.ts";
import { LeaseClock, reportingLeaseClock } from "../stores/memory/lease_clock.ts";
import { MemoryStore } from "../stores/memory/store.ts";
import { openSqliteStore } from "../stores/sqlite/store.ts";
import type { PauseCounts, Store } from "../stores/store.ts";
import { newInstance } from "./store_conformance.ts";

const WALL_AT_START = Date.UTC(2026, 10, 28, 10, 0, 0, 0);

/**
 * A monotonic source moved by hand. `run(ms)` is srsr running: the watchdog reads the clock
 * every 100 ms meanwhile. `pause(ms)` is srsr not running: nothing reads it.
 */
function fakeTime(clockOf: () => LeaseClock) {
  let monotonic = 5_000.25;
  return {
    monotonic: () => monotonic,
    run(ms: number) {
      for (let left = ms; left > 0; left -= 100) {
        monotonic += Math.min(100, left);
        clockOf().now();
      }
    },
    pause(ms: number) {
      monotonic += ms;
    },
  };
}

function startedClock(options: { onPause?: (gapMs: number) => void } = {}) {
  let clock: LeaseClock;
  const time = fakeTime(() => clock);
  clock = new LeaseClock({ monotonic: time.monotonic, wall: () => WALL_AT_START, ...options });
  clock.start();
  return { clock, time };
}

describe("LeaseClock", () => {
  test("reads the wall clock once, then moves with the monotonic one, in whole milliseconds", () => {
    let wall = WALL_AT_START;
    let monotonic = 1_000.7;
    const clock = new LeaseClock({ monotonic: () => monotonic, wall: () => wall });
    expect(clock.now()).toBe(WALL_AT_START);
    monotonic += 1_500.6;
    wall += 60_000; // a wall-clock step (NTP, an operator): no lease moves with it
    expect(clock.now()).toBe(WALL_AT_START + 1_500);
    monotonic += 0.4;
    expect(clock.now()).toBe(WALL_AT_START + 1_501);
  });

  test("stands still for exactly the time srsr was not seen running, and reports it", () => {
    const pauses: number[] = [];
    const { clock, time } = startedClock({ onPause: (gapMs) => void pauses.push(gapMs) });
    time.run(1_000);
    const before = clock.now();
    time.pause(60_000);
    expect(clock.now()).toBe(before);
    expect(pauses).toEqual([60_000]);
    time.run(250);
    expect(clock.now()).toBe(before + 250);
    expect(clock.pausedMs).toBe(60_000);
  });

  test("a pause is counted from the last read, whatever read it was: a request's as much as the watchdog's", () => {
    const pauses: number[] = [];
    const { clock, time } = startedClock({ onPause: (gapMs) => void pauses.push(gapMs) });
    time.run(1_000);
    time.pause(40); // a request reads the clock 40 ms after the watchdog did
    const lastSeen = clock.now();
    time.pause(10_000);
    expect(clock.now()).toBe(lastSeen);
    expect(pauses).toEqual([10_000]);
  });

  test("no pause while the watchdog is at most its slack late; idleness is time passing", () => {
    const onPause = () => {
      throw new Error("no pause expected");
    };
    const { clock, time } = startedClock({ onPause });
    const start = clock.now();
    for (let i = 0; i < 50; i++) {
      time.pause(199); // 99 ms late: within the slack
      clock.now();
    }
    expect(clock.now()).toBe(start + 50 * 199);
    time.run(3_600_000); // an hour of idleness, the watchdog firing
    expect(clock.now()).toBe(start + 50 * 199 + 3_600_000);
    expect(clock.pausedMs).toBe(0);
  });

  test("before start() and after stop() a gap is only time passing: a slow load is not a pause", () => {
    let monotonic = 0;
    const clock = new LeaseClock({ monotonic: () => monotonic, wall: () => WALL_AT_START, onPause: () => expect.unreachable() });
    monotonic += 5_000; // loading a large file
    expect(clock.now()).toBe(WALL_AT_START + 5_000);
    clock.start();
    monotonic += 100;
    expect(clock.now()).toBe(WALL_AT_START + 5_100);
    clock.stop();
    monotonic += 10_000;
    expect(clock.now()).toBe(WALL_AT_START + 15_100);
  });

  test("reportingLeaseClock counts pauses and logs one warning line each", () => {
    const counts: PauseCounts = { pauses: 0, pausedMs: 0 };
    const warnings: string[] = [];
    let monotonic = 0;
    const clock = reportingLeaseClock(
      { pauseCounts: counts, logger: { warn: (line) => void warnings.push(line), error: () => {} } },
      { monotonic: () => monotonic },
    );
    clock.start();
    monotonic += 61_234;
    clock.now();
    monotonic += 100;
    clock.now();
    monotonic += 2_000;
    clock.now();
    clock.stop();
    expect(counts).toEqual({ pauses: 2, pausedMs: 63_234 });
    expect(warnings).toEqual([
      "srsr was not running for 61.234 s (stopped, paused, or its event loop stalled): every lease is extended by that much, so no instance expires for it",
      "srsr was not running for 2.000 s (stopped, paused, or its event loop stalled): every lease is extended by that much, so no instance expires for it",
    ]);
  });
});

const folder = mkdtempSync(join(tmpdir(), "srsr-lease-clock-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let files = 0;

const backends: [string, (leaseClock: LeaseClock) => Promise<Store>][] = [
  ["memory", async (leaseClock) => new MemoryStore({ leaseClock })],
  ["sqlite", (leaseClock) => openSqliteStore(join(folder, `store-${++files}.db`), { openSqlite, leaseClock })],
];

describe.each(backends)("the %s store on its lease clock", (_, open) => {
  async function setup() {
    const { clock, time } = startedClock();
    const store = await open(clock);
    return { store, time, [Symbol.asyncDispose]: () => store.close() };
  }

  test("a pause longer than every TTL expires no instance whose client kept heartbeating", async () => {
    await using context = await setup();
    const { store, time } = context;
    const beating = await store.register(newInstance({ ttl: 2 }));
    const silent = await store.register(newInstance({ ttl: 2 }));
    time.run(1_500);
    expect(await store.heartbeat(beating.id)).toBeDefined();
    time.run(400);
    time.pause(60_000); // a SIGSTOP: its heartbeats wait in the socket meanwhile
    // The sweep often runs first on resuming; it must find the client's lease not yet run out.
    expect(await store.expire(100)).toEqual({ expired: 0, more: false });
    expect(await store.heartbeat(beating.id)).toBeDefined();
    // Running time still counts: the silent one expires 2 s of srsr's time after registering.
    time.run(100);
    expect(await store.get(silent.id)).toBeUndefined();
    expect(await store.expire(100)).toEqual({ expired: 1, more: false });
    expect((await store.list("billing")).instances.map((instance) => instance.id)).toEqual([beating.id]);
  });

  test("without pauses, leases run out in running time as before", async () => {
    await using context = await setup();
    const { store, time } = context;
    const added = await store.register(newInstance({ ttl: 1 }));
    time.run(999);
    expect(await store.get(added.id)).toBeDefined();
    time.run(1);
    expect(await store.get(added.id)).toBeUndefined();
    expect(await store.expire(100)).toEqual({ expired: 1, more: false });
  });
});

describe("stores with an injected now", () => {
  test("use it as given and start no lease clock (the conformance suites' manual clocks)", async () => {
    const store = new MemoryStore({ now: () => 42 });
    expect((await store.register(newInstance({ ttl: 1 }))).registeredAt).toBe(42);
    await store.close();
  });
});
