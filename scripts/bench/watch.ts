/**
 * The watch section: srsr holding 10,000 long-polls and 1,000 event streams — the server
 * memory each watcher costs, and how soon a register reaches the watchers of its name.
 *
 * The load is scripts/bench/watch_client.ts, a process of its own pinned to the load CPU, so
 * 11,000 sockets' worth of client work neither shares the server's core nor this script's
 * event loop. Between the client's phases this module waits for the server to go quiet (every
 * request it was sent has been handled) and reads its resident memory.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ms, table, verdict } from "./report.ts";
import { BUN, ROOT, type RunningServer, startServer, withFileLimit } from "./servers.ts";

export interface WatchPlan {
  /** One per name, `w-0` ..; @default 10_000 */
  longPolls: number;
  /** One per name, on the first names; @default 1_000 */
  streams: number;
  /** Registers, one at a time; @default 1_000 */
  registers: number;
  /** Names the registers cycle over (each has a long-poll and a stream); @default 200 */
  registeredNames: number;
}

export const WATCH_PLAN: WatchPlan = { longPolls: 10_000, streams: 1_000, registers: 1_000, registeredNames: 200 };

interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

/** What watch_client.ts prints on its `RESULT` line. */
interface ClientResult {
  longPollsOpenSeconds: number;
  streamsOpenSeconds: number;
  registersSeconds: number;
  register: Percentiles;
  longPoll: Percentiles;
  stream: Percentiles;
  /** Long-polls that answered with no register on their name: each one a bug. */
  earlyAnswers: number;
  /** `register` events with no register on their stream's name: each one a bug. */
  unexpectedEvents: number;
}

export interface WatchResult {
  plan: WatchPlan;
  /** Server RSS with no watcher, with the long-polls held, and with the streams open too. */
  rssMiB: { before: number; longPolls: number; streams: number };
  client: ClientResult;
  seconds: number;
}

export interface WatchOptions {
  serverCpus: string;
  loadCpus: string;
  /** srsr's command line for a port. */
  command: (port: number) => string[];
  plan?: WatchPlan;
  log: (message: string) => void;
}

/** Resolves once the server has used at most one clock tick of CPU over half a second. */
async function quiet(server: RunningServer, deadlineMs = 60_000): Promise<void> {
  const deadline = performance.now() + deadlineMs;
  const samples = [server.cpuSeconds()];
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    samples.push(server.cpuSeconds());
    if (samples.length > 5 && samples[samples.length - 1] - samples[samples.length - 6] <= 0.015) return;
    if (performance.now() > deadline) throw new Error(`watch: the server was still busy ${deadlineMs / 1000} s after the client's last request`);
  }
}

export async function watch({ serverCpus, loadCpus, command, plan = WATCH_PLAN, log }: WatchOptions): Promise<WatchResult> {
  const started = performance.now();
  const files = plan.longPolls + plan.streams + 1024;
  const server = await startServer({ cpus: serverCpus, command: (port) => withFileLimit(files, command(port)) });
  const clientArgv = withFileLimit(files, [
    BUN, join(import.meta.dirname, "watch_client.ts"), String(server.port),
    ...[plan.longPolls, plan.streams, plan.registers, plan.registeredNames].map(String),
  ]);
  const client = spawn("taskset", ["-c", loadCpus, ...clientArgv], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  client.stderr.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => client.once("close", resolve));
  const timeout = setTimeout(() => client.kill("SIGKILL"), 10 * 60_000);
  const rssMiB: Record<string, number> = {};
  let result: ClientResult | undefined;
  try {
    for await (const line of createInterface({ input: client.stdout })) {
      const phase = /^PHASE (.*)$/.exec(line);
      if (phase) {
        await quiet(server);
        rssMiB[phase[1]] = server.rssMiB();
        log(`watch: ${phase[1]}: server RSS ${rssMiB[phase[1]].toFixed(1)} MiB`);
        client.stdin.write("go\n");
      } else if (line.startsWith("RESULT ")) {
        result = JSON.parse(line.slice("RESULT ".length)) as ClientResult;
      }
    }
    const code = await exited;
    if (code !== 0 || result === undefined) throw new Error(`watch: the client failed (exit ${code}): ${stderr.trim()}`);
  } finally {
    clearTimeout(timeout);
    if (client.exitCode === null) client.kill("SIGKILL");
    await server.stop();
  }
  const { longPoll, stream } = result;
  log(`watch: register -> long-poll p50 ${ms(longPoll.p50)} p99 ${ms(longPoll.p99)} ms; -> event p50 ${ms(stream.p50)} p99 ${ms(stream.p99)} ms`);
  return {
    plan,
    rssMiB: { before: rssMiB["before"], longPolls: rssMiB["long-polls"], streams: rssMiB["streams"] },
    client: result,
    seconds: (performance.now() - started) / 1000,
  };
}

const count = (value: number) => value.toLocaleString("en-US");

export function watchSection(result: WatchResult | undefined): string {
  if (!result) return "";
  const { plan, rssMiB, client } = result;
  const kib = (fromMiB: number, toMiB: number, watchers: number) => ((toMiB - fromMiB) * 1024) / watchers;
  const perLongPoll = kib(rssMiB.before, rssMiB.longPolls, plan.longPolls);
  const perStream = kib(rssMiB.longPolls, rssMiB.streams, plan.streams);
  const perWatcher = kib(rssMiB.before, rssMiB.streams, plan.longPolls + plan.streams);
  const perWatcherKB = perWatcher * 1.024;
  const latencyRow = (label: string, p: Percentiles) => [label, ms(p.p50), ms(p.p99), ms(p.max)];
  const bugs = client.earlyAnswers + client.unexpectedEvents;
  return [
    `## Watchers (memory store; ${count(plan.longPolls)} long-polls on as many names, ${count(plan.streams)} event streams)`,
    "",
    `One long-poll per name (\`GET /v1/services/w-<i>?index=<its index>&wait=10m\`) and one event stream on each of ` +
    `the first ${count(plan.streams)} names (\`GET /v1/events?name=w-<i>\`), each on its own keep-alive socket. ` +
    `Memory is the server's RSS once it has gone quiet after each step.`,
    "",
    table(["server holding", "RSS MiB", "added KiB each"], [
      ["no watcher (each name read once)", rssMiB.before.toFixed(1), ""],
      [`${count(plan.longPolls)} long-polls`, rssMiB.longPolls.toFixed(1), perLongPoll.toFixed(2)],
      [`and ${count(plan.streams)} event streams`, rssMiB.streams.toFixed(1), perStream.toFixed(2)],
      [`all ${count(plan.longPolls + plan.streams)} watchers`, "", perWatcher.toFixed(2)],
    ]),
    "",
    `${count(plan.registers)} registers, one at a time, over ${plan.registeredNames} of the names that have both a long-poll ` +
    `and a stream; each long-poll is re-armed at its new index as soon as it answers. Times run from the register ` +
    `request being written to each answer arriving, all ${count(plan.longPolls + plan.streams)} watchers open:`,
    "",
    table(["from a register to", "p50 ms", "p99 ms", "max ms"], [
      latencyRow("its own answer (201)", client.register),
      latencyRow("its name's long-poll answering", client.longPoll),
      latencyRow("its name's stream's `register` event", client.stream),
    ]),
    "",
    `Opening the long-polls took ${client.longPollsOpenSeconds.toFixed(1)} s, the streams ` +
    `${client.streamsOpenSeconds.toFixed(1)} s, the registers ${client.registersSeconds.toFixed(1)} s; the section ` +
    `${result.seconds.toFixed(0)} s. ` +
    (bugs === 0
      ? "No watcher answered without a register on its name."
      : `**${client.earlyAnswers} long-poll(s) and ${client.unexpectedEvents} stream(s) answered with no register on their name.**`),
    "",
    `- ≤ 4 kB of server memory per watcher (issue 16's target, reported only): ${perWatcherKB.toFixed(1)} kB, ` +
    verdict(perWatcherKB, 4, false),
    `- a register reaches its watchers within 10 ms at p99 (issue 16's target, reported only): long-poll ` +
    `${ms(client.longPoll.p99)} ms, ${verdict(client.longPoll.p99, 10, false)}; event stream ${ms(client.stream.p99)} ms, ` +
    verdict(client.stream.p99, 10, false),
  ].join("\n");
}
