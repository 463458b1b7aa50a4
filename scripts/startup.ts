/**
 * Measures srsr's start-up: the time from spawning a command to its first answered `/lookup`,
 * repeated, with the median and spread. Optionally fills a SQLite file with instances first,
 * so a start that loads them is measured too.
 *
 * Usage: bun scripts/startup.ts [--runs N] [--store SPEC] [--fill N] -- COMMAND [ARGS...]
 * e.g.   bun scripts/startup.ts --runs 20 -- dist/srsr-linux-amd64
 *        bun scripts/startup.ts --store sqlite:/tmp/s/reg.db --fill 100000 -- dist/srsr-linux-amd64
 *
 * @module
 */

import { spawn } from "node:child_process";
import process from "node:process";
import { parseArgs } from "node:util";
import { freePort } from "../test/support/server.ts";

const post = (port: number, path: string, body: unknown) =>
  fetch(`http://127.0.0.1:${port}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

interface Started {
  port: number;
  ms: number;
  stop(): Promise<void>;
}

/** Spawns `command` and polls `/lookup` without pausing until it answers. */
async function start(command: string[], args: string[]): Promise<Started> {
  const port = await freePort();
  const began = performance.now();
  const child = spawn(command[0], [...command.slice(1), "--port", String(port), ...args], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let failed = false;
  child.once("exit", () => (failed = true));
  const deadline = began + 120_000;
  for (;;) {
    if (failed) throw new Error(`${command.join(" ")} exited before answering`);
    try {
      const response = await post(port, "/lookup", { name: "startup-probe" });
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {
      if (performance.now() > deadline) throw new Error("no answer within 120 s");
      // A millisecond's pause keeps the poller from starving the server of a shared core.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
  const ms = performance.now() - began;
  return {
    port,
    ms,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Registers `count` instances over HTTP, a few hundred requests in flight at a time. */
async function fill(command: string[], args: string[], count: number): Promise<void> {
  const server = await start(command, args);
  const inFlight = 256;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const response = await post(server.port, "/register", { name: `svc-${i % 1000}`, address: `10.${i >> 16 & 255}.${i >> 8 & 255}.${i & 255}:8080` });
      if (!response.ok) throw new Error(`register failed: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  await server.stop();
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: {
        runs: { type: "string", default: "20" },
        store: { type: "string", default: "memory" },
        fill: { type: "string", default: "0" },
      },
    });
  } catch (error) {
    console.error(`startup: ${(error as Error).message.split("\n")[0]}`);
    return 2;
  }
  const { values, positionals: command } = parsed;
  const runs = Number(values.runs);
  const count = Number(values.fill);
  if (command.length === 0 || !(runs >= 1) || !(count >= 0)) {
    console.error("startup: usage: bun scripts/startup.ts [--runs N] [--store SPEC] [--fill N] -- COMMAND [ARGS...]");
    return 2;
  }
  // A long timeout so filled instances stay live through every measured start.
  const args = ["--store", values.store, "--timeout", "86400", "--log-level", "error"];
  if (count > 0) {
    const began = performance.now();
    await fill(command, args, count);
    console.error(`filled ${count} instances in ${((performance.now() - began) / 1000).toFixed(1)}s`);
  }
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const server = await start(command, args);
    times.push(server.ms);
    await server.stop();
  }
  times.sort((a, b) => a - b);
  const ms = (value: number) => `${value.toFixed(0)} ms`;
  console.log(
    `${command.join(" ")} --store ${values.store}${count ? ` (${count} instances)` : ""}: ` +
      `median ${ms(percentile(times, 0.5))}, min ${ms(times[0])}, p90 ${ms(percentile(times, 0.9))} over ${runs} runs`,
  );
  return 0;
}

process.exit(await main());
