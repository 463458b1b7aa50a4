/**
 * Several srsr processes on one PostgreSQL database (issue 12), against the server named by
 * SRSR_TEST_POSTGRES: two nodes, one on Bun and one on Deno; node A killed with SIGKILL; and
 * PostgreSQL itself stopped and restarted under both nodes, which needs SRSR_TEST_POSTGRES_DATA
 * (the server's data folder, for pg_ctl; `npm test -- --postgres` sets both). The compiled
 * binary runs the two-node scenario in binary.test.ts.
 */
import { afterEach, describe, expect, test } from "bun:test";
import process from "node:process";
import { pgCtl, restartPostgres, startPostgres } from "../scripts/lib/postgres.ts";
import { freshDatabase, NOT_RUN, TEST_POSTGRES } from "./postgres_suites.ts";
import { eventually } from "./support/eventually.ts";
import { call, register, twoNodeScenario } from "./support/postgres_nodes.ts";
import { freePort, type RunningServer, runToExit, srsrCommand, startServer } from "./support/server.ts";

const DATA_DIR = process.env.SRSR_TEST_POSTGRES_DATA || undefined;
const PASSWORD = "s3cret-never-shown";

const running: RunningServer[] = [];
afterEach(async () => {
  for (const server of running.splice(0)) {
    server.process.kill("SIGKILL");
    await server.process.exited;
  }
});

/** A node on `runtime` serving `url`; `-t 1` makes each node sweep every 250 ms. */
async function node(runtime: "bun" | "deno", url: string): Promise<RunningServer> {
  const server = await startServer(srsrCommand(runtime), ["--store", url, "-t", "1", "--log-level", "warn"]);
  running.push(server);
  return server;
}

describe("a PostgreSQL store out of reach at start", () => {
  test("one line naming the host and the database, never the password; exit 1", async () => {
    const port = await freePort(); // nothing listens there
    const { code, stdout, stderr } = await runToExit([...srsrCommand("bun"), "--store", `postgres://srsr:${PASSWORD}@127.0.0.1:${port}/registry`]);
    expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
    expect(stderr).toBe(`srsr: cannot reach PostgreSQL at 127.0.0.1:${port}, database registry: connect ECONNREFUSED 127.0.0.1:${port}\n`);
  });
});

describe.skipIf(TEST_POSTGRES === undefined)("srsr nodes sharing one PostgreSQL database", () => {
  test("the start-up line and the logs name the database without its password", async () => {
    const url = new URL(await freshDatabase("srsr_nodes_password"));
    url.password = PASSWORD; // the throwaway server trusts loopback, so any password is accepted
    const server = await node("bun", url.toString());
    await register(server, "billing", { address: "http://10.0.0.1:80" });
    url.password = "";
    await eventually(() => server.stderr().includes(`(store: ${url.toString()},`), "the start-up line names the store");
    expect(server.stderr()).not.toContain(PASSWORD);
  });

  test("two nodes, one on Bun and one on Deno, see each other's changes, heartbeats and expiries", async () => {
    const url = await freshDatabase("srsr_nodes");
    const [a, b] = await Promise.all([node("bun", url), node("deno", url)]);
    await twoNodeScenario(a, b, url);
  }, 60_000);

  test("kill -9 node A: node B keeps serving every instance, those registered through A too", async () => {
    const url = await freshDatabase("srsr_nodes_kill");
    const [a, b] = await Promise.all([node("bun", url), node("bun", url)]);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await register(i % 2 === 0 ? a : b, `svc-${i % 4}`, { address: `http://10.0.1.${i}:80`, ttl: 60 })).id);
    a.process.kill("SIGKILL");
    expect(await a.process.exited).not.toBe(0);
    for (const id of ids) expect((await call(b, "PUT", `/v1/instances/${id}/heartbeat`)).status).toBe(200);
    for (let n = 0; n < 4; n++) expect((await b.post("/lookup", { name: `svc-${n}` })).json.success).toBe(true);
    expect((await call(b, "GET", "/v1/services")).json.services.reduce((sum: number, service: { instances: number }) => sum + service.instances, 0)).toBe(20);
    await register(b, "after", { address: "http://10.0.2.1:80" });
  }, 60_000);

  test.skipIf(DATA_DIR === undefined)(
    "PostgreSQL stopped and restarted under both nodes: 503 at once meanwhile, never a hang, nothing acknowledged lost",
    async () => {
      const url = await freshDatabase("srsr_nodes_restart");
      const [a, b] = await Promise.all([node("bun", url), node("deno", url)]);
      const acknowledged: string[] = [];
      for (let i = 0; i < 20; i++) acknowledged.push((await register(i % 2 === 0 ? a : b, "kept", { address: `http://10.0.3.${i}:80`, ttl: 300 })).id);

      // Stopped: writes answer 503 at once, lookups answer from the cache, /readyz says why.
      await pgCtl(DATA_DIR!, "stop", "-m", "fast", "-w", "-s");
      try {
        for (const server of [a, b]) {
          const started = performance.now();
          expect((await call(server, "POST", "/v1/services/kept/instances", { address: "http://10.0.4.1:80" })).status).toBe(503);
          expect(performance.now() - started).toBeLessThan(5_000);
          expect((await server.post("/lookup", { name: "kept" })).json.success).toBe(true);
          expect((await call(server, "GET", "/readyz")).status).toBe(503);
        }
      } finally {
        await startPostgres(DATA_DIR!);
      }

      // Restarted under traffic: every request answers 201 or 503, none takes 5 s.
      let stop = false;
      const problems: string[] = [];
      const traffic = async (server: RunningServer) => {
        for (let request = 0; !stop && request < 5_000; request++) {
          const started = performance.now();
          try {
            const answer = await fetch(`${server.url}/v1/services/kept/instances`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ address: `http://10.0.5.${request % 250}:80`, ttl: 300 }),
              signal: AbortSignal.timeout(6_000),
            });
            const body = await answer.json();
            if (answer.status === 201) acknowledged.push(body.id);
            else if (answer.status !== 503) problems.push(`${server.url}: ${answer.status} ${JSON.stringify(body)}`);
          } catch (error) {
            problems.push(`${server.url}: ${error}`);
          }
          const took = performance.now() - started;
          if (took > 5_000) problems.push(`${server.url}: a request took ${Math.round(took)} ms`);
          await Bun.sleep(5); // a client's pace: bounded in count and time
        }
      };
      const loops = [traffic(a), traffic(b)];
      await restartPostgres(DATA_DIR!);
      const writes = (server: RunningServer) => call(server, "POST", "/v1/services/probe/instances", { address: "http://10.0.6.1:80" });
      await eventually(async () => (await writes(a)).status === 201 && (await writes(b)).status === 201, "both nodes take writes again", {
        deadlineMs: 30_000,
      });
      stop = true;
      await Promise.all(loops);
      expect(problems).toEqual([]);

      await eventually(async () => {
        for (const server of [a, b]) {
          const listed = new Set((await call(server, "GET", "/v1/services/kept")).json.instances.map((instance: { id: string }) => instance.id));
          if (!acknowledged.every((id) => listed.has(id))) return false;
        }
        return true;
      }, "both nodes list every acknowledged registration");
      for (const server of [a, b]) expect((await call(server, "GET", "/readyz")).status).toBe(200);
    },
    90_000,
  );
});

if (TEST_POSTGRES === undefined) test.skip(`srsr nodes sharing one PostgreSQL database (skipped: ${NOT_RUN})`, () => {});
