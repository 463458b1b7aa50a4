/**
 * An older srsr to compare the current one against in the same run: a commit materialized
 * from git into the bench's work folder (sharing the repository's node_modules), and the
 * section comparing the legacy API's cost now against then.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { change, ms, pairedRatio, rps, summarize, table } from "./report.ts";
import type { WrkResult } from "./wrk.ts";

/**
 * 0.1, the last commit before issue 9 (the revisioned catalog and the v1 API). That issue
 * requires the legacy lookup and heartbeat to cost at most 3% more than here.
 */
export const DEFAULT_BASELINE = "8392e3e";

export interface Baseline {
  /** The git ref as given. */
  ref: string;
  /** The throughput target's label: `srsr@<ref>`. */
  label: string;
  /** Where the ref's tree was unpacked; its main.ts is run from there. */
  dir: string;
}

/**
 * Unpacks `ref` into `<work>/baseline` and links the repository's node_modules into it, or
 * returns why it cannot (no git, no such commit).
 */
export function materializeBaseline(root: string, ref: string, work: string): Baseline | string {
  const git = (...args: string[]) => spawnSync("git", args, { cwd: root, encoding: "utf8" });
  const version = git("--version");
  if (version.error || version.status !== 0) return "git is not installed";
  const commit = git("rev-parse", "--verify", "--quiet", `${ref}^{commit}`);
  if (commit.status !== 0) return `${ref} is not a commit in ${root} (fetch it, or pass --baseline REF)`;
  const dir = join(work, "baseline");
  const archive = join(work, "baseline.tar");
  const archived = git("archive", "--format=tar", "-o", archive, commit.stdout.trim());
  if (archived.status !== 0) return `git archive ${ref} failed: ${archived.stderr.trim()}`;
  mkdirSync(dir);
  const unpacked = spawnSync("tar", ["-x", "-f", archive, "-C", dir], { encoding: "utf8" });
  if (unpacked.status !== 0) return `tar could not unpack ${ref}: ${unpacked.stderr?.trim() ?? unpacked.error?.message}`;
  if (!existsSync(join(dir, "main.ts"))) return `${ref} has no main.ts`;
  // The dependencies did not change since 0.1; were they to, this would run the old code on new ones.
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  return { ref, label: `srsr@${ref}`, dir };
}

const cpu = (result: WrkResult) => (result.cpuUsPerRequest ?? NaN).toFixed(1);

/** Current over baseline, for each legacy scenario, from the same alternating rounds. */
export function baselineSection(throughput: Map<string, Map<string, WrkResult[]>>, baseline: Baseline | undefined): string {
  if (throughput.size === 0 || baseline === undefined) return "";
  const rows: string[][] = [];
  const targets: string[] = [];
  for (const [scenario, byTarget] of throughput) {
    const [nowRuns, thenRuns] = [byTarget.get("srsr")!, byTarget.get(baseline.label)!];
    const [now, then] = [summarize(nowRuns), summarize(thenRuns)];
    const byRate = pairedRatio(nowRuns, thenRuns, (result) => result.requestsPerSecond);
    const byCpu = pairedRatio(nowRuns, thenRuns, (result) => result.cpuUsPerRequest ?? NaN);
    rows.push([
      scenario,
      `${rps(now.requestsPerSecond)} / ${rps(then.requestsPerSecond)}`,
      change(byRate),
      `${cpu(now)} / ${cpu(then)}`,
      change(byCpu),
      `${ms(now.p99Ms)} / ${ms(then.p99Ms)}`,
    ]);
    if (scenario === "mix") continue;
    // Throughput by CPU is then / now CPU per request; the issue allows it to fall to 0.97.
    const drop = 1 - 1 / byCpu;
    targets.push(
      `- ${scenario} throughput drops ≤ 3% against ${baseline.ref} (by CPU per request): CPU µs/req ${change(byCpu)}, ` +
        `a ${drop > 0 ? `${(drop * 100).toFixed(1)}% drop` : "gain"}, ${drop <= 0.03 ? "met" : "**not met**"}` +
        ` (req/s ${change(byRate)})`,
    );
  }
  const what = baseline.ref === DEFAULT_BASELINE ? `${baseline.ref}, 0.1: the last commit before issue 9` : baseline.ref;
  return [
    `## The legacy API against srsr at ${what} (memory store, same run)`,
    "",
    `Each pair is srsr now / srsr at ${baseline.ref} (medians, from the alternating rounds of the ceiling table). ` +
    "Changes are now against then, the median over rounds of each round's ratio (the two run back to back in a " +
    "round, so the machine's drift between rounds cancels out); for CPU µs/req a + means now costs more.",
    "",
    table(["scenario", "req/s", "change in req/s", "CPU µs/req", "change in CPU µs/req", "p99 ms"], rows),
    "",
    ...targets,
  ].join("\n");
}
