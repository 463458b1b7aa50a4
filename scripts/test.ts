/**
 * `npm test`: every suite one after another — the type check, `bun test`, `deno test`, the Go
 * client's and the Python client's — each one's output as it comes, then a line per suite and
 * one total across all of them: `total: N passed, N failed` (`, N skipped` when any were).
 * Every suite runs even when an earlier one failed, so the total says everything at once.
 *
 * Usage: bun scripts/test.ts [--emulate linux-arm64] [--postgres]   (`npm test -- --postgres`)
 * `--emulate linux-arm64` adds the linux-arm64 binary's tests, run under qemu-user
 * (test/binary.test.ts), as CI does; without qemu they fail saying what to install.
 * `--postgres` starts a throwaway PostgreSQL server (scripts/lib/postgres.ts) for the
 * PostgreSQL store's tests, as CI does, and stops it at the end; they find it through
 * SRSR_TEST_POSTGRES (its URL) and SRSR_TEST_POSTGRES_DATA (its data folder, for the restart
 * test). Without either flag or variable those tests are skipped, and a "not run" line says so.
 * Exit codes: 0 every suite passed, 1 a suite failed (or its counts could not be read), 2 bad usage.
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { POSTGRES_INSTALL, startThrowawayPostgres, type ThrowawayPostgres } from "./lib/postgres.ts";

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

export interface Suite {
  name: string;
  command: string[];
  env?: Record<string, string>;
  /** A program the suite cannot run without, and how to get it. */
  needs?: { program: string; install: string };
  /** The counts in the suite's output (ANSI colours removed), or `undefined` when it has none. */
  count(output: string, code: number): Counts | undefined;
}

/** Targets whose binary runs here under emulation (test/binary.test.ts knows how). */
const EMULATED_TARGETS = ["linux-arm64"];

const USAGE = `usage: bun scripts/test.ts [--emulate TARGET] [--postgres]
--emulate ${EMULATED_TARGETS.join("|")}: also run that binary's tests under qemu-user (as CI does)
--postgres: start a throwaway PostgreSQL server for the PostgreSQL store's tests (as CI does)`;

const number = (output: string, pattern: RegExp) => Number(pattern.exec(output)?.[1] ?? 0);
/** The last match's number: a summary comes after any test output that might look like one. */
const lastNumber = (output: string, pattern: RegExp) => Number([...output.matchAll(pattern)].at(-1)?.[1] ?? 0);

/** bun test ends with ` N pass`, ` N skip`, ` N fail` lines. */
export function countBun(output: string): Counts | undefined {
  if (!/^\s*\d+ pass$/m.test(output)) return undefined;
  const count = (word: string) => lastNumber(output, new RegExp(`^\\s*(\\d+) ${word}$`, "gm"));
  return { passed: count("pass"), failed: count("fail"), skipped: count("skip") };
}

/** deno test ends with `ok | 92 passed | 0 failed` (`| N ignored` when some were). */
export function countDeno(output: string): Counts | undefined {
  const line = output.split("\n").findLast((text) => /^(ok|FAILED) \| \d+ passed/.test(text));
  if (!line) return undefined;
  return { passed: number(line, /(\d+) passed/), failed: number(line, /(\d+) failed/), skipped: number(line, /(\d+) ignored/) };
}

/** go test -v prints `--- PASS: Name`, indented for subtests, which count too. */
export function countGo(output: string): Counts | undefined {
  const count = (result: string) => output.match(new RegExp(`^\\s*--- ${result}: `, "gm"))?.length ?? 0;
  const counts = { passed: count("PASS"), failed: count("FAIL"), skipped: count("SKIP") };
  return counts.passed + counts.failed + counts.skipped > 0 ? counts : undefined;
}

/** unittest prints `Ran N tests`, then `OK` or `FAILED (failures=1, errors=2, skipped=3)`. */
export function countPython(output: string): Counts | undefined {
  const ran = [...output.matchAll(/^Ran (\d+) tests? in /gm)].at(-1);
  if (!ran) return undefined;
  const verdict = [...output.slice(ran.index).matchAll(/^(OK|FAILED)\b.*$/gm)].at(0)?.[0] ?? "";
  const failed = number(verdict, /failures=(\d+)/) + number(verdict, /errors=(\d+)/) + number(verdict, /unexpected successes=(\d+)/);
  const skipped = number(verdict, /skipped=(\d+)/);
  return { passed: Number(ran[1]) - failed - skipped, failed, skipped };
}

function suites(emulate: string[]): Suite[] {
  return [
    // tsc prints nothing when the types check; the whole check counts as one test.
    { name: "type check", command: ["npm", "run", "typecheck"], count: (_, code) => ({ passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, skipped: 0 }) },
    {
      name: "bun test",
      command: [process.execPath, "test"],
      env: emulate.length > 0 ? { SRSR_TEST_EMULATE: emulate.join(",") } : {},
      count: countBun,
    },
    { name: "deno test", command: ["npm", "run", "test:deno"], count: countDeno },
    {
      name: "go test",
      command: ["npm", "run", "test:go"],
      env: { GOFLAGS: `${process.env.GOFLAGS ?? ""} -v`.trim() },
      needs: { program: "go", install: "Go 1.19 or later (Debian, Ubuntu: sudo apt-get install golang-go)" },
      count: countGo,
    },
    {
      name: "python unittest",
      command: ["npm", "run", "test:python"],
      needs: { program: "python3", install: "Python 3.9 or later (Debian, Ubuntu: sudo apt-get install python3)" },
      count: countPython,
    },
  ];
}

/** Runs `command`, passing its output through as it comes; resolves to its exit code and output. */
async function runPassingThrough(command: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  const child = Bun.spawn(command, { env: { ...process.env, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const pass = async (stream: ReadableStream<Uint8Array>, to: NodeJS.WriteStream) => {
    const decoder = new TextDecoder();
    let text = "";
    for await (const chunk of stream) {
      to.write(chunk);
      text += decoder.decode(chunk, { stream: true });
    }
    return text;
  };
  const [stdout, stderr, code] = await Promise.all([pass(child.stdout, process.stdout), pass(child.stderr, process.stderr), child.exited]);
  return { code, output: `${stdout}\n${stderr}` };
}

/** Runs one suite: its counts, and a note when its exit code or output says more than they do. */
async function runSuite(suite: Suite, log: (line: string) => void): Promise<{ counts: Counts; note?: string }> {
  log(`\n=== ${suite.name}: ${suite.command.map((part) => (part === process.execPath ? "bun" : part)).join(" ")}`);
  if (suite.needs && !Bun.which(suite.needs.program)) {
    const note = `${suite.needs.program} not found: install ${suite.needs.install}`;
    log(`${suite.name}: ${note}`);
    return { counts: { passed: 0, failed: 1, skipped: 0 }, note };
  }
  const color: Record<string, string> = process.stdout.isTTY ? { FORCE_COLOR: "1" } : {};
  const { code, output } = await runPassingThrough(suite.command, { ...color, ...suite.env });
  const counts = suite.count(output.replace(/\x1b\[[0-9;]*m/g, ""), code);
  if (counts === undefined) return { counts: { passed: 0, failed: 1, skipped: 0 }, note: `exited ${code}; no test counts in its output` };
  if (code !== 0 && counts.failed === 0) return { counts: { ...counts, failed: 1 }, note: `exited ${code} with no failed test named (see above)` };
  return { counts };
}

const describeCounts = ({ passed, failed, skipped }: Counts) =>
  `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`;

async function main(args: string[]): Promise<number> {
  let emulate: string[];
  let postgres: boolean;
  try {
    const { values } = parseArgs({
      args,
      options: { emulate: { type: "string", multiple: true }, postgres: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    emulate = values.emulate ?? [];
    postgres = values.postgres ?? false;
    const unknown = emulate.find((target) => !EMULATED_TARGETS.includes(target));
    if (unknown) throw new Error(`--emulate: "${unknown}" cannot run here; expected ${EMULATED_TARGETS.join(" or ")}`);
  } catch (error) {
    console.error(`test: ${(error as Error).message.split("\n")[0]} (see --help)`);
    return 2;
  }

  const notEmulated = EMULATED_TARGETS.filter((target) => !emulate.includes(target));
  const notes = notEmulated.map((target) => `not run: the ${target} binary under qemu (npm test -- --emulate ${target}; CI runs it)`);
  let server: ThrowawayPostgres | undefined;
  if (postgres) {
    try {
      server = await startThrowawayPostgres();
    } catch (error) {
      console.error(`test: --postgres: ${(error as Error).message.split("\n")[0]}`);
      return 1;
    }
    console.log(`PostgreSQL for the tests: ${server.url} (data in ${server.dataDir}; stopped at the end)`);
    const stopped = server;
    process.once("SIGINT", () => void stopped.stop().then(() => process.exit(130)));
    process.env.SRSR_TEST_POSTGRES = server.url;
    process.env.SRSR_TEST_POSTGRES_DATA = server.dataDir;
  }
  notes.push(...postgresNotes(process.env));
  try {
    return await runSuites(suites(emulate), { notes });
  } finally {
    await server?.stop();
  }
}

/** What of the PostgreSQL tests the environment leaves out, as "not run" lines. */
export function postgresNotes(env: Record<string, string | undefined>): string[] {
  if (!env.SRSR_TEST_POSTGRES) {
    return [`not run: the PostgreSQL store's tests, skipped (npm test -- --postgres starts a throwaway server: needs ${POSTGRES_INSTALL}; or set SRSR_TEST_POSTGRES=postgres://…; CI runs them)`];
  }
  if (!env.SRSR_TEST_POSTGRES_DATA) {
    return ["not run: the PostgreSQL restart test, skipped (it restarts the server with pg_ctl: set SRSR_TEST_POSTGRES_DATA to its data folder)"];
  }
  return [];
}

/**
 * Runs `suites` one after another and logs a line for each and the total as the last line.
 * Resolves to the exit code: 1 when any suite failed, else 0.
 */
export async function runSuites(suites: Suite[], { notes = [], log = console.log }: { notes?: string[]; log?: (line: string) => void } = {}): Promise<number> {
  const results: { name: string; counts: Counts; note?: string; seconds: string }[] = [];
  for (const suite of suites) {
    const started = performance.now();
    const result = await runSuite(suite, log);
    results.push({ name: suite.name, ...result, seconds: ((performance.now() - started) / 1000).toFixed(1) });
  }
  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  log("");
  for (const { name, counts, note, seconds } of results) {
    log(`  ${name}: ${describeCounts(counts)} (${seconds} s)${note ? ` — ${note}` : ""}`);
    total.passed += counts.passed;
    total.failed += counts.failed;
    total.skipped += counts.skipped;
  }
  for (const note of notes) log(`  ${note}`);
  log(`total: ${describeCounts(total)}`);
  return total.failed > 0 ? 1 : 0;
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
