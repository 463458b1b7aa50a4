/**
 * `npm run bench`: srsr against the fastest thing its runtime can do with the same requests
 * (scripts/ceiling.ts), against an older commit of itself and against itself with `--metrics
 * off`, under wrk; its memory and lookup latency from 1k to 1M instances; the cost of a
 * 100k-instance expiry; the memory and wake-up time of 11,000 long-polls and event streams;
 * SQLite rows when that store exists. Rewrites the generated part of docs/benchmarks.md.
 *
 * Servers run pinned to CPU 0, wrk and this script to CPU 1, so they do not fight over one
 * core. Runs of srsr, srsr without metrics, the baseline (an older srsr) and the ceiling
 * alternate (A B C D A B C D) so drift hits all; medians are kept.
 *
 * Usage: `bun scripts/bench.ts --help` (scripts/bench/args.ts). Only a full run rewrites
 * docs/benchmarks.md; a partial or quick one prints to stdout or writes to `--out PATH`, so it
 * never replaces a whole run.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { cpus, loadavg, tmpdir } from "node:os";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseBenchArgs, USAGE } from "./bench/args.ts";
import { materializeBaseline } from "./bench/baseline.ts";
import { METRICS_OFF_LABEL } from "./bench/metrics.ts";
import { type ExpiryResult, type Settings, renderReport, type ScaleRow, type Sections, type StartupRow } from "./bench/sections.ts";
import { writeReport } from "./bench/report.ts";
import { seed, type SeedOptions, UNPIPELINED } from "./bench/seed.ts";
import { BUN, ceilingCommand, ROOT, type RunningServer, srsrCommand, startServer } from "./bench/servers.ts";
import { postgresBench } from "./bench/postgres.ts";
import { watch } from "./bench/watch.ts";
import { runWrk, type WrkResult } from "./bench/wrk.ts";

const SERVER_CPUS = "0";
const LOAD_CPUS = "1";
const LOOKUP_NAMES = 100;
/** Written by `npm run soak`; the report carries it, so a full run does not lose it. */
const SOAK_REPORT = join(ROOT, "docs", "soak.md");

/** Parses the command line before anything else runs: --help and bad usage start nothing. */
function readSettings(args: string[]): Settings {
  const command = parseBenchArgs(args, { docsPath: join(ROOT, "docs", "benchmarks.md") });
  if (command.kind === "help") {
    console.log(USAGE);
    process.exit(0);
  }
  if (command.kind === "error") {
    console.error(`bench: ${command.message}`);
    process.exit(2);
  }
  return command.settings;
}

const settings = readSettings(process.argv.slice(2));
const work = mkdtempSync(join(tmpdir(), "srsr-bench-"));
const log = (message: string) => console.error(`bench: ${message}`);

function lines(path: string, values: string[]): string {
  writeFileSync(join(work, path), values.join("\n") + "\n");
  return join(work, path);
}

const namesFile = lines("names.txt", Array.from({ length: LOOKUP_NAMES }, (_, i) => `svc-${i}`));
const serviceName = (names: number) => (index: number) => `svc-${index % names}`;

const wrk = (port: number, script: string, args: string[], durationSeconds = settings.durationSeconds) =>
  runWrk({ port, script, args, durationSeconds, cpus: LOAD_CPUS });

/** A wrk run that also charges the server's CPU time to the requests it served. */
async function measured(server: RunningServer, script: string, args: string[], durationSeconds?: number) {
  const cpuBefore = server.cpuSeconds();
  const result = await wrk(server.port, script, args, durationSeconds);
  result.cpuUsPerRequest = ((server.cpuSeconds() - cpuBefore) * 1e6) / result.requests;
  return result;
}

interface Target {
  label: string;
  command: (port: number) => string[];
  cwd?: string;
  /** How to seed it: {@link UNPIPELINED} for a store whose writes wait on I/O. @default pipelined */
  seedOptions?: SeedOptions;
}

/** srsr flags for every run: no per-registration log lines, no expiry during a run. */
const BASE_FLAGS = ["-t", "3600", "--log-level", "warn"];
/**
 * The mix registers into one name ("churn") for the whole run, past the default
 * --max-instances-per-name of 10,000: raised so the run measures registrations, not 429s. The
 * baseline, older than that flag, gets BASE_FLAGS alone.
 */
const SRSR_FLAGS = [...BASE_FLAGS, "--max-instances-per-name", "100000000"];

function sqliteAvailable(): boolean {
  const log = spawnSync("git", ["log", "--oneline", "-1", "--", "stores/sqlite"], { cwd: ROOT, encoding: "utf8" });
  return log.stdout.trim() !== "" && existsSync(join(ROOT, "stores", "sqlite", "store.ts"));
}

/** Seeds 1,000 instances over 100 names plus a pool of instances for the mix to deregister. */
async function prepare(target: Target) {
  const server = await startServer({ cpus: SERVER_CPUS, command: target.command, cwd: target.cwd });
  const ids = await seed(server.port, 1000, serviceName(LOOKUP_NAMES), target.seedOptions);
  const churn = await seed(server.port, 8000, () => "churn", target.seedOptions, 1000);
  const args = {
    lookup: [namesFile],
    heartbeat: [lines(`ids-${target.label}.txt`, ids)],
    mix: [namesFile, join(work, `ids-${target.label}.txt`), lines(`churn-${target.label}.txt`, churn), "1"],
  };
  await wrk(server.port, "mix", args.mix, 2); // JIT warm-up, not recorded
  return { target, server, args };
}

async function throughput(targets: Target[]): Promise<Map<string, Map<string, WrkResult[]>>> {
  const prepared = [];
  for (const target of targets) prepared.push(await prepare(target));
  const results = new Map<string, Map<string, WrkResult[]>>();
  try {
    for (const scenario of ["lookup", "heartbeat", "mix"] as const) {
      const byTarget = new Map<string, WrkResult[]>(targets.map((target) => [target.label, []]));
      results.set(scenario, byTarget);
      for (let round = 1; round <= settings.rounds; round++) {
        for (const { target, server, args } of prepared) {
          const result = await measured(server, scenario, args[scenario]);
          log(`${scenario} ${target.label} round ${round}: ${Math.round(result.requestsPerSecond)} req/s, ` +
            `${result.cpuUsPerRequest!.toFixed(1)} CPU µs/req, p99 ${result.p99Ms} ms`);
          byTarget.get(target.label)!.push(result);
        }
      }
    }
  } finally {
    for (const { server } of prepared) await server.stop();
  }
  return results;
}

async function scale(): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  for (const instances of settings.scaleSizes) {
    const server = await startServer({ cpus: SERVER_CPUS, command: srsrCommand(...SRSR_FLAGS) });
    try {
      const started = performance.now();
      await seed(server.port, instances, serviceName(Math.max(LOOKUP_NAMES, instances / 10)));
      const seedPerSecond = instances / ((performance.now() - started) / 1000);
      await wrk(server.port, "lookup", [namesFile], 1); // warm-up
      const lookup = await measured(server, "lookup", [namesFile]);
      const rssMiB = server.rssMiB();
      log(`scale ${instances}: ${rssMiB.toFixed(0)} MiB, lookup p99 ${lookup.p99Ms} ms`);
      rows.push({ instances, seedPerSecond, rssMiB, lookup });
    } finally {
      await server.stop();
    }
  }
  return rows;
}

async function sqliteStartup(): Promise<StartupRow[]> {
  const path = join(work, "startup.db");
  const sqlite = srsrCommand(...SRSR_FLAGS, "--store", `sqlite:${path}`);
  const measure = async (label: string, command: (port: number) => string[], then?: (s: RunningServer) => Promise<void>) => {
    const server = await startServer({ cpus: SERVER_CPUS, command });
    const row = { label, startupMs: server.startupMs, rssMiB: server.rssMiB() };
    try {
      await then?.(server);
    } finally {
      await server.stop();
    }
    return row;
  };
  const rows = [await measure("memory, empty", srsrCommand(...SRSR_FLAGS))];
  rows.push(await measure("sqlite, new file", sqlite, async (server) => {
    await seed(server.port, 100_000, serviceName(10_000), UNPIPELINED);
  }));
  rows.push(await measure("sqlite, 100k instances", sqlite));
  return rows;
}

async function expiry(): Promise<ExpiryResult> {
  const count = 100_000;
  const expireInMs = 5000;
  const server = await startServer({
    cpus: SERVER_CPUS,
    command: (port) => [BUN, "scripts/bench/expiry_server.ts", String(port), String(count), String(expireInMs)],
  });
  try {
    await wrk(server.port, "lookup", [namesFile], 1); // warm-up, before the expiry instant
    const runStartedAt = Date.now();
    const duringSweep = await wrk(server.port, "lookup", [namesFile], 8);
    const runEndedAt = Date.now();
    const deadline = Date.now() + 30_000;
    let line;
    while (!(line = /^EXPIRY (.*)$/m.exec(server.stdout()))) {
      if (Date.now() > deadline) throw new Error("expiry: the sweep did not finish within 30 s of the measured run");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const { expired, sweepMs, startedAt, endedAt } = JSON.parse(line[1]) as Record<string, number>;
    const afterSweep = await wrk(server.port, "lookup", [namesFile], 3);
    log(`expiry: ${expired} in ${sweepMs.toFixed(0)} ms, lookup max ${duringSweep.maxMs} ms (after: ${afterSweep.maxMs})`);
    return { expired, sweepMs, duringSweep, afterSweep, sweepInsideRun: startedAt >= runStartedAt && endedAt <= runEndedAt };
  } finally {
    await server.stop();
  }
}

/** srsr at --baseline, unpacked from git; `undefined`, with a note, when it cannot be. */
function baselineTarget(sections: Sections): Target | undefined {
  const baseline = materializeBaseline(ROOT, settings.baseline, work);
  if (typeof baseline === "string") {
    log(`note: skipping the comparison with an older srsr: ${baseline}`);
    return undefined;
  }
  sections.baseline = baseline;
  const main = join(baseline.dir, "main.ts");
  return { label: baseline.label, command: (port) => [BUN, main, "-p", String(port), ...BASE_FLAGS], cwd: baseline.dir };
}

function machine(): Sections["machine"] {
  // wrk -v exits 1 after printing its version, so the exit status is not consulted.
  const version = (command: string, args: string[]) =>
    spawnSync(command, args, { encoding: "utf8" }).stdout?.split("\n")[0].trim() || "unavailable";
  return {
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? "unknown"}`,
    bun: version(BUN, ["--version"]),
    deno: version(join(ROOT, "node_modules", ".bin", "deno"), ["--version"]),
    wrk: version("wrk", ["-v"]).split(" [")[0],
    kernel: version("uname", ["-r"]),
    loadBefore: loadavg().map((load) => load.toFixed(2)).join(" "),
    loadAfter: "",
  };
}

async function main(): Promise<void> {
  for (const [tool, install] of [["wrk", "apt-get install wrk"], ["taskset", "apt-get install util-linux"]]) {
    if (spawnSync(tool, ["--version"]).error) throw new Error(`${tool} is not installed: ${install}`);
  }
  spawnSync("taskset", ["-a", "-cp", LOAD_CPUS, String(process.pid)]);
  const started = performance.now();
  const sections: Sections = {
    machine: machine(),
    settings,
    throughput: new Map(),
    sqlite: false,
    scale: [],
    startup: [],
    soak: existsSync(SOAK_REPORT) ? readFileSync(SOAK_REPORT, "utf8") : undefined,
    elapsedSeconds: 0,
  };
  const sqlite = sqliteAvailable();
  if (!sqlite) log("note: stores/sqlite is not in git yet: skipping the sqlite rows");
  const targets: Target[] = [
    { label: "srsr", command: srsrCommand(...SRSR_FLAGS) },
    { label: METRICS_OFF_LABEL, command: srsrCommand(...SRSR_FLAGS, "--metrics", "off") },
  ];
  const runs = (part: string) => settings.only === undefined || settings.only.has(part);
  const baseline = runs("throughput") ? baselineTarget(sections) : undefined;
  if (baseline) targets.push(baseline);
  targets.push({ label: "ceiling", command: ceilingCommand });
  if (sqlite) {
    targets.push({
      label: "srsr-sqlite",
      command: srsrCommand(...SRSR_FLAGS, "--store", `sqlite:${join(work, "bench.db")}`),
      seedOptions: UNPIPELINED,
    });
  }
  sections.sqlite = sqlite;
  if (runs("throughput")) sections.throughput = await throughput(targets);
  if (runs("scale")) sections.scale = await scale();
  if (runs("startup") && sqlite) sections.startup = await sqliteStartup();
  if (runs("expiry")) sections.expiry = await expiry();
  if (runs("watch")) {
    sections.watch = await watch({ serverCpus: SERVER_CPUS, loadCpus: LOAD_CPUS, command: srsrCommand(...SRSR_FLAGS), log });
  }
  if (runs("postgres")) {
    sections.postgres = await postgresBench({
      serverCpus: SERVER_CPUS,
      loadCpus: LOAD_CPUS,
      durationSeconds: settings.durationSeconds,
      flags: SRSR_FLAGS,
      namesFile,
      lines,
      log,
    });
  }
  sections.machine.loadAfter = loadavg().map((load) => load.toFixed(2)).join(" ");
  sections.elapsedSeconds = (performance.now() - started) / 1000;
  if (settings.out === undefined) {
    log("not a full run, so the report goes to stdout, not docs/benchmarks.md (--out PATH writes it to a file)");
    console.log(renderReport(sections));
    return;
  }
  writeReport(settings.out, renderReport(sections), "srsr benchmarks");
  log(`wrote ${settings.out} in ${sections.elapsedSeconds.toFixed(0)} s`);
}

try {
  await main();
} catch (error) {
  console.error(`bench: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
