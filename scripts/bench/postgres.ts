/**
 * The PostgreSQL section: srsr nodes sharing one throwaway PostgreSQL server (default, durable
 * settings: every commit is flushed), against the memory store in the same run. Lookup and
 * heartbeat through one node and through two (a wrk on each, at once), registrations per second,
 * and the cross-node lag: a register on node A, seen by a long-poll waiting on node B.
 *
 * The nodes run on the server CPU, wrk and this script on the load CPU; PostgreSQL is not
 * pinned, so it competes with both, as a database on the same machine would.
 *
 * @module
 */

import postgres from "postgres";
import { startThrowawayPostgres } from "../lib/postgres.ts";
import { ms, ratio, rps, table, verdict } from "./report.ts";
import { seed, UNPIPELINED } from "./seed.ts";
import { type RunningServer, srsrCommand, startServer } from "./servers.ts";
import { runWrk, type WrkResult } from "./wrk.ts";

export interface PostgresResult {
  memory: { lookup: WrkResult; heartbeat: WrkResult };
  oneNode: { lookup: WrkResult; heartbeat: WrkResult };
  /** One result per node, measured at once. */
  twoNodes: { lookup: WrkResult[]; heartbeat: WrkResult[] };
  registrationsPerSecond: number;
  lagMs: { p50: number; p99: number; max: number; samples: number };
}

export interface PostgresBenchOptions {
  serverCpus: string;
  loadCpus: string;
  durationSeconds: number;
  /** Flags every srsr gets. */
  flags: string[];
  /** The lookup script's names file (svc-0 .. svc-99). */
  namesFile: string;
  /** Writes `values` one per line into the work folder; returns its path. */
  lines: (file: string, values: string[]) => string;
  log: (message: string) => void;
}

const INSTANCES = 1_000;
const NAMES = 100;
const LAG_SAMPLES = 200;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

/** Register on `a`, timed until a long-poll already waiting on `b` answers with it. */
async function crossNodeLag(a: RunningServer, b: RunningServer): Promise<PostgresResult["lagMs"]> {
  const lags: number[] = [];
  for (let sample = 0; sample < LAG_SAMPLES; sample++) {
    const name = `lag-${sample % 10}`;
    const listed = await fetch(`http://127.0.0.1:${b.port}/v1/services/${name}`);
    const index = Number(listed.headers.get("x-srsr-index"));
    await listed.arrayBuffer();
    const woken = fetch(`http://127.0.0.1:${b.port}/v1/services/${name}?index=${index}&wait=10s`).then(async (answer) => {
      await answer.arrayBuffer();
      return performance.now();
    });
    const sent = performance.now();
    const registered = await fetch(`http://127.0.0.1:${a.port}/v1/services/${name}/instances`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ address: `10.9.${sample >> 8}.${sample & 255}:80`, ttl: 3600 }),
    });
    await registered.arrayBuffer();
    lags.push((await woken) - sent);
  }
  lags.sort((x, y) => x - y);
  return { p50: percentile(lags, 0.5), p99: percentile(lags, 0.99), max: lags.at(-1)!, samples: lags.length };
}

export async function postgresBench(options: PostgresBenchOptions): Promise<PostgresResult> {
  const { serverCpus, loadCpus, durationSeconds, flags, namesFile, lines, log } = options;
  const wrk = (server: RunningServer, script: string, args: string[], seconds = durationSeconds) =>
    runWrk({ port: server.port, script, args, durationSeconds: seconds, cpus: loadCpus });
  const nameOf = (index: number) => `svc-${index % NAMES}`;
  /** Lookup and heartbeat through `server`, seeded with 1,000 instances. */
  const measure = async (server: RunningServer, label: string) => {
    const ids = lines(`pg-ids-${label}.txt`, await seed(server.port, INSTANCES, nameOf, label === "memory" ? {} : UNPIPELINED));
    await wrk(server, "lookup", [namesFile], 1); // warm-up
    const lookup = await wrk(server, "lookup", [namesFile]);
    const heartbeat = await wrk(server, "heartbeat", [ids]);
    log(`postgres ${label}: lookup ${rps(lookup.requestsPerSecond)}/s, heartbeat ${rps(heartbeat.requestsPerSecond)}/s`);
    return { lookup, heartbeat, ids };
  };

  const memoryServer = await startServer({ cpus: serverCpus, command: srsrCommand(...flags) });
  let memory;
  try {
    memory = await measure(memoryServer, "memory");
  } finally {
    await memoryServer.stop();
  }

  const database = await startThrowawayPostgres({ fast: false });
  const servers: RunningServer[] = [];
  try {
    const admin = postgres(database.url, { max: 1, onnotice: () => {} });
    await admin.unsafe("CREATE DATABASE srsr_bench");
    await admin.end();
    const url = database.url.replace(/\/postgres$/, "/srsr_bench");
    const node = async () => {
      const server = await startServer({ cpus: serverCpus, command: srsrCommand(...flags, "--store", url) });
      servers.push(server);
      return server;
    };
    const a = await node();
    const started = performance.now();
    await seed(a.port, 2_000, (index) => `reg-${index % NAMES}`, UNPIPELINED);
    const registrationsPerSecond = 2_000 / ((performance.now() - started) / 1000);
    log(`postgres: ${rps(registrationsPerSecond)} registrations/s through one node`);
    const oneNode = await measure(a, "one-node");
    const b = await node();
    await wrk(b, "lookup", [namesFile], 1); // warm-up
    const lookup = await Promise.all([wrk(a, "lookup", [namesFile]), wrk(b, "lookup", [namesFile])]);
    const heartbeat = await Promise.all([wrk(a, "heartbeat", [oneNode.ids]), wrk(b, "heartbeat", [oneNode.ids])]);
    log(`postgres two nodes: lookup ${lookup.map((r) => rps(r.requestsPerSecond)).join(" + ")}/s, ` +
      `heartbeat ${heartbeat.map((r) => rps(r.requestsPerSecond)).join(" + ")}/s`);
    const lagMs = await crossNodeLag(a, b);
    log(`postgres cross-node lag: p50 ${lagMs.p50.toFixed(2)} ms, p99 ${lagMs.p99.toFixed(2)} ms`);
    return { memory, oneNode, twoNodes: { lookup, heartbeat }, registrationsPerSecond, lagMs };
  } finally {
    for (const server of servers) await server.stop();
    await database.stop();
  }
}

const sum = (results: WrkResult[]) => results.reduce((total, result) => total + result.requestsPerSecond, 0);

export function postgresSection(result: PostgresResult | undefined): string {
  if (result === undefined) return "";
  const rows = (["lookup", "heartbeat"] as const).map((scenario) => {
    const memory = result.memory[scenario].requestsPerSecond;
    const one = result.oneNode[scenario].requestsPerSecond;
    const two = sum(result.twoNodes[scenario]);
    return [scenario, rps(memory), rps(one), ratio(one / memory), ms(result.oneNode[scenario].p99Ms), rps(two), ratio(two / memory)];
  });
  const lookup = result.oneNode.lookup.requestsPerSecond / result.memory.lookup.requestsPerSecond;
  const heartbeat = result.oneNode.heartbeat.requestsPerSecond / result.memory.heartbeat.requestsPerSecond;
  return [
    `## PostgreSQL (${INSTANCES.toLocaleString("en-US")} instances over ${NAMES} names, durable commits)`,
    "",
    "Ratios are over the memory store in the same run. Two nodes: a wrk on each at once, req/s added.",
    "",
    table(["scenario", "memory req/s", "one node req/s", "ratio", "one node p99 ms", "two nodes req/s", "ratio"], rows),
    "",
    `- registrations through one node: ${rps(result.registrationsPerSecond)}/s`,
    `- cross-node lag (register on A until a long-poll on B answers, ${result.lagMs.samples} samples): ` +
    `p50 ${ms(result.lagMs.p50)} ms, p99 ${ms(result.lagMs.p99)} ms, max ${ms(result.lagMs.max)} ms`,
    `- lookup ≥ 0.9× memory: ${ratio(lookup)}, ${verdict(lookup, 0.9)}`,
    `- heartbeat ≥ 0.5× memory: ${ratio(heartbeat)}, ${verdict(heartbeat, 0.5)}`,
    `- cross-node lag p99 ≤ 50 ms: ${ms(result.lagMs.p99)} ms, ${verdict(result.lagMs.p99, 50, false)}`,
  ].join("\n");
}
