/**
 * `npm run bench`'s command line, parsed without side effects: what to run and where the report
 * goes, a request for the usage, or one line saying what is wrong. Table-tested in
 * test/bench_args.test.ts.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { DEFAULT_BASELINE } from "./baseline.ts";
import type { Settings } from "./sections.ts";

export const PARTS = ["throughput", "scale", "startup", "expiry", "watch", "postgres"] as const;

const FULL = { durationSeconds: 5, rounds: 3, scaleSizes: [1_000, 10_000, 100_000, 1_000_000] };
const QUICK = { durationSeconds: 2, rounds: 1, scaleSizes: [1_000, 10_000, 100_000] };

export const USAGE = `Usage: npm run bench -- [options]      (or: bun scripts/bench.ts [options])

Measures srsr under wrk against a bare Bun.serve handler (the ceiling) and an older srsr, then
its memory and lookup latency from 1k to 1M instances, start-up, a 100k-instance expiry,
11,000 watchers, and nodes sharing a throwaway PostgreSQL server. Needs wrk and taskset (Linux,
2 or more CPUs) and PostgreSQL's server programs; a full run takes about 6 minutes.

Options:
  --only PARTS      run only these, comma-separated: ${PARTS.join(", ")}
  --quick           a first look: ${QUICK.durationSeconds} s runs, ${QUICK.rounds} round, up to 100k instances
  --duration SECS   seconds per wrk run (default ${FULL.durationSeconds}; ${QUICK.durationSeconds} with --quick)
  --rounds N        alternating rounds per scenario (default ${FULL.rounds}; ${QUICK.rounds} with --quick)
  --baseline REF    the older srsr to compare with (default ${DEFAULT_BASELINE}, 0.1)
  --out PATH        write the report into PATH, between its bench: markers
  -h, --help        print this and exit

Only a full run (every part, at least the default duration and rounds) rewrites the generated
part of docs/benchmarks.md. Any other run prints its report to stdout, or writes it to --out PATH.`;

export type BenchCommand =
  | { kind: "run"; settings: Settings }
  | { kind: "help" }
  /** Bad usage: one line naming the option and what it accepts. */
  | { kind: "error"; message: string };

/**
 * Reads `args` (argv after the script). `docsPath` is where a full run writes its report.
 *
 * @example
 * ```ts
 * parseBenchArgs(["--only", "scale"], { docsPath: "docs/benchmarks.md" }); // { kind: "run", settings: { out: undefined, ... } }
 * ```
 */
export function parseBenchArgs(args: string[], { docsPath }: { docsPath: string }): BenchCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        duration: { type: "string" },
        rounds: { type: "string" },
        quick: { type: "boolean" },
        out: { type: "string" },
        only: { type: "string" },
        baseline: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return { kind: "error", message: `${(error as Error).message.split("\n")[0]} (see --help)` };
  }
  if (values.help) return { kind: "help" };

  const defaults = values.quick ? QUICK : FULL;
  const durationSeconds = positiveInteger("duration", values.duration, defaults.durationSeconds);
  if (typeof durationSeconds === "string") return { kind: "error", message: durationSeconds };
  const rounds = positiveInteger("rounds", values.rounds, defaults.rounds);
  if (typeof rounds === "string") return { kind: "error", message: rounds };
  let only: Set<string> | undefined;
  if (values.only !== undefined) {
    const parts = values.only.split(",");
    const unknown = parts.find((part) => !(PARTS as readonly string[]).includes(part));
    if (unknown !== undefined) {
      return { kind: "error", message: `--only: unknown part "${unknown}": expected a comma-separated list of ${PARTS.join(", ")}` };
    }
    only = new Set(parts);
  }
  if (values.out === "") return { kind: "error", message: "--out: expected a file path, got an empty string" };
  if (values.baseline === "") return { kind: "error", message: "--baseline: expected a git ref, got an empty string" };

  const full = !values.quick && only === undefined && durationSeconds >= FULL.durationSeconds && rounds >= FULL.rounds;
  return {
    kind: "run",
    settings: {
      durationSeconds,
      rounds,
      scaleSizes: defaults.scaleSizes,
      out: values.out ?? (full ? docsPath : undefined),
      only,
      baseline: values.baseline ?? DEFAULT_BASELINE,
    },
  };
}

/** The flag's value as a positive integer, its default when absent, or the error line. */
function positiveInteger(flag: string, value: string | undefined, fallback: number): number | string {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (value.trim() === "" || !Number.isInteger(number) || number < 1) {
    return `--${flag}: expected a positive integer, got "${value}"`;
  }
  return number;
}
