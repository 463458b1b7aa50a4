/**
 * What one benchmark run measured, and its markdown: the tables, each target's verdict, and
 * the machine it ran on.
 *
 * @module
 */

import { ms, ratio, rps, summarize, table, verdict } from "./report.ts";
import type { WrkResult } from "./wrk.ts";

export interface Settings {
  durationSeconds: number;
  rounds: number;
  scaleSizes: number[];
  out: string;
}

export interface ScaleRow {
  instances: number;
  seedPerSecond: number;
  rssMiB: number;
  lookup: WrkResult;
}

export interface StartupRow {
  label: string;
  startupMs: number;
  rssMiB: number;
}

export interface ExpiryResult {
  expired: number;
  sweepMs: number;
  duringSweep: WrkResult;
  afterSweep: WrkResult;
  /** The sweep began and ended within the measured run (else its numbers do not cover it). */
  sweepInsideRun: boolean;
}

export interface Sections {
  machine: {
    date: string;
    cpu: string;
    bun: string;
    deno: string;
    wrk: string;
    kernel: string;
    loadBefore: string;
    loadAfter: string;
  };
  settings: Settings;
  /** scenario -> target label -> one result per round. */
  throughput: Map<string, Map<string, WrkResult[]>>;
  sqlite: boolean;
  scale: ScaleRow[];
  startup: StartupRow[];
  expiry?: ExpiryResult;
  elapsedSeconds: number;
}

const SCENARIOS: Record<string, string> = {
  lookup: "lookup",
  heartbeat: "heartbeat",
  mix: "mix (90% lookup, 9% heartbeat, 1% register/deregister)",
};

function throughputSection(sections: Sections): string {
  const rows: string[][] = [];
  const targets: string[] = [];
  for (const [scenario, byTarget] of sections.throughput) {
    const srsr = summarize(byTarget.get("srsr")!);
    const ceiling = summarize(byTarget.get("ceiling")!);
    const ratioValue = srsr.requestsPerSecond / ceiling.requestsPerSecond;
    rows.push([
      SCENARIOS[scenario],
      rps(srsr.requestsPerSecond),
      rps(ceiling.requestsPerSecond),
      ratio(ratioValue),
      `${ms(srsr.p50Ms)} / ${ms(ceiling.p50Ms)}`,
      `${ms(srsr.p99Ms)} / ${ms(ceiling.p99Ms)}`,
      String(srsr.errors + ceiling.errors),
    ]);
    if (scenario !== "mix") targets.push(`- ${scenario} ≥ 0.90× the ceiling: ${ratio(ratioValue)}, ${verdict(ratioValue, 0.9)}`);
  }
  return [
    "## srsr against the ceiling (memory store, 1,000 instances over 100 names)",
    "",
    table(["scenario", "srsr req/s", "ceiling req/s", "srsr / ceiling", "p50 ms (srsr / ceiling)", "p99 ms (srsr / ceiling)", "errors"], rows),
    "",
    ...targets,
  ].join("\n");
}

function sqliteSection(sections: Sections): string {
  if (!sections.sqlite) return "## Memory against SQLite\n\nSkipped: the SQLite store was not in git when this ran.";
  const rows: string[][] = [];
  const targets: string[] = [];
  const floors: Record<string, number> = { lookup: 0.95, heartbeat: 0.8 };
  for (const [scenario, byTarget] of sections.throughput) {
    const memory = summarize(byTarget.get("srsr")!);
    const sqlite = summarize(byTarget.get("srsr-sqlite")!);
    const ratioValue = sqlite.requestsPerSecond / memory.requestsPerSecond;
    rows.push([
      SCENARIOS[scenario],
      rps(memory.requestsPerSecond),
      rps(sqlite.requestsPerSecond),
      ratio(ratioValue),
      `${ms(memory.p99Ms)} / ${ms(sqlite.p99Ms)}`,
    ]);
    if (floors[scenario]) {
      targets.push(`- sqlite ${scenario} ≥ ${floors[scenario]}× memory: ${ratio(ratioValue)}, ${verdict(ratioValue, floors[scenario])}`);
    }
  }
  return [
    "## Memory against SQLite (1,000 instances over 100 names)",
    "",
    table(["scenario", "memory req/s", "sqlite req/s", "sqlite / memory", "p99 ms (memory / sqlite)"], rows),
    "",
    ...targets,
  ].join("\n");
}

function scaleSection(sections: Sections): string {
  const rows = sections.scale.map((row) => [
    row.instances.toLocaleString("en-US"),
    rps(row.seedPerSecond),
    row.rssMiB.toFixed(0),
    rps(row.lookup.requestsPerSecond),
    ms(row.lookup.p50Ms),
    ms(row.lookup.p99Ms),
  ]);
  const base = sections.scale[0];
  const largest = sections.scale[sections.scale.length - 1];
  const change = largest.lookup.p99Ms / base.lookup.p99Ms - 1;
  const targets = [
    `- lookup p99 within ±10% from ${base.instances.toLocaleString("en-US")} to ${largest.instances.toLocaleString("en-US")} instances: ` +
    `${change >= 0 ? "+" : ""}${(change * 100).toFixed(0)}%, ${Math.abs(change) <= 0.1 ? "met" : "**not met**"}`,
  ];
  if (largest.instances >= 1_000_000) {
    targets.push(`- 1M instances in ≤ 400 MB resident: ${(largest.rssMiB * 1.048576).toFixed(0)} MB, ${verdict(largest.rssMiB * 1.048576, 400, false)}`);
  }
  const startup = sections.startup.length === 0 ? [] : [
    "",
    "### Start-up (spawn to first answered request)",
    "",
    table(["store", "start-up ms", "RSS MiB"], sections.startup.map((row) => [row.label, row.startupMs.toFixed(0), row.rssMiB.toFixed(0)])),
  ];
  return [
    "## Scale (memory store; lookups over 100 names of 10 instances each; the rest spread over more names)",
    "",
    table(["instances", "seeded per s (HTTP)", "RSS MiB", "lookup req/s", "lookup p50 ms", "lookup p99 ms"], rows),
    "",
    ...targets,
    ...startup,
  ].join("\n");
}

function expirySection(sections: Sections): string {
  const result = sections.expiry;
  if (!result) return "";
  const delay = result.duringSweep.maxMs;
  return [
    `## Expiry (${result.expired.toLocaleString("en-US")} instances expiring at one instant while lookups run)`,
    "",
    table(["lookups", "req/s", "p50 ms", "p99 ms", "max ms"], [
      ["during the sweep (8 s run)", rps(result.duringSweep.requestsPerSecond), ms(result.duringSweep.p50Ms), ms(result.duringSweep.p99Ms), ms(delay)],
      ["after it (3 s run)", rps(result.afterSweep.requestsPerSecond), ms(result.afterSweep.p50Ms), ms(result.afterSweep.p99Ms), ms(result.afterSweep.maxMs)],
    ]),
    "",
    `The sweep took ${result.sweepMs.toFixed(0)} ms from the first \`expire\` event to the last.` +
    (result.sweepInsideRun ? "" : " **It did not fall wholly inside the measured run: the lookup numbers do not cover all of it.**"),
    "",
    `- no lookup delayed more than 50 ms by the expiry: worst lookup ${ms(delay)} ms, ${verdict(delay, 50, false)}`,
  ].join("\n");
}

export function renderReport(sections: Sections): string {
  const { machine, settings } = sections;
  return [
    `Run ${machine.date} on ${machine.cpu}; Linux ${machine.kernel}; Bun ${machine.bun}; ${machine.deno}; ${machine.wrk}.`,
    `Load average (1, 5, 15 min) before: ${machine.loadBefore}; after: ${machine.loadAfter}. ` +
    `Each wrk run ${settings.durationSeconds} s, 1 thread, 32 connections; ${settings.rounds} alternating round(s), medians shown ` +
    `(max latency is the worst of all rounds). The whole run took ${sections.elapsedSeconds.toFixed(0)} s.`,
    "",
    throughputSection(sections),
    "",
    sqliteSection(sections),
    "",
    scaleSection(sections),
    "",
    expirySection(sections),
  ].join("\n");
}
