/**
 * What one benchmark run measured, and its markdown: the tables, each target's verdict, and
 * the machine it ran on.
 *
 * @module
 */

import { type Baseline, baselineSection } from "./baseline.ts";
import { metricsSection } from "./metrics.ts";
import { ms, ratio, rps, summarize, table, verdict } from "./report.ts";
import { type PostgresResult, postgresSection } from "./postgres.ts";
import { type WatchResult, watchSection } from "./watch.ts";
import type { WrkResult } from "./wrk.ts";

export interface Settings {
  durationSeconds: number;
  rounds: number;
  scaleSizes: number[];
  /** The markdown file whose generated part the report replaces; `undefined` prints it to stdout. */
  out: string | undefined;
  /** Parts to run; `undefined` runs all. */
  only?: Set<string>;
  /** The git ref of the older srsr the throughput runs compare against. */
  baseline: string;
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
  /** The older srsr among the throughput targets, when it could be materialized. */
  baseline?: Baseline;
  sqlite: boolean;
  scale: ScaleRow[];
  startup: StartupRow[];
  expiry?: ExpiryResult;
  watch?: WatchResult;
  postgres?: PostgresResult;
  /** docs/soak.md (`npm run soak`), when it exists: carried into the report, which a full run rewrites. */
  soak?: string;
  elapsedSeconds: number;
}

/** The soak report as a section of this one: its title demoted, its headings a level down. */
export function soakSection(soak: string | undefined): string {
  if (soak === undefined || soak.trim() === "") return "";
  const body = soak.trim().replace(/^# .*\n+/, "").replace(/^(#+ )/gm, "#$1");
  return ["## Soak (`npm run soak`, copied from docs/soak.md)", "", body].join("\n");
}

const SCENARIOS: Record<string, string> = {
  lookup: "lookup",
  heartbeat: "heartbeat",
  mix: "mix (90% lookup, 9% heartbeat, 1% register/deregister)",
};

const cpu = (result: WrkResult) => (result.cpuUsPerRequest ?? NaN).toFixed(1);

/** Throughput ratio a/b by CPU time per request: what req/s would say on idle cores. */
const cpuRatio = (a: WrkResult, b: WrkResult) => (b.cpuUsPerRequest ?? NaN) / (a.cpuUsPerRequest ?? NaN);

function throughputSection(sections: Sections): string {
  if (sections.throughput.size === 0) return "";
  const rows: string[][] = [];
  const targets: string[] = [];
  for (const [scenario, byTarget] of sections.throughput) {
    const srsr = summarize(byTarget.get("srsr")!);
    const ceiling = summarize(byTarget.get("ceiling")!);
    const byRate = srsr.requestsPerSecond / ceiling.requestsPerSecond;
    const byCpu = cpuRatio(srsr, ceiling);
    rows.push([
      SCENARIOS[scenario],
      `${rps(srsr.requestsPerSecond)} / ${rps(ceiling.requestsPerSecond)}`,
      ratio(byRate),
      `${cpu(srsr)} / ${cpu(ceiling)}`,
      ratio(byCpu),
      `${ms(srsr.p50Ms)} / ${ms(ceiling.p50Ms)}`,
      `${ms(srsr.p99Ms)} / ${ms(ceiling.p99Ms)}`,
      String(srsr.errors + ceiling.errors),
    ]);
    if (scenario !== "mix") {
      targets.push(
        `- ${scenario} ≥ 0.90× the ceiling: ${ratio(byRate)} by req/s, ${verdict(byRate, 0.9)}; ` +
          `${ratio(byCpu)} by CPU per request, ${verdict(byCpu, 0.9)}`,
      );
    }
  }
  return [
    "## srsr against the ceiling (memory store, 1,000 instances over 100 names)",
    "",
    "Each pair is srsr / ceiling. *CPU µs/req* is the server's CPU time (user + system, all threads, " +
    "from /proc) divided by the requests it answered; its ratio is what req/s would show on otherwise idle cores.",
    "",
    table(["scenario", "req/s", "ratio by req/s", "CPU µs/req", "ratio by CPU", "p50 ms", "p99 ms", "errors"], rows),
    "",
    ...targets,
  ].join("\n");
}

function sqliteSection(sections: Sections): string {
  if (sections.throughput.size === 0) return "";
  if (!sections.sqlite) return "## Memory against SQLite\n\nSkipped: the SQLite store was not in git when this ran.";
  const rows: string[][] = [];
  const targets: string[] = [];
  const floors: Record<string, number> = { lookup: 0.95, heartbeat: 0.8 };
  for (const [scenario, byTarget] of sections.throughput) {
    const memory = summarize(byTarget.get("srsr")!);
    const sqlite = summarize(byTarget.get("srsr-sqlite")!);
    const byRate = sqlite.requestsPerSecond / memory.requestsPerSecond;
    const byCpu = cpuRatio(sqlite, memory);
    rows.push([
      SCENARIOS[scenario],
      `${rps(memory.requestsPerSecond)} / ${rps(sqlite.requestsPerSecond)}`,
      ratio(byRate),
      `${cpu(memory)} / ${cpu(sqlite)}`,
      ratio(byCpu),
      `${ms(memory.p99Ms)} / ${ms(sqlite.p99Ms)}`,
    ]);
    if (floors[scenario]) {
      targets.push(
        `- sqlite ${scenario} ≥ ${floors[scenario]}× memory: ${ratio(byRate)} by req/s, ${verdict(byRate, floors[scenario])}; ` +
          `${ratio(byCpu)} by CPU per request, ${verdict(byCpu, floors[scenario])}`,
      );
    }
  }
  return [
    "## Memory against SQLite (1,000 instances over 100 names)",
    "",
    "Each pair is memory / sqlite; ratios are sqlite over memory.",
    "",
    table(["scenario", "req/s", "ratio by req/s", "CPU µs/req", "ratio by CPU", "p99 ms"], rows),
    "",
    ...targets,
  ].join("\n");
}

function scaleSection(sections: Sections): string {
  if (sections.scale.length === 0) return "";
  const rows = sections.scale.map((row) => [
    row.instances.toLocaleString("en-US"),
    rps(row.seedPerSecond),
    row.rssMiB.toFixed(0),
    rps(row.lookup.requestsPerSecond),
    cpu(row.lookup),
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
  return [
    "## Scale (memory store; lookups over 100 names of 10 instances each; the rest spread over more names)",
    "",
    table(["instances", "seeded per s (HTTP)", "RSS MiB", "lookup req/s", "lookup CPU µs/req", "lookup p50 ms", "lookup p99 ms"], rows),
    "",
    ...targets,
  ].join("\n");
}

function startupSection(sections: Sections): string {
  if (sections.startup.length === 0) return "";
  return [
    "## Start-up (spawn to first answered request)",
    "",
    table(["store", "start-up ms", "RSS MiB"], sections.startup.map((row) => [row.label, row.startupMs.toFixed(0), row.rssMiB.toFixed(0)])),
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
  const header = [
    `Run ${machine.date} on ${machine.cpu}; Linux ${machine.kernel}; Bun ${machine.bun}; ${machine.deno}; ${machine.wrk}.`,
    `Load average (1, 5, 15 min) before: ${machine.loadBefore}; after: ${machine.loadAfter}. ` +
    `Each wrk run ${settings.durationSeconds} s, 1 thread, 32 connections; ${settings.rounds} alternating round(s), medians shown ` +
    `(max latency is the worst of all rounds). The whole run took ${sections.elapsedSeconds.toFixed(0)} s.`,
  ].join("\n");
  // Parts that did not run render as "" and leave no gap.
  return [
    header,
    throughputSection(sections),
    baselineSection(sections.throughput, sections.baseline),
    metricsSection(sections.throughput),
    sqliteSection(sections),
    scaleSection(sections),
    startupSection(sections),
    expirySection(sections),
    watchSection(sections.watch),
    postgresSection(sections.postgres),
    soakSection(sections.soak),
  ].filter((part) => part !== "").join("\n\n");
}
