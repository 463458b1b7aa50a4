/**
 * Measures how long the SQLite store's writes hold up the event loop — the time every request
 * waits — during a burst of registers, a mass expiry and a burst of deregisters. A 1 ms timer
 * ticks throughout; the stall is the longest gap between ticks beyond that millisecond. A lookup
 * runs on every tick too, so the figure is what a lookup arriving at the worst moment waits.
 *
 * Usage: bun scripts/sqlite_stall.ts [--instances N] [--burst N] [--memory]   (deno run -A too)
 * Prints one line per phase: its stall (max and p99 of tick gaps), its duration and its rate.
 * `--memory` runs the same phases on the memory store: the stalls no disk causes (collection
 * of garbage, a busy machine), to set the SQLite figures against.
 *
 * @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { detectRuntime } from "../src/runtime/detect.ts";
import { MemoryStore } from "../stores/memory/store.ts";
import { openSqliteStore } from "../stores/sqlite/store.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    instances: { type: "string", default: "100000" },
    burst: { type: "string", default: "20000" },
    memory: { type: "boolean", default: false },
  },
});
const instances = Number(values.instances);
const burst = Number(values.burst);
const SWEEP_SLICE = 500; // the registry's default sweepSliceSize

/** Ticks every millisecond and records how late each tick was, while `body` runs. */
async function stallDuring(phase: string, operations: number, body: () => Promise<void>): Promise<void> {
  const gaps: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last - 1);
    last = now;
    void store.pick("billing", Math.random); // a lookup, as the server would answer one
  }, 1);
  const started = performance.now();
  await body();
  const took = performance.now() - started;
  clearInterval(timer);
  gaps.push(performance.now() - last - 1);
  gaps.sort((a, b) => a - b);
  const p99 = gaps[Math.floor(gaps.length * 0.99)] ?? 0;
  const max = gaps.at(-1) ?? 0;
  console.log(
    `${phase.padEnd(32)} stall max ${max.toFixed(1).padStart(7)} ms, p99 ${p99.toFixed(1).padStart(6)} ms; ` +
      `${operations} in ${took.toFixed(0)} ms (${Math.round(operations / (took / 1000))}/s)`,
  );
}

const folder = mkdtempSync(join(tmpdir(), "srsr-stall-"));
let clock = Date.now();
const runtime = await detectRuntime();
const store = values.memory
  ? new MemoryStore({ now: () => clock })
  : await openSqliteStore(join(folder, "reg.db"), { openSqlite: runtime.openSqlite, now: () => clock, trimDelayMs: 50 });
console.log(`${runtime.name}, ${store.description}: ${instances} instances, bursts of ${burst}`);

/** Runs `count` calls of `operation`, at most 1000 in flight, as concurrent requests would. */
async function concurrently(count: number, operation: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await operation(next++);
  };
  await Promise.all(Array.from({ length: Math.min(1000, count) }, lane));
}

const register = (i: number, ttl: number) =>
  store.register({ id: `instance-${i}`, name: i % 2 === 0 ? "billing" : `service-${i % 500}`, address: `http://10.0.${i >> 8 & 255}.${i & 255}:8080`, meta: { zone: "a" }, ttl });

await stallDuring(`register burst (${burst})`, burst, () => concurrently(burst, (i) => register(i, 3600)));
await stallDuring(`deregister burst (${burst})`, burst, () => concurrently(burst, (i) => store.deregister(`instance-${i}`)));
await concurrently(instances, (i) => register(burst + i, 10));
clock += 11_000;
await stallDuring(`mass expiry (${instances})`, instances, async () => {
  for (;;) {
    const { more } = await store.expire(SWEEP_SLICE);
    if (!more) break;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  // The history trim follows a write by trimDelayMs: wait for it to have run.
  await new Promise((resolve) => setTimeout(resolve, 200));
  await store.ready();
});
await store.close();
rmSync(folder, { recursive: true, force: true });
