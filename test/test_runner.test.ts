/**
 * scripts/test.ts, the runner behind `npm test`: its counts are read from what each real test
 * tool prints for a sample with a passing, a failing and a skipped test, and its total and exit
 * code from small shell suites.
 *
 * @module
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { countBun, countDeno, countGo, countPython, runSuites, type Suite } from "../scripts/test.ts";
import { BUN, DENO, runToExit } from "./support/server.ts";

// Compiling the Go sample takes a few seconds, more on a busy machine.
const TOOL_TIMEOUT_MS = 120_000;

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "srsr-runner-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Writes `files` into a new folder under the scratch folder and runs `command` there. */
async function runSample(name: string, files: Record<string, string>, command: string[]) {
  const folder = join(scratch, name);
  await mkdir(folder);
  for (const [file, text] of Object.entries(files)) await writeFile(join(folder, file), text);
  const { code, stdout, stderr } = await runToExit(command, { cwd: folder, env: { NO_COLOR: "1" } });
  // Colours are stripped as the runner strips them.
  return { code, output: `${stdout}\n${stderr}`.replace(/\x1b\[[0-9;]*m/g, "") };
}

describe("the runner reads each tool's counts", () => {
  test("bun test", async () => {
    const sample = `import { expect, test } from "bun:test";
test("passes", () => expect(1).toBe(1));
test("fails", () => expect(1).toBe(2));
test.skip("is skipped", () => {});
`;
    const { code, output } = await runSample("bun", { "sample.test.ts": sample }, [BUN, "test", "./sample.test.ts"]);
    expect(code).toBe(1);
    expect(countBun(output)).toEqual({ passed: 1, failed: 1, skipped: 1 });
  }, TOOL_TIMEOUT_MS);

  test("deno test", async () => {
    const sample = `Deno.test("passes", () => {});
Deno.test("fails", () => { throw new Error("no"); });
Deno.test({ name: "is ignored", ignore: true, fn: () => {} });
`;
    const { code, output } = await runSample("deno", { "sample.ts": sample }, [DENO, "test", "sample.ts"]);
    expect(code).toBe(1);
    expect(countDeno(output)).toEqual({ passed: 1, failed: 1, skipped: 1 });
  }, TOOL_TIMEOUT_MS);

  test("go test -v, subtests included", async () => {
    const sample = `package sample

import "testing"

func TestPasses(t *testing.T) {
	t.Run("one", func(t *testing.T) {})
	t.Run("two", func(t *testing.T) {})
}
func TestFails(t *testing.T) { t.Fatal("no") }
func TestSkips(t *testing.T) { t.Skip("not here") }
`;
    const files = { "go.mod": "module sample\n\ngo 1.19\n", "sample_test.go": sample };
    const { code, output } = await runSample("go", files, ["go", "test", "-v", "-count=1", "./..."]);
    expect(code).toBe(1);
    expect(countGo(output)).toEqual({ passed: 3, failed: 1, skipped: 1 });
  }, TOOL_TIMEOUT_MS);

  test("python3 -m unittest -v, errors counted as failures", async () => {
    const sample = `import unittest

class Sample(unittest.TestCase):
    def test_passes(self): pass
    def test_fails(self): self.fail("no")
    def test_errors(self): raise RuntimeError("no")
    @unittest.skip("not here")
    def test_skips(self): pass
`;
    const { code, output } = await runSample("python", { "test_sample.py": sample }, ["python3", "-m", "unittest", "-v"]);
    expect(code).toBe(1);
    expect(countPython(output)).toEqual({ passed: 1, failed: 2, skipped: 1 });
  }, TOOL_TIMEOUT_MS);

  test("no counts at all is undefined, not zero", () => {
    expect(countBun("error: something broke")).toBeUndefined();
    expect(countDeno("error: Module not found")).toBeUndefined();
    expect(countGo("# sample\n./x.go:1: syntax error")).toBeUndefined();
    expect(countPython("ImportError: no module")).toBeUndefined();
  });
});

describe("runSuites()", () => {
  // Counts in a form of their own: this file's output is read by the runner that runs it.
  const countSample = (output: string) => {
    const [, passed, failed, skipped] = /sample: (\d+) (\d+) (\d+)/.exec(output) ?? [];
    return passed === undefined ? undefined : { passed: Number(passed), failed: Number(failed), skipped: Number(skipped) };
  };
  const shell = (name: string, script: string): Suite => ({ name, command: ["sh", "-c", script], count: countSample });
  const passing = shell("passing", `echo "sample: 3 0 1"`);

  test("ends with the total and exits 0 when every suite passed", async () => {
    const lines: string[] = [];
    expect(await runSuites([passing, passing], { log: (line) => lines.push(line) })).toBe(0);
    expect(lines.at(-1)).toBe("total: 6 passed, 0 failed, 2 skipped");
  });

  test("counts a suite that exited non-zero, or could not run, as failed, and exits 1", async () => {
    const lines: string[] = [];
    const suites: Suite[] = [
      passing,
      shell("crashed", `echo "sample: 2 0 0"; exit 3`),
      { ...passing, name: "missing", needs: { program: "srsr-no-such-program", install: "it from nowhere" } },
    ];
    expect(await runSuites(suites, { notes: ["a note"], log: (line) => lines.push(line) })).toBe(1);
    expect(lines.slice(-5)).toEqual([
      expect.stringMatching(/^ {2}passing: 3 passed, 0 failed, 1 skipped \([\d.]+ s\)$/),
      expect.stringMatching(/^ {2}crashed: 2 passed, 1 failed \([\d.]+ s\) — exited 3 with no failed test named/),
      expect.stringMatching(/^ {2}missing: 0 passed, 1 failed \([\d.]+ s\) — srsr-no-such-program not found: install it from nowhere$/),
      "  a note",
      "total: 5 passed, 2 failed, 1 skipped",
    ]);
  });
});
