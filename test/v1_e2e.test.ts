/**
 * Black-box: the v1 API on every way srsr runs — from source on Bun and on Deno, and as the
 * compiled binary alone in an empty folder — each a spawned process on a free port. Also what
 * only a real socket shows: an idle event stream and a held long-poll outlive Bun's 10 s idle
 * timeout. Those take ~20 s by nature, so the three runtimes' run at once.
 *
 * @module
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { InstanceListResponse, WireInstance } from "../src/wire/v1.ts";
import { openEventStream } from "./support/event_stream.ts";
import { EVERY_RUNTIME, serversOnEveryRuntime } from "./support/binary.ts";
import { eventually } from "./support/eventually.ts";
import type { RunningServer } from "./support/server.ts";
import { expectV1Scenario } from "./support/v1_scenario.ts";

const RUNTIMES = EVERY_RUNTIME;
// Budgets for a busy machine, not measurements.
const SCENARIO_TIMEOUT_MS = 60_000;
const IDLE_TIMEOUT_MS = 90_000;
/** Bun closes a connection idle this long unless the request lifts it (runtime/types.ts). */
const BUN_IDLE_TIMEOUT_MS = 10_000;
/** How long the idle stream is kept before it must still deliver. */
const IDLE_STREAM_MS = 20_000;
// The server pings every 15 s; past this, no ping is a failure, not a slow machine.
const PING_DEADLINE_MS = 40_000;

async function register(server: RunningServer, name: string): Promise<WireInstance> {
  const response = await fetch(`${server.url}/v1/services/${name}/instances`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ address: "10.0.0.20:9000", ttl: 300 }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as WireInstance;
}

/**
 * Opens a stream on a name nobody touches and reads until the server's keep-alive ping: past
 * Bun's idle timeout with nothing sent. Then a registration must still arrive on it.
 */
async function expectIdleStreamDelivers(server: RunningServer, name: string): Promise<void> {
  const opened = Date.now();
  const stream = await openEventStream(`${server.url}/v1/events?name=${name}`);
  try {
    expect((await stream.expectEvent("snapshot")).data.instances).toEqual([]);
    expect(await stream.next(PING_DEADLINE_MS)).toEqual({ kind: "comment", text: "ping" });
    // A lower bound whatever the load: the server sent nothing between the snapshot and the ping.
    expect(Date.now() - opened).toBeGreaterThan(BUN_IDLE_TIMEOUT_MS);
    // The stream must still deliver after 20 s, whatever else has happened on it.
    await eventually(() => Date.now() - opened > IDLE_STREAM_MS, "the stream has been open 20 s", { everyMs: 100, deadlineMs: 30_000 });
    const instance = await register(server, name);
    expect(await stream.expectEvent("register", 30_000)).toMatchObject({ data: { type: "register", instance } });
  } finally {
    await stream.close();
  }
}

/** A long-poll on an unchanged name, held past Bun's idle timeout, answers when its wait is up. */
async function expectLongPollAnsweredAfterItsWait(server: RunningServer, name: string): Promise<void> {
  const instance = await register(server, name);
  const listed = await fetch(`${server.url}/v1/services/${name}`);
  const index = listed.headers.get("x-srsr-index");
  await listed.body?.cancel();
  const started = Date.now();
  const held = await fetch(`${server.url}/v1/services/${name}?index=${index}&wait=12s`);
  expect(held.status).toBe(200);
  expect(held.headers.get("x-srsr-index")).toBe(index);
  expect((await held.json()) as InstanceListResponse).toEqual({ name, index: Number(index), instances: [instance] });
  // It was held for its whole wait, not dropped or answered early.
  expect(Date.now() - started).toBeGreaterThanOrEqual(12_000);
}

/** Rethrows `error` saying which runtime and check it came from. */
const onRuntime = (runtime: string, what: string) => (error: unknown): never => {
  throw new Error(`${what} on ${runtime}: ${error instanceof Error ? error.message : error}`, { cause: error });
};

describe("the v1 API over HTTP", () => {
  const serverOn = serversOnEveryRuntime();

  for (const runtime of RUNTIMES) {
    test(`every v1 route, the event stream and the legacy API on ${runtime}`, async () => {
      const server = serverOn(runtime);
      await expectV1Scenario(server);
      // Clients leaving streams and long-polls is normal: stderr has nothing but the start-up
      // lines and `info` lines of changes, no error, warning or runtime complaint. Complete
      // lines only: the last may still be arriving.
      const lines = server.stderr().split("\n").slice(0, -1);
      const unexpected = lines.filter((line) => !/^srsr listening on |^srsr: no --token-file: |^\S+ info /.test(line));
      expect(unexpected).toEqual([]);
    }, SCENARIO_TIMEOUT_MS);
  }

  test(`on ${RUNTIMES.join(", ")}: an idle event stream is pinged past Bun's 10 s idle timeout and still delivers after 20 s; a 12 s long-poll is answered`, async () => {
    // Settled, not raced: every stream and long-poll has ended before the test does.
    const outcomes = await Promise.allSettled(RUNTIMES.flatMap((runtime) => [
      expectIdleStreamDelivers(serverOn(runtime), "idle-stream").catch(onRuntime(runtime, "idle stream")),
      expectLongPollAnsweredAfterItsWait(serverOn(runtime), "quiet").catch(onRuntime(runtime, "long-poll")),
    ]));
    const failures = outcomes.flatMap((outcome) => (outcome.status === "rejected" ? [outcome.reason] : []));
    if (failures.length > 0) throw failures.length === 1 ? failures[0] : new AggregateError(failures, failures.join("\n"));
  }, IDLE_TIMEOUT_MS);
});
