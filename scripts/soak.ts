/**
 * `npm run soak -- --minutes N`: a SQLite-store srsr under steady churn for N minutes, with a
 * mass registration that expires all at once every cycle and a restart every few cycles. It
 * records, after each mass expiry, the server's resident memory (/proc/PID/status), its
 * JavaScript heap (`/metrics`) and the p99 latency of the steady requests of that cycle, writes
 * the report to docs/soak.md (or `--out PATH`), and fails (exit 1) when RSS after the last mass
 * expiry is more than 10% above RSS after the first, or when any request got a 5xx.
 *
 * The bench report (`npm run bench`) includes docs/soak.md as a section when it exists.
 *
 * @module
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { median, ms, table } from "./bench/report.ts";
import { ROOT, type RunningServer, srsrCommand, startServer } from "./bench/servers.ts";

/** Most RSS after the last mass expiry may exceed RSS after the first, as a fraction. */
export const ALLOWED_GROWTH = 0.1;

export interface SoakSettings {
  minutes: number;
  /** Steady operations a second: lookups, register/deregister pairs, heartbeats. */
  rate: number;
  /** Instances registered, then left to expire, every cycle. */
  mass: number;
  /**
   * Seconds from one cycle's start to the next's: a fixed period keeps the rate of changes
   * steady, and with it the change history srsr keeps (5 minutes' worth).
   */
  cycleSeconds: number;
  /** Restart srsr after every this many cycles. */
  restartEvery: number;
  /**
   * RSS is compared from the first mass expiry after this many minutes: until then the change
   * history (kept 5 minutes for watchers to resume from) is still filling, by design.
   */
  warmupMinutes: number;
  out: string;
}

export const USAGE = `Usage: npm run soak -- [options]      (or: bun scripts/soak.ts [options])

Runs a SQLite-store srsr under steady churn (lookups, register/deregister pairs, heartbeats of
a standing set of instances) for the given minutes. Every cycle (a fixed period, so the rate of
changes is steady) registers a mass of instances
with a 2 s TTL and waits until they have all expired; every few cycles srsr is restarted on the
same database. After each mass expiry it records the server's RSS, heap and the p99 of the
cycle's steady requests. It fails (exit 1) if RSS after the last mass expiry is more than
${ALLOWED_GROWTH * 100}% above RSS after the first one past the warm-up, or if any request got a 5xx.
The warm-up is there because srsr keeps 5 minutes of change history for watchers to resume
from: memory rightly grows until that window is full.

Options:
  --minutes N        how long to run (default 30)
  --rate N           steady requests a second (default 200)
  --mass N           instances registered and expired each cycle (default 10000)
  --cycle N          seconds from one cycle's start to the next's (default 20)
  --restart-every N  restart srsr after every N cycles (default 5)
  --warmup N         minutes before the first expiry that RSS is compared from (default 6,
                     or half of --minutes when that is less)
  --out PATH         where to write the report (default docs/soak.md)
  -h, --help         print this and exit`;

export type SoakCommand = { kind: "run"; settings: SoakSettings } | { kind: "help" } | { kind: "error"; message: string };

/** Reads `args` (argv after the script) without side effects. */
export function parseSoakArgs(args: string[], { docsPath }: { docsPath: string }): SoakCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        minutes: { type: "string" },
        rate: { type: "string" },
        mass: { type: "string" },
        cycle: { type: "string" },
        "restart-every": { type: "string" },
        warmup: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return { kind: "error", message: `${(error as Error).message.split("\n")[0]} (see --help)` };
  }
  if (values.help) return { kind: "help" };
  const settings: Partial<SoakSettings> = {};
  for (const [flag, key, fallback] of [
    ["minutes", "minutes", 30],
    ["rate", "rate", 200],
    ["mass", "mass", 10_000],
    ["cycle", "cycleSeconds", 20],
    ["restart-every", "restartEvery", 5],
  ] as const) {
    const raw = values[flag];
    if (raw !== undefined && !/^[1-9][0-9]{0,6}$/.test(raw)) {
      return { kind: "error", message: `--${flag}: expected a positive integer, got ${JSON.stringify(raw)}` };
    }
    settings[key] = raw === undefined ? fallback : Number(raw);
  }
  const warmup = values.warmup;
  if (warmup !== undefined && !/^(0|[1-9][0-9]{0,6})$/.test(warmup)) {
    return { kind: "error", message: `--warmup: expected a whole number of minutes, got ${JSON.stringify(warmup)}` };
  }
  settings.warmupMinutes = warmup === undefined ? Math.min(6, settings.minutes! / 2) : Number(warmup);
  if (values.out === "") return { kind: "error", message: "--out: expected a file path, got an empty string" };
  return { kind: "run", settings: { ...(settings as SoakSettings), out: values.out ?? docsPath } };
}

/** What one cycle left behind, measured after its mass expiry. */
export interface CycleRow {
  cycle: number;
  minute: number;
  /** Restarts before this cycle. */
  restarts: number;
  rssMiB: number;
  heapMiB: number;
  p99Ms: number;
  requests: number;
  massRegisterSeconds: number;
  expirySeconds: number;
  /** The cycle took longer than its period. */
  overran: boolean;
}

/** Steady load against whichever server is current; records latencies into `latencies`. */
class SteadyLoad {
  latencies: number[] = [];
  serverErrors = 0;
  failures = 0;
  #standing: string[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  #inFlight = 0;
  #issued = 0;
  #started = 0;
  #sequence = 0;
  constructor(private base: () => string, private rate: number) {}

  async register(count: number): Promise<void> {
    for (let index = 0; index < count; index++) {
      const answer = await this.#send("POST", `/v1/services/steady-${index % 20}/instances`, { address: `10.1.0.${index % 250}:80`, ttl: 60 });
      if (answer?.id) this.#standing.push(answer.id as string);
    }
  }

  start(): void {
    this.#started = performance.now();
    this.#issued = 0;
    this.#timer = setInterval(() => {
      const due = Math.floor(((performance.now() - this.#started) / 1000) * this.rate);
      // A stalled server is not flooded: at most 64 requests wait at once.
      while (this.#issued < due && this.#inFlight < 64) {
        this.#issued++;
        void this.#one();
      }
      this.#issued = Math.max(this.#issued, due - this.rate);
    }, 20);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    while (this.#inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  async #one(): Promise<void> {
    const n = this.#sequence++;
    const kind = n % 10;
    if (kind < 5) await this.#send("POST", "/lookup", { name: `steady-${n % 20}` });
    else if (kind < 7) await this.#send("GET", `/v1/services/steady-${n % 20}/pick`);
    else if (kind < 9 && this.#standing.length > 0) {
      await this.#send("PUT", `/v1/instances/${this.#standing[n % this.#standing.length]}/heartbeat`);
    } else {
      const made = await this.#send("POST", `/v1/services/churn-${n % 50}/instances`, { address: `10.2.0.${n % 250}:80`, meta: { n: String(n) } });
      if (made?.id) await this.#send("DELETE", `/v1/instances/${made.id}`);
    }
  }

  async #send(method: string, path: string, body?: unknown): Promise<Record<string, unknown> | undefined> {
    this.#inFlight++;
    const started = performance.now();
    try {
      const response = await fetch(this.base() + path, { method, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await response.text();
      this.latencies.push(performance.now() - started);
      if (response.status >= 500) this.serverErrors++;
      return response.ok && text !== "" ? JSON.parse(text) : undefined;
    } catch {
      this.failures++;
      return undefined;
    } finally {
      this.#inFlight--;
    }
  }
}

async function scrape(base: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^([a-z_]+) ([0-9.e+-]+)$/.exec(line);
    if (match) values.set(match[1], Number(match[2]));
  }
  return values;
}

/** Registers `count` instances with a 2 s TTL, 32 at a time. */
async function registerMass(base: string, cycle: number, count: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < count; index = next++) {
      const response = await fetch(`${base}/v1/services/mass-${index % 100}/instances`, {
        method: "POST",
        body: JSON.stringify({ address: `10.3.${cycle % 250}.${index % 250}:${1 + (index % 60000)}`, ttl: 2 }),
      });
      await response.arrayBuffer();
      if (response.status !== 201) throw new Error(`mass register answered ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
}

const until = async (check: () => Promise<boolean>, what: string, deadlineMs = 120_000) => {
  const deadline = performance.now() + deadlineMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`soak: timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

/**
 * The row RSS is compared from: the first past the warm-up at the same point of a process's
 * life as the last (as many cycles after a restart), or the first of all in a short run. A
 * process's memory rises and falls over the cycles between restarts (its change history is
 * restored whole, then trimmed), so rows at different points would compare that swing.
 */
const baselineRow = (rows: CycleRow[], settings: SoakSettings) => {
  const last = rows[rows.length - 1];
  return rows.find((row) => row.minute >= settings.warmupMinutes && (last.cycle - row.cycle) % settings.restartEvery === 0) ?? rows[0];
};

/** How much RSS after the last mass expiry exceeds RSS after the baseline one, as a fraction. */
export const rssGrowth = (rows: CycleRow[], settings: SoakSettings) => rows[rows.length - 1].rssMiB / baselineRow(rows, settings).rssMiB - 1;

export function renderSoak(rows: CycleRow[], settings: SoakSettings, facts: { serverErrors: number; failures: number; machine: string }): string {
  const [first, last] = [baselineRow(rows, settings), rows[rows.length - 1]];
  const growth = rssGrowth(rows, settings);
  // At most ~30 rows: every cycle of a short run, evenly spaced ones (and the last) of a long one.
  const step = Math.max(1, Math.ceil(rows.length / 30));
  const shown = rows.filter((row, index) => index % step === 0 || index === rows.length - 1 || row === first);
  const mib = (value: number) => value.toFixed(1);
  return [
    "# Soak",
    "",
    `${settings.minutes} minutes of \`npm run soak\` (${new Date().toISOString().slice(0, 16)}Z, ${facts.machine}): srsr on Bun with ` +
    `\`--store sqlite:…\`, ${settings.rate} steady requests a second (half legacy lookups, a fifth v1 picks, a fifth heartbeats of ` +
    `400 standing instances, a tenth register/deregister pairs); every cycle ${settings.mass.toLocaleString("en-US")} more instances ` +
    `with a 2 s TTL, left to expire together, a cycle every ${settings.cycleSeconds} s; srsr restarted on the same database after every ${settings.restartEvery} cycles. ` +
    `Each row is measured once a cycle's mass has expired: RSS from /proc, heap from \`/metrics\`, p99 of that cycle's steady requests.`,
    "",
    table(
      ["cycle", "minute", "restarts", "RSS MiB", "heap MiB", "steady p99 ms", "steady requests", "mass register s", "mass expiry s"],
      shown.map((row) => [row.cycle, row.minute.toFixed(1), row.restarts, mib(row.rssMiB), mib(row.heapMiB), ms(row.p99Ms), row.requests, row.massRegisterSeconds.toFixed(1), row.expirySeconds.toFixed(1)]),
    ),
    "",
    `- ${rows.length} cycles (${rows.filter((row) => row.overran).length} longer than their ${settings.cycleSeconds} s), ${last.restarts} restarts, ${(settings.mass * rows.length).toLocaleString("en-US")} instances expired in masses.`,
    `- RSS after the first mass expiry past the ${settings.warmupMinutes}-minute warm-up as many cycles after a restart as the last ` +
    `(cycle ${first.cycle}; the change history is kept 5 minutes, so memory grows until then by design) ${mib(first.rssMiB)} MiB, after the last ${mib(last.rssMiB)} MiB (${growth >= 0 ? "+" : ""}${(growth * 100).toFixed(1)}%; ` +
    `at most +${ALLOWED_GROWTH * 100}% allowed): ${growth <= ALLOWED_GROWTH ? "met" : "**not met**"}. Highest after any expiry: ${mib(Math.max(...rows.map((row) => row.rssMiB)))} MiB.`,
    `- Steady p99 per cycle: median ${ms(median(rows.map((row) => row.p99Ms)))} ms, worst ${ms(Math.max(...rows.map((row) => row.p99Ms)))} ms.`,
    `- Requests answered 5xx: ${facts.serverErrors}; failed to connect or cut off: ${facts.failures} (restarts are done with the load paused).`,
  ].join("\n");
}

const p99 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * 0.99))] ?? NaN;

async function main(args: string[]): Promise<number> {
  const command = parseSoakArgs(args, { docsPath: join(ROOT, "docs", "soak.md") });
  if (command.kind === "help") {
    console.log(USAGE);
    return 0;
  }
  if (command.kind === "error") {
    console.error(`soak: ${command.message}`);
    return 2;
  }
  const { settings } = command;
  const directory = mkdtempSync(join(tmpdir(), "srsr-soak-"));
  const start = () => startServer({ command: srsrCommand("--store", `sqlite:${join(directory, "reg.db")}`, "--log-level", "warn") });
  let server: RunningServer = await start();
  const base = () => `http://127.0.0.1:${server.port}`;
  const load = new SteadyLoad(base, settings.rate);
  const rows: CycleRow[] = [];
  const began = performance.now();
  let restarts = 0;
  try {
    await load.register(400);
    const standing = (await scrape(base())).get("srsr_instances") ?? 0;
    for (let cycle = 1; performance.now() - began < settings.minutes * 60_000; cycle++) {
      const cycleStarted = performance.now();
      load.latencies = [];
      load.start();
      const registerStarted = performance.now();
      await registerMass(base(), cycle, settings.mass);
      const expiryStarted = performance.now();
      await until(async () => ((await scrape(base())).get("srsr_instances") ?? Infinity) <= standing + 50, `cycle ${cycle}'s mass expired`);
      const expirySeconds = (performance.now() - expiryStarted) / 1000;
      // A few samples of steady churn after the expiry; the median, so one GC's moment does not decide.
      const rss: number[] = [];
      const heap: number[] = [];
      for (let sample = 0; sample < 5; sample++) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        rss.push(server.rssMiB());
        heap.push(((await scrape(base())).get("srsr_process_heap_used_bytes") ?? NaN) / 2 ** 20);
      }
      await load.stop();
      rows.push({
        cycle,
        minute: (performance.now() - began) / 60_000,
        restarts,
        rssMiB: median(rss),
        heapMiB: median(heap),
        p99Ms: p99(load.latencies),
        requests: load.latencies.length,
        massRegisterSeconds: (expiryStarted - registerStarted) / 1000,
        expirySeconds,
        overran: false,
      });
      const row = rows[rows.length - 1];
      console.error(`soak: cycle ${cycle} at ${row.minute.toFixed(1)} min: RSS ${row.rssMiB.toFixed(1)} MiB, heap ${row.heapMiB.toFixed(1)} MiB, p99 ${ms(row.p99Ms)} ms`);
      console.error(`soak: row ${JSON.stringify(row)}`);
      if (cycle % settings.restartEvery === 0) {
        await server.stop();
        server = await start();
        restarts++;
      }
      // The steady load runs on through the rest of the period.
      const nextCycle = cycleStarted + settings.cycleSeconds * 1000;
      if (performance.now() > nextCycle) row.overran = true;
      else {
        load.start();
        await new Promise((resolve) => setTimeout(resolve, nextCycle - performance.now()));
        await load.stop();
      }
    }
  } finally {
    await server.stop();
    rmSync(directory, { recursive: true, force: true });
  }
  const machine = `${cpus().length}× ${cpus()[0]?.model.trim() ?? "unknown CPU"}, load average ${loadavg().map((value) => value.toFixed(2)).join(" ")}`;
  const report = renderSoak(rows, settings, { serverErrors: load.serverErrors, failures: load.failures, machine });
  writeFileSync(settings.out, `${report}\n`);
  console.log(report);
  return rssGrowth(rows, settings) > ALLOWED_GROWTH || load.serverErrors > 0 ? 1 : 0;
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
