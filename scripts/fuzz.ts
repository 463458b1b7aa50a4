/**
 * `npm run fuzz -- --cases N`: the HTTP fuzz of test/http_fuzz.test.ts (test/support/http_fuzz.ts)
 * for as many generated requests as asked. Exit 0 when every answer was sound; 1 with
 * fast-check's report (the seed and the shrunk request, to replay with --seed) when one was not;
 * 2 for bad usage.
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { runFuzz } from "../test/support/http_fuzz.ts";

export const USAGE = `Usage: npm run fuzz -- [options]      (or: bun scripts/fuzz.ts [options])

Sends generated requests (paths, queries, headers, bodies) in-process to every route of srsr,
legacy and v1, and to paths it does not serve: no answer may throw, be a 5xx, or be other than
JSON where JSON is promised. npm test runs 2,000 cases; this runs as many as asked.

Options:
  --cases N   how many requests (default 100000)
  --seed N    fast-check's seed, to replay a reported failure (default: random)
  -h, --help  print this and exit`;

export type FuzzCommand = { kind: "run"; cases: number; seed?: number } | { kind: "help" } | { kind: "error"; message: string };

/** Reads `args` (argv after the script) without side effects. */
export function parseFuzzArgs(args: string[]): FuzzCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { cases: { type: "string" }, seed: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return { kind: "error", message: `${(error as Error).message.split("\n")[0]} (see --help)` };
  }
  if (values.help) return { kind: "help" };
  if (values.cases !== undefined && !/^[1-9][0-9]{0,9}$/.test(values.cases)) {
    return { kind: "error", message: `--cases: expected a positive integer, got ${JSON.stringify(values.cases)}` };
  }
  if (values.seed !== undefined && !/^-?[0-9]{1,10}$/.test(values.seed)) {
    return { kind: "error", message: `--seed: expected an integer, got ${JSON.stringify(values.seed)}` };
  }
  return {
    kind: "run",
    cases: values.cases === undefined ? 100_000 : Number(values.cases),
    seed: values.seed === undefined ? undefined : Number(values.seed),
  };
}

async function main(args: string[]): Promise<number> {
  const command = parseFuzzArgs(args);
  if (command.kind === "help") {
    console.log(USAGE);
    return 0;
  }
  if (command.kind === "error") {
    console.error(`fuzz: ${command.message}`);
    return 2;
  }
  const started = performance.now();
  try {
    await runFuzz({ cases: command.cases, seed: command.seed });
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  }
  console.log(`fuzz: ${command.cases.toLocaleString("en-US")} requests, every answer sound (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return 0;
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
