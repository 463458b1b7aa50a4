/**
 * Runs wrk with one of the Lua scripts beside this file and reads the JSON line the
 * scripts print in `done()`.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { join } from "node:path";

export interface WrkOptions {
  port: number;
  /** Script name without `.lua`: lookup, heartbeat, mix. */
  script: string;
  /** Passed to the script's `init(args)`. */
  args: string[];
  durationSeconds: number;
  /** @default 32 */
  connections?: number;
  /** @default 1 */
  threads?: number;
  /** CPU list for `taskset`; `undefined` runs unpinned. */
  cpus?: string;
}

export interface WrkResult {
  requests: number;
  requestsPerSecond: number;
  /**
   * Server CPU time (user + system, all threads) per request, in µs, when measured. Unlike
   * req/s it barely moves when other processes take the machine's cores.
   */
  cpuUsPerRequest?: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Socket errors, timeouts and non-2xx answers together: any at all means a broken run. */
  errors: number;
}

export function runWrk(
  { port, script, args, durationSeconds, connections = 32, threads = 1, cpus }: WrkOptions,
): Promise<WrkResult> {
  const wrk = [
    "wrk", `-t${threads}`, `-c${connections}`, `-d${durationSeconds}s`, "--timeout", "10s",
    "-s", join(import.meta.dirname, `${script}.lua`), `http://127.0.0.1:${port}`, "--", ...args,
  ];
  const command = cpus === undefined ? wrk : ["taskset", "-c", cpus, ...wrk];
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", (error) => reject(new Error(`cannot run wrk (apt-get install wrk): ${error.message}`)));
    child.on("close", (code) => {
      const line = /^BENCH (.*)$/m.exec(output);
      if (code !== 0 || !line) return reject(new Error(`wrk ${script} failed (exit ${code}): ${output.trim()}`));
      const raw = JSON.parse(line[1]) as Record<string, number>;
      resolve({
        requests: raw.requests,
        requestsPerSecond: raw.requests / (raw.duration_us / 1e6),
        p50Ms: raw.p50_us / 1000,
        p99Ms: raw.p99_us / 1000,
        maxMs: raw.max_us / 1000,
        errors: raw.connect_errors + raw.read_errors + raw.write_errors + raw.timeouts + raw.non2xx,
      });
    });
  });
}
