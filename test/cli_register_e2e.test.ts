/**
 * Black-box: `srsr register` against a real srsr, from source on Bun and as the compiled binary
 * alone in an empty folder: kept registered until a signal; every exit code; `-- COMMAND` (its
 * exit code passed through, SIGTERM forwarded and the instance deregistered, a COMMAND killed by
 * a signal); and `--check-http` / `--check-tcp` against a tiny server the test starts and stops.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type Server } from "node:net";
import { type CliProcess, CLIS, cliRunner, liveInstances } from "./support/cli.ts";
import { eventually } from "./support/eventually.ts";
import { BUN, freePort, type RunningServer, srsrCommand, startServer } from "./support/server.ts";

const cli = cliRunner();
const uniqueName = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
// Budgets for a busy machine, not measurements.
const TIMEOUT_MS = 30_000;
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

let server: RunningServer;
let guarded: RunningServer;
beforeAll(async () => {
  [server, guarded] = await Promise.all([startServer(srsrCommand("bun")), startServer(srsrCommand("bun"), [], { env: { SRSR_TOKEN: "s3cret-token" } })]);
});
afterAll(async () => {
  await Promise.all([server, guarded].filter(Boolean).map((running) => running.stop()));
});

/** The id `register` said it registered under, once it has said so. */
async function registeredId(process: CliProcess, name: string): Promise<string> {
  await process.waitFor(`srsr: registered ${name} at `);
  return new RegExp(`srsr: registered ${name} at \\S+ as (${UUID})`).exec(process.stderr())![1]!;
}

/** A tiny HTTP server answering 200 on a port, stopped and started again by the test. */
function tinyHttp(port: number) {
  return Bun.serve({ port, hostname: "127.0.0.1", fetch: () => new Response("ok") });
}

function tinyTcp(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const listening = createServer((socket) => socket.end()).once("error", reject);
    listening.listen(port, "127.0.0.1", () => resolve(listening));
  });
}

const closeTcp = (listening: Server) => new Promise<void>((resolve) => listening.close(() => resolve()));

for (const runtime of CLIS) {
  describe(`srsr register from ${runtime === "bun" ? "source on Bun" : "the compiled binary"}`, () => {
    const env = () => ({ SRSR_URL: server.url });
    const run = (args: string[], extra: Record<string, string> = {}) => cli.run(runtime, args, { ...env(), ...extra });

    test("registers with its meta and TTL, heartbeats past the TTL, and deregisters on SIGTERM and SIGINT, exit 0", async () => {
      for (const signal of ["SIGTERM", "SIGINT"] as const) {
        const name = uniqueName("kept");
        const registering = cli.spawn(runtime, ["register", name, "--address", "http://10.0.0.5", "--port", "8080", "--ttl", "1", "--meta", "zone=eu"], env());
        const id = await registeredId(registering, name);
        expect(registering.stderr()).toBe(`srsr: registered ${name} at http://10.0.0.5:8080 as ${id} (ttl 1s)\n`);
        const first = (await (await fetch(`${server.url}/v1/instances/${id}`)).json()) as { meta: object; expiresAt: string };
        expect(first.meta).toEqual({ zone: "eu" });
        // Renewed: a later expiresAt, under the same id, is what a heartbeat answers.
        await eventually(async () => {
          const now = (await (await fetch(`${server.url}/v1/instances/${id}`)).json()) as { expiresAt?: string };
          return now.expiresAt !== undefined && now.expiresAt > first.expiresAt;
        }, "a heartbeat renewed it");
        registering.kill(signal);
        expect(await registering.exited).toBe(0);
        expect(registering.stderr()).toEndWith(`srsr: deregistered ${name} (${id})\n`);
        expect(await liveInstances(server, name)).toEqual([]);
      }
    }, TIMEOUT_MS);

    test("registers again by itself when the registry restarted and forgot it", async () => {
      let own = await startServer(srsrCommand("bun"));
      const port = own.port;
      try {
        const registering = cli.spawn(runtime, ["register", "survivor", "--port", "9000", "--ttl", "1", "--server", own.url]);
        const first = await registeredId(registering, "survivor");
        expect(await own.stop()).toBe(0);
        own = await startServer(srsrCommand("bun"), [], { port });
        await eventually(async () => (await liveInstances(own, "survivor")).length === 1, "it registered again on the restarted registry");
        expect((await liveInstances(own, "survivor"))[0]!.id).not.toBe(first);
        registering.kill("SIGTERM");
        expect(await registering.exited).toBe(0);
        expect(await liveInstances(own, "survivor")).toEqual([]);
      } finally {
        await own.stop();
      }
    }, TIMEOUT_MS);

    test("exit 1 when the registry refuses, 2 for bad usage, 3 when it cannot be reached; nothing is run then", async () => {
      const refused = await run(["register", "api", "--port", "80", "--", "sh", "-c", "echo ran"], { SRSR_URL: guarded.url });
      expect(refused).toMatchObject({ code: 1, stdout: "" });
      expect(refused.stderr).toStartWith(`srsr: POST ${guarded.url}/v1/services/api/instances: 401 Unauthorized: `);
      const badAddress = await run(["register", "api", "--address", "no such address"]);
      expect(badAddress.code).toBe(1);
      expect(badAddress.stderr).toContain(" 400 Bad Request: ");
      expect(await run(["register", "api"])).toEqual({ code: 2, stdout: "", stderr: "srsr: register: needs --address or --port: where the service is reached\n" });
      const url = `http://127.0.0.1:${await freePort()}`;
      expect(await run(["register", "api", "--port", "80", "--server", url, "--", "sh", "-c", "echo ran"])).toEqual({
        code: 3,
        stdout: "",
        stderr: `srsr: cannot reach the registry at ${url}: connection refused (is it running there?)\n`,
      });
    }, TIMEOUT_MS);

    test("-- COMMAND: runs it registered, passes its output and exit code through, and deregisters when it exits", async () => {
      const name = uniqueName("child");
      const result = await run(["register", name, "--port", "5432", "--", "sh", "-c", `echo "child sees $SRSR_URL"; exit 42`]);
      expect(result.code).toBe(42);
      expect(result.stdout).toBe(`child sees ${server.url}\n`);
      expect(result.stderr).toMatch(new RegExp(`^srsr: registered ${name} at http://127\\.0\\.0\\.1:5432 as (${UUID}) \\(ttl 30s\\)\nsrsr: deregistered ${name} \\(\\1\\)\n$`));
      expect(await liveInstances(server, name)).toEqual([]);
      expect((await run(["register", name, "--port", "5432", "--", "true"])).code).toBe(0);
      expect(await run(["register", name, "--port", "5432", "--", "no-such-program-here"])).toMatchObject({ code: 127 });
    }, TIMEOUT_MS);

    test("-- COMMAND: SIGTERM deregisters the instance and is forwarded; srsr exits with the COMMAND's code", async () => {
      const name = uniqueName("forwarded");
      // Bun as the COMMAND: it says when its handler is in place, and exits 7 on SIGTERM.
      const script = `process.on("SIGTERM", () => { console.log("got SIGTERM"); process.exit(7); }); console.log("ready"); setInterval(() => {}, 1000);`;
      const registering = cli.spawn(runtime, ["register", name, "--port", "6000", "--", BUN, "-e", script], env());
      const id = await registeredId(registering, name);
      await registering.waitFor("ready\n", "stdout");
      expect((await liveInstances(server, name)).map((instance) => instance.id)).toEqual([id]);
      registering.kill("SIGTERM");
      expect(await registering.exited).toBe(7);
      expect(registering.stdout()).toBe("ready\ngot SIGTERM\n");
      expect(registering.stderr()).toEndWith(`srsr: deregistered ${name} (${id})\n`);
      expect(await liveInstances(server, name)).toEqual([]);
    }, TIMEOUT_MS);

    test("-- COMMAND killed by a signal: exit 128 + the signal's number, as a shell says, and deregistered", async () => {
      const name = uniqueName("killed");
      expect((await run(["register", name, "--port", "7000", "--", "sh", "-c", "kill -KILL $$"])).code).toBe(137);
      expect((await run(["register", name, "--port", "7000", "--", "sh", "-c", "kill -TERM $$"])).code).toBe(143);
      expect(await liveInstances(server, name)).toEqual([]);
    }, TIMEOUT_MS);

    test("--check-http: registered while the URL answers 2xx, deregistered after it fails for a TTL, registered again when it answers", async () => {
      const name = uniqueName("http-checked");
      const port = await freePort();
      let tiny = tinyHttp(port);
      const url = `http://127.0.0.1:${port}/health`;
      try {
        const registering = cli.spawn(runtime, ["register", name, "--port", String(port), "--ttl", "1", "--check-http", url, "--check-every", "100ms"], env());
        const first = await registeredId(registering, name);
        expect((await liveInstances(server, name)).map((instance) => instance.id)).toEqual([first]);
        await tiny.stop(true);
        await eventually(async () => (await liveInstances(server, name)).length === 0, "it is gone once the check failed");
        await registering.waitFor(`srsr: --check-http ${url}: failing for 1s (one TTL): deregistered ${name} (${first})\n`);
        tiny = tinyHttp(port);
        await eventually(async () => (await liveInstances(server, name)).length === 1, "it is registered again once the check passes");
        registering.kill("SIGTERM");
        expect(await registering.exited).toBe(0);
        expect(await liveInstances(server, name)).toEqual([]);
      } finally {
        await tiny.stop(true);
      }
    }, TIMEOUT_MS);

    test("--check-tcp with a COMMAND: registered only while the port accepts connections", async () => {
      const name = uniqueName("tcp-checked");
      const port = await freePort();
      const registering = cli.spawn(runtime, [
        "register", name, "--port", String(port), "--ttl", "1", "--check-tcp", `127.0.0.1:${port}`, "--check-every", "100ms",
        "--", BUN, "-e", `console.log("ready"); setInterval(() => {}, 1000);`,
      ], env());
      let tiny: Server | undefined;
      try {
        await registering.waitFor(`srsr: --check-tcp 127.0.0.1:${port}: failing: `);
        expect(await liveInstances(server, name)).toEqual([]);
        tiny = await tinyTcp(port);
        const first = await registeredId(registering, name);
        await closeTcp(tiny);
        tiny = undefined;
        await eventually(async () => (await liveInstances(server, name)).length === 0, "it is gone once the port closed");
        tiny = await tinyTcp(port);
        await eventually(async () => (await liveInstances(server, name)).some((instance) => instance.id !== first), "it is registered again");
        registering.kill("SIGTERM");
        expect(await registering.exited).toBe(143); // the COMMAND (Bun, without a handler) died of the forwarded SIGTERM
        expect({ live: await liveInstances(server, name), stderr: registering.stderr() }).toEqual({ live: [], stderr: registering.stderr() });
      } finally {
        if (tiny) await closeTcp(tiny);
      }
    }, TIMEOUT_MS);
  });
}
