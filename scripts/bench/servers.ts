/**
 * Starting the servers under test as child processes on free ports, pinned to a CPU, and
 * reading their resident memory.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../../test/support/server.ts";

/** USER_HZ: Linux reports /proc CPU times in these ticks; 100 on every mainstream arch. */
const CLOCK_TICKS_PER_SECOND = 100;

export const ROOT = join(import.meta.dirname, "..", "..");
export const BUN = join(ROOT, "node_modules", ".bin", "bun");

export interface RunningServer {
  port: number;
  /** Milliseconds from spawn to the first answered request. */
  startupMs: number;
  /** Lines the server wrote to stdout so far. */
  stdout(): string;
  /** Resident memory from /proc/<pid>/status, in MiB. */
  rssMiB(): number;
  /** CPU seconds used so far, user + system, all threads, from /proc/<pid>/stat. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** CPU list for `taskset`. */
  cpus?: string;
  /** Called with the free port; returns the command line. */
  command: (port: number) => string[];
  /** Working directory of the server. @default ROOT */
  cwd?: string;
}

async function answers(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/lookup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"name":"startup-probe"}',
    });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

export async function startServer({ cpus, command, cwd = ROOT }: StartOptions): Promise<RunningServer> {
  const port = await freePort();
  const argv = cpus === undefined ? command(port) : ["taskset", "-c", cpus, ...command(port)];
  const started = performance.now();
  const child: ChildProcess = spawn(argv[0], argv.slice(1), { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk) => (stdout += chunk));
  // Drained so a chatty server never blocks on a full pipe; only the tail is kept for errors.
  child.stderr!.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = started + 60_000;
  while (!(await answers(port))) {
    if (child.exitCode !== null) throw new Error(`${argv.join(" ")} exited with ${child.exitCode}: ${stderr}`);
    if (performance.now() > deadline) throw new Error(`${argv.join(" ")} did not answer within 60 s: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const startupMs = performance.now() - started;
  return {
    port,
    startupMs,
    stdout: () => stdout,
    rssMiB: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) / 1024;
    },
    cpuSeconds: () => {
      // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${child.pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
    },
    stop: async () => {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}

export const srsrCommand = (...flags: string[]) => (port: number) => [BUN, "main.ts", "-p", String(port), ...flags];
export const ceilingCommand = (port: number) => [BUN, "scripts/ceiling.ts", String(port)];

/**
 * `argv` run through `sh` with at least `count` file descriptors allowed (raising the soft
 * limit up to the hard one), or failing with a message that names both.
 */
export const withFileLimit = (count: number, argv: string[]) => [
  "sh",
  "-c",
  `[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge ${count} ] || ulimit -n ${count} || ` +
  `{ echo "needs ${count} open files; ulimit -Hn is $(ulimit -Hn): raise it" >&2; exit 1; }; exec "$@"`,
  "sh",
  ...argv,
];
