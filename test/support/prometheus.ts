/**
 * Reading a `/metrics` answer back as Prometheus would: parsed by a text-format parser that is
 * not prom-client (prom2javascript, which refuses a malformed line and a histogram whose
 * `+Inf` bucket disagrees with its count), then checked against the conventions srsr keeps.
 *
 * @module
 */

import { getMetricsFromIterator, type PromData, type PromHistogramData, type PromMetrics } from "prom2javascript";

export interface Scrape {
  metrics: PromMetrics;
  /** A counter's or gauge's value for these labels (all of them); `undefined` when there is no such series. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** A histogram's count for these labels (all but `le`); `undefined` when there is no such series. */
  count(name: string, labels?: Record<string, string>): number | undefined;
  /** Every label value of every series, `le` and `quantile` aside. */
  labelValues(): string[];
}

const sameLabels = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([key, value]) => a[key] === value);

/** Parses an exposition, failing on anything a scraper would refuse. */
export async function parseScrape(text: string): Promise<Scrape> {
  const metrics = await getMetricsFromIterator(text.split("\n")[Symbol.iterator]());
  const family = (name: string, type: string) => {
    const found = metrics[name];
    if (found === undefined) return undefined;
    if (found.type !== type) throw new Error(`${name} is a ${found.type}, not a ${type}`);
    return found;
  };
  return {
    metrics,
    value(name, labels = {}) {
      const found = metrics[name];
      if (found !== undefined && found.type !== "counter" && found.type !== "gauge") throw new Error(`${name} is a ${found.type}`);
      return (found?.data as PromData[] | undefined)?.find((series) => sameLabels(series.labels, labels))?.value;
    },
    count(name, labels = {}) {
      const found = family(name, "histogram");
      return (found?.data as PromHistogramData[] | undefined)?.find((series) => sameLabels(series.labels, labels))?.count;
    },
    labelValues() {
      return Object.values(metrics).flatMap(({ data }) =>
        (data as { labels: Record<string, string> }[]).flatMap(({ labels }) =>
          Object.entries(labels).filter(([key]) => key !== "le" && key !== "quantile").map(([, value]) => value)
        )
      );
    },
  };
}

/**
 * What srsr's names and types must be: `srsr_` names, help on every family, a known type,
 * `_total` counters and nothing else so named, histograms of `_seconds`. Returns the problems.
 */
export function conventionProblems({ metrics }: Scrape): string[] {
  const problems: string[] = [];
  for (const [name, { type, help }] of Object.entries(metrics)) {
    if (!name.startsWith("srsr_")) problems.push(`${name}: no srsr_ prefix`);
    if (help.trim() === "") problems.push(`${name}: no help`);
    if (!["counter", "gauge", "histogram"].includes(type)) problems.push(`${name}: type ${type}`);
    if ((type === "counter") !== name.endsWith("_total")) problems.push(`${name}: a ${type} ${type === "counter" ? "without" : "with"} _total`);
    if (type === "histogram" && !name.endsWith("_seconds")) problems.push(`${name}: a histogram not of _seconds`);
  }
  return problems;
}
