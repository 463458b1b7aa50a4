/**
 * The process's own gauges, read at scrape time. prom-client's default collectors would do
 * this, but they are broken on Bun and on Deno (prometheus/client_js#651, oven-sh/bun#17716):
 * these use only what both runtimes implement.
 *
 * @module
 */

import { readdirSync } from "node:fs";
import process from "node:process";
import { setImmediate } from "node:timers";
import { Counter, Gauge, type Registry } from "prom-client";

export interface ProcessMetricsOptions {
  /**
   * Where the open file descriptors are listed. When it cannot be read (no /proc; Deno without
   * `--allow-all`, which it demands for /proc/self) the gauge is left out. @default "/proc/self/fd"
   */
  fdDirectory?: string;
}

/** File descriptors open now, or `undefined` where the OS does not list them. */
function openFileDescriptors(directory: string): number | undefined {
  try {
    // Reading the directory opens one descriptor of its own, which is listed too.
    return readdirSync(directory).length - 1;
  } catch {
    return undefined;
  }
}

/** Seconds a callback queued now waits to run: how long the event loop is busy with other work. */
function eventLoopLag(): Promise<number> {
  const queued = performance.now();
  return new Promise((resolve) => setImmediate(() => resolve((performance.now() - queued) / 1000)));
}

/**
 * Registers `srsr_process_*` on `registry`. Returns what to await before each scrape: the
 * event-loop lag is sampled then, as rendering the scrape would otherwise delay the sample.
 */
export function registerProcessMetrics(
  registry: Registry,
  { fdDirectory = "/proc/self/fd" }: ProcessMetricsOptions = {},
): () => Promise<void> {
  const registers = [registry];
  new Gauge({
    name: "srsr_process_resident_memory_bytes",
    help: "Resident memory of the srsr process.",
    registers,
    collect() {
      this.set(process.memoryUsage().rss);
    },
  });
  new Gauge({
    name: "srsr_process_heap_used_bytes",
    help: "JavaScript heap in use.",
    registers,
    collect() {
      this.set(process.memoryUsage().heapUsed);
    },
  });
  const lag = new Gauge({
    name: "srsr_process_event_loop_lag_seconds",
    help: "How long a callback queued as the scrape began waited to run: the event loop busy with other work.",
    registers,
  });
  new Counter({
    name: "srsr_process_cpu_seconds_total",
    help: "CPU time the srsr process used, user and system.",
    registers,
    collect() {
      const { user, system } = process.cpuUsage();
      this.reset();
      this.inc((user + system) / 1e6);
    },
  });
  new Gauge({
    name: "srsr_process_start_time_seconds",
    help: "When the srsr process started, in seconds since the Unix epoch.",
    registers,
  }).set(Math.round(performance.timeOrigin) / 1000);
  if (openFileDescriptors(fdDirectory) !== undefined) {
    new Gauge({
      name: "srsr_process_open_fds",
      help: "File descriptors the srsr process holds open.",
      registers,
      collect() {
        this.set(openFileDescriptors(fdDirectory) ?? 0);
      },
    });
  }
  return async () => lag.set(await eventLoopLag());
}
