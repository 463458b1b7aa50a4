/**
 * What `/metrics` costs: srsr as it runs by default (metrics on) against the same srsr with
 * `--metrics off`, both among the throughput targets, so they alternate round by round with the
 * rest. Issue 11 allows metrics at most 5% of the legacy lookup's throughput (by CPU per
 * request); the heartbeat is held to the same.
 *
 * @module
 */

import { change, ms, pairedRatio, rps, summarize, table } from "./report.ts";
import type { WrkResult } from "./wrk.ts";

/** The throughput target of srsr without metrics; "srsr" is the one with them. */
export const METRICS_OFF_LABEL = "srsr-metrics-off";

/** Most of the throughput metrics may cost, by CPU per request. */
const ALLOWED_DROP = 0.05;

const cpu = (result: WrkResult) => (result.cpuUsPerRequest ?? NaN).toFixed(1);

/** Metrics on against off, for each scenario, from the same alternating rounds. */
export function metricsSection(throughput: Map<string, Map<string, WrkResult[]>>): string {
  const rows: string[][] = [];
  const targets: string[] = [];
  for (const [scenario, byTarget] of throughput) {
    const [onRuns, offRuns] = [byTarget.get("srsr"), byTarget.get(METRICS_OFF_LABEL)];
    if (onRuns === undefined || offRuns === undefined) return "";
    const [on, off] = [summarize(onRuns), summarize(offRuns)];
    const byRate = pairedRatio(onRuns, offRuns, (result) => result.requestsPerSecond);
    const byCpu = pairedRatio(onRuns, offRuns, (result) => result.cpuUsPerRequest ?? NaN);
    rows.push([
      scenario,
      `${rps(on.requestsPerSecond)} / ${rps(off.requestsPerSecond)}`,
      change(byRate),
      `${cpu(on)} / ${cpu(off)}`,
      change(byCpu),
      `${ms(on.p99Ms)} / ${ms(off.p99Ms)}`,
    ]);
    if (scenario === "mix") continue;
    // Throughput by CPU is off / on CPU per request; metrics may bring it down to 0.95.
    const drop = 1 - 1 / byCpu;
    targets.push(
      `- ${scenario} throughput with metrics on drops ≤ ${ALLOWED_DROP * 100}% (by CPU per request): CPU µs/req ${change(byCpu)}, ` +
        `a ${drop > 0 ? `${(drop * 100).toFixed(1)}% drop` : "gain"}, ${drop <= ALLOWED_DROP ? "met" : "**not met**"}` +
        ` (req/s ${change(byRate)})`,
    );
  }
  if (rows.length === 0) return "";
  return [
    "## Metrics on against `--metrics off` (memory store, same run)",
    "",
    "Each pair is srsr with metrics (the default: requests timed, store operations timed, `/metrics` served but not " +
    "scraped during the run) / the same srsr with `--metrics off` (medians, from the alternating rounds of the ceiling " +
    "table). Changes are on against off, the median over rounds of each round's ratio; for CPU µs/req a + means metrics cost.",
    "",
    table(["scenario", "req/s", "change in req/s", "CPU µs/req", "change in CPU µs/req", "p99 ms"], rows),
    "",
    ...targets,
  ].join("\n");
}
