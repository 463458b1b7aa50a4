/**
 * `npm run bench`'s command line: which runs may rewrite docs/benchmarks.md, --help, and bad
 * usage as one line and exit 2 — all without running a benchmark.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type BenchCommand, parseBenchArgs } from "../scripts/bench/args.ts";
import type { Settings } from "../scripts/bench/sections.ts";
import { BUN, ROOT, runToExit } from "./support/server.ts";

const DOCS = "/repo/docs/benchmarks.md";
const parse = (args: string[]): BenchCommand => parseBenchArgs(args, { docsPath: DOCS });
const run = (args: string[]): Settings => {
  const command = parse(args);
  if (command.kind !== "run") throw new Error(`expected a run, got ${JSON.stringify(command)}`);
  return command.settings;
};

const FULL: Settings = {
  durationSeconds: 5,
  rounds: 3,
  scaleSizes: [1_000, 10_000, 100_000, 1_000_000],
  out: DOCS,
  only: undefined,
  baseline: "8392e3e",
};
const QUICK: Settings = { ...FULL, durationSeconds: 2, rounds: 1, scaleSizes: [1_000, 10_000, 100_000], out: undefined };

describe("parseBenchArgs()", () => {
  test("no options: the full run, which rewrites docs/benchmarks.md", () => {
    expect(run([])).toEqual(FULL);
  });

  test.each([
    [["--duration", "10"], { ...FULL, durationSeconds: 10 }],
    [["--rounds=5"], { ...FULL, rounds: 5 }],
    [["--baseline", "HEAD~3"], { ...FULL, baseline: "HEAD~3" }],
    [["--out", "elsewhere.md"], { ...FULL, out: "elsewhere.md" }],
  ] as [string[], Settings][])("%j is still a full run", (args, expected) => {
    expect(run(args)).toEqual(expected);
  });

  test.each([
    [["--quick"], QUICK],
    [["--quick", "--duration", "5", "--rounds", "3"], { ...QUICK, durationSeconds: 5, rounds: 3 }],
    [["--only", "scale,watch"], { ...FULL, only: new Set(["scale", "watch"]), out: undefined }],
    [["--only", "throughput,scale,startup,expiry,watch"], { ...FULL, only: new Set(["throughput", "scale", "startup", "expiry", "watch"]), out: undefined }],
    [["--duration", "4"], { ...FULL, durationSeconds: 4, out: undefined }],
    [["--rounds", "1"], { ...FULL, rounds: 1, out: undefined }],
  ] as [string[], Settings][])("%j is not a full run: it prints instead of rewriting docs/benchmarks.md", (args, expected) => {
    expect(run(args)).toEqual(expected);
  });

  test.each([
    [["--quick", "--out", "quick.md"], { ...QUICK, out: "quick.md" }],
    [["--only", "expiry", "--out", "/tmp/expiry.md"], { ...FULL, only: new Set(["expiry"]), out: "/tmp/expiry.md" }],
  ] as [string[], Settings][])("%j writes where --out says", (args, expected) => {
    expect(run(args)).toEqual(expected);
  });

  test.each([[["--help"]], [["-h"]], [["--quick", "--help"]]])("%j asks for the usage", (args) => {
    expect(parse(args)).toEqual({ kind: "help" });
  });

  test.each([
    [["--what"], "Unknown option '--what' (see --help)"],
    [["extra"], "Unexpected argument 'extra'"],
    [["--duration"], "Option '--duration <value>' argument missing"],
    [["--duration", "0"], '--duration: expected a positive integer, got "0"'],
    [["--duration", "1.5"], '--duration: expected a positive integer, got "1.5"'],
    [["--duration", " "], '--duration: expected a positive integer, got " "'],
    [["--rounds", "x"], '--rounds: expected a positive integer, got "x"'],
    [["--only", "nope"], '--only: unknown part "nope": expected a comma-separated list of throughput, scale, startup, expiry, watch, postgres'],
    [["--only", "scale,"], '--only: unknown part "": expected'],
    [["--out="], "--out: expected a file path, got an empty string"],
    [["--baseline="], "--baseline: expected a git ref, got an empty string"],
    [["--quick=yes"], "Option '--quick' does not take an argument"],
  ])("%j is bad usage: %s", (args, message) => {
    const command = parse(args);
    expect(command.kind).toBe("error");
    const text = (command as { message: string }).message;
    expect(text).toStartWith(message);
    expect(text).not.toContain("\n");
  });
});

// Had either started a run, it would log its progress (or that wrk is missing) to stderr.
describe("bun scripts/bench.ts", () => {
  const bench = (args: string[]) => runToExit([BUN, join(ROOT, "scripts", "bench.ts"), ...args]);

  test("--help prints the usage to stdout and exits 0, running nothing", async () => {
    const { code, stdout, stderr } = await bench(["--help"]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toStartWith("Usage: npm run bench -- [options]");
    expect(stdout).toContain("Only a full run");
  });

  test.each([[["--what"]], [["--only", "nope"]], [["--rounds", "0"]]])("%j exits 2 with one line, running nothing", async (args) => {
    const { code, stdout, stderr } = await bench(args);
    expect({ code, stdout }).toEqual({ code: 2, stdout: "" });
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(stderr).toStartWith("bench: ");
  });
});
