/**
 * `npm run soak` and `npm run fuzz`: their options, --help, and bad usage as one line and exit
 * 2 — all without starting a soak or a fuzz.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parseFuzzArgs } from "../scripts/fuzz.ts";
import { soakSection } from "../scripts/bench/sections.ts";
import { parseSoakArgs, type SoakSettings } from "../scripts/soak.ts";
import { BUN, ROOT, runToExit } from "./support/server.ts";

const DOCS = "/repo/docs/soak.md";
const DEFAULTS: SoakSettings = { minutes: 30, rate: 200, mass: 10_000, cycleSeconds: 20, restartEvery: 5, warmupMinutes: 6, out: DOCS };

describe("parseSoakArgs()", () => {
  test.each([
    [[], DEFAULTS],
    [["--minutes", "45"], { ...DEFAULTS, minutes: 45 }],
    [["--minutes", "4"], { ...DEFAULTS, minutes: 4, warmupMinutes: 2 }],
    [["--minutes=2", "--warmup", "0"], { ...DEFAULTS, minutes: 2, warmupMinutes: 0 }],
    [["--rate", "50", "--mass", "1000", "--restart-every", "2"], { ...DEFAULTS, rate: 50, mass: 1000, restartEvery: 2 }],
    [["--out", "/tmp/soak.md"], { ...DEFAULTS, out: "/tmp/soak.md" }],
  ] as [string[], SoakSettings][])("%j runs with %j", (args, settings) => {
    expect(parseSoakArgs(args, { docsPath: DOCS })).toEqual({ kind: "run", settings });
  });

  test.each([
    [["--what"], "Unknown option '--what' (see --help)"],
    [["extra"], "Unexpected argument 'extra'"],
    [["--minutes"], "Option '--minutes <value>' argument missing"],
    [["--minutes", "0"], '--minutes: expected a positive integer, got "0"'],
    [["--minutes", "1.5"], '--minutes: expected a positive integer, got "1.5"'],
    [["--rate", "x"], '--rate: expected a positive integer, got "x"'],
    [["--warmup", "1m"], '--warmup: expected a whole number of minutes, got "1m"'],
    [["--out="], "--out: expected a file path, got an empty string"],
  ])("%j is bad usage: %s", (args, message) => {
    const command = parseSoakArgs(args, { docsPath: DOCS });
    expect(command.kind).toBe("error");
    expect((command as { message: string }).message).toStartWith(message);
  });
});

describe("parseFuzzArgs()", () => {
  test.each([
    [[], { kind: "run", cases: 100_000, seed: undefined }],
    [["--cases", "500"], { kind: "run", cases: 500, seed: undefined }],
    [["--seed=-782844711"], { kind: "run", cases: 100_000, seed: -782844711 }],
    [["-h"], { kind: "help" }],
  ])("%j is %j", (args, expected) => {
    expect(parseFuzzArgs(args)).toEqual(expected as ReturnType<typeof parseFuzzArgs>);
  });

  test.each([
    [["--cases", "0"], '--cases: expected a positive integer, got "0"'],
    [["--cases", "many"], '--cases: expected a positive integer, got "many"'],
    [["--seed", "1.5"], '--seed: expected an integer, got "1.5"'],
    [["--nope"], "Unknown option '--nope' (see --help)"],
  ])("%j is bad usage: %s", (args, message) => {
    expect(parseFuzzArgs(args)).toEqual({ kind: "error", message });
  });
});

// Had either started, the soak would spawn srsr and log cycles to stderr; the fuzz would print a summary.
describe.each(["soak", "fuzz"])("bun scripts/%s.ts", (script) => {
  const run = (args: string[]) => runToExit([BUN, join(ROOT, "scripts", `${script}.ts`), ...args]);

  test("--help prints the usage to stdout and exits 0, running nothing", async () => {
    const { code, stdout, stderr } = await run(["--help"]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toStartWith(`Usage: npm run ${script} -- [options]`);
  });

  test.each([[["--what"]], [["--cases", "0", "--minutes", "0"]], [["extra"]]])("%j exits 2 with one line, running nothing", async (args) => {
    const { code, stdout, stderr } = await run(args);
    expect({ code, stdout }).toEqual({ code: 2, stdout: "" });
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(stderr).toStartWith(`${script}: `);
  });
});

describe("soakSection()", () => {
  test("carries docs/soak.md into the bench report, its headings a level down", () => {
    expect(soakSection("# Soak\n\n30 minutes of churn.\n\n## Detail\n\n| cycle |\n")).toBe(
      "## Soak (`npm run soak`, copied from docs/soak.md)\n\n30 minutes of churn.\n\n### Detail\n\n| cycle |",
    );
  });

  test("is nothing when there is no soak report", () => {
    expect(soakSection(undefined)).toBe("");
    expect(soakSection("  \n")).toBe("");
  });
});
