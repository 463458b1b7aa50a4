/**
 * A registry that pauses expires no one (issue 10, item 3), as a fault: a spawned srsr is
 * stopped with SIGSTOP for three times the TTL while a client keeps heartbeating, then resumed.
 * Its instance must survive: every heartbeat answered after the pause renews it, the log says
 * how long srsr was not running, and /metrics counts the pause.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { eventually } from "./support/eventually.ts";
import { type RunningServer, srsrCommand, startServer } from "./support/server.ts";

const TTL_SECONDS = 1;

/** Heartbeats `id` every 100 ms, each allowed 250 ms, until stopped; keeps what was answered. */
function heartbeating(server: RunningServer, id: string) {
  const answers: { at: number; success: boolean }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const response = await fetch(`${server.url}/heartbeat`, {
          method: "POST",
          body: JSON.stringify({ id }),
          signal: AbortSignal.timeout(250),
        });
        answers.push({ at: Date.now(), success: ((await response.json()) as { success: boolean }).success });
      } catch {
        // Stopped: the request waits in the socket until it times out. The client retries.
      }
      await Bun.sleep(100);
    }
  })();
  return {
    answers,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

let server: RunningServer | undefined;
afterEach(async () => {
  server?.process.kill("SIGCONT");
  server?.process.kill("SIGKILL");
  await server?.process.exited;
  server = undefined;
});

describe.each(["bun", "deno"] as const)("srsr on %s stopped with SIGSTOP for 3 TTLs", (runtime) => {
  test("keeps the instance whose client heartbeated throughout, and says it was not running", async () => {
    server = await startServer(srsrCommand(runtime), ["-t", String(TTL_SECONDS)]);
    const { id } = (await server.post("/register", { name: "paused", address: "10.0.0.5:80" })).json as { id: string };
    const client = heartbeating(server, id);
    try {
      await eventually(() => client.answers.filter((answer) => answer.success).length >= 3, "three heartbeats renewed");

      server.process.kill("SIGSTOP");
      const stoppedAt = Date.now();
      // The fault itself lasts a set time: srsr must be stopped for longer than the TTL.
      await Bun.sleep(3 * TTL_SECONDS * 1000);
      server.process.kill("SIGCONT");

      await eventually(
        () => client.answers.some((answer) => answer.at > stoppedAt + 3 * TTL_SECONDS * 1000),
        "a heartbeat is answered after the pause",
      );
      await eventually(
        () => client.answers.filter((answer) => answer.at > stoppedAt).length >= 3,
        "three heartbeats answered after the pause",
      );
    } finally {
      await client.stop();
    }

    expect(client.answers.filter((answer) => !answer.success)).toEqual([]);
    expect((await server.post("/lookup", { name: "paused" })).json).toEqual({ success: true, address: "10.0.0.5:80" });
    const log = server.stderr();
    expect(log).toMatch(/warn srsr was not running for (\d+\.\d{3}) s \(stopped, paused, or its event loop stalled\)/);
    const pausedSeconds = Math.max(...[...log.matchAll(/not running for (\d+\.\d{3}) s/g)].map((match) => Number(match[1])));
    expect(pausedSeconds).toBeGreaterThanOrEqual(3 * TTL_SECONDS);
    expect(log).not.toContain(" expire ");
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(Number(/^srsr_pauses_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(/^srsr_paused_seconds_total ([\d.e+]+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(3 * TTL_SECONDS);
    expect(Number(/^srsr_expiries_total (\d+)$/m.exec(metrics)?.[1])).toBe(0);
  }, 60_000);
});
