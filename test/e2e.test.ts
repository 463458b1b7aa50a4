/**
 * Black-box: srsr as a spawned process on Bun and on Deno, over real HTTP.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually } from "./support/eventually.ts";
import { DENO, type RunningServer, runToExit, srsrCommand, startServer } from "./support/server.ts";
import { expectWireRoundTrip } from "./support/wire_protocol.ts";

for (const runtime of ["bun", "deno"] as const) {
  describe(`srsr on ${runtime}`, () => {
    const command = srsrCommand(runtime);
    // A timeout no busy machine reaches between two requests: only the expiry test waits one out, on its own server.
    let server: RunningServer;
    beforeAll(async () => {
      server = await startServer(command, ["-t", "60"]);
    });
    afterAll(async () => {
      await server?.stop("SIGKILL");
    });

    // stderr is read from a pipe as it arrives, so a line the server wrote may not have reached it yet.
    const logged = (expected: string | RegExp, from = server) =>
      eventually(
        () => (typeof expected === "string" ? from.stderr().includes(expected) : expected.test(from.stderr())),
        `srsr logs ${expected}`,
      );

    test("prints one start-up line naming the address, store and timeout", async () => {
      await logged(`srsr listening on http://127.0.0.1:${server.port} (store: memory, timeout: 60s)`);
    });

    test("register, lookup, heartbeat, deregister over HTTP", async () => {
      await expectWireRoundTrip(server);
      await logged(/info register name=billing address=http:\/\/10\.0\.0\.5:8080 id=/);
      await logged(/info deregister name=billing /);
    });

    test("deduces the address from the socket for a port-only registration", async () => {
      await server.post("/register", { name: "deduced", address: "", port: "4321" });
      expect((await server.post("/lookup", { name: "deduced" })).json.address).toBe("http://127.0.0.1:4321");
    });

    test("an instance without heartbeats expires after the timeout; one with them lives", async () => {
      const short = await startServer(command, ["-t", "1"]);
      try {
        // `alive` first: once `silent` has expired, a full timeout has passed since `alive` registered too.
        const alive = (await short.post("/register", { name: "kept", address: "10.0.0.2:80" })).json.id;
        const silent = (await short.post("/register", { name: "expiring", address: "10.0.0.1:80" })).json.id;
        // Elapsed time is what is tested here: heartbeat `alive` until the sweep has taken `silent`.
        // The poll's 300 ms only paces those heartbeats, well inside the 1 s timeout.
        await eventually(async () => {
          expect((await short.post("/heartbeat", { id: alive })).json.success).toBe(true);
          return /info expire name=expiring address=10\.0\.0\.1:80 /.test(short.stderr());
        }, "the silent instance is swept", { everyMs: 300 });
        expect((await short.post("/lookup", { name: "expiring" })).json.success).toBe(false);
        expect((await short.post("/heartbeat", { id: silent })).json.success).toBe(false);
        expect((await short.post("/lookup", { name: "kept" })).json.address).toBe("10.0.0.2:80");
      } finally {
        await short.stop("SIGKILL");
      }
    }, 30_000);

    test("on an IPv6 host, a port-only registration gets a bracketed address", async () => {
      const ipv6 = await startServer(command, ["--host", "::1"], { host: "[::1]" });
      try {
        await logged(`srsr listening on http://[::1]:${ipv6.port} (store: memory`, ipv6);
        await ipv6.post("/register", { name: "v6", port: 4321 });
        expect((await ipv6.post("/lookup", { name: "v6" })).json).toEqual({ address: "http://[::1]:4321", success: true });
      } finally {
        await ipv6.stop("SIGKILL");
      }
    });

    test("bad input gets 400 JSON naming the field; unknown paths 404", async () => {
      const bad = await server.post("/register", { name: "x y", address: "10.0.0.1:80" });
      expect(bad).toEqual({ status: 400, json: { error: "name: must not contain whitespace or control characters" } });
      expect((await server.post("/lookup", "{nope")).json.error).toStartWith("body: malformed JSON");
      const big = await server.post("/register", { name: "a", pad: "x".repeat(70_000) });
      expect(big).toEqual({ status: 413, json: { error: "body: must be at most 65536 bytes" } });
      const missing = await fetch(`${server.url}/v2/nothing`);
      expect(missing.status).toBe(404);
      expect((await missing.json()).error).toBe("not found: GET /v2/nothing");
    });

    test("oversize bodies get 413 whether declared, chunked or past the runtime's cap", async () => {
      const chunked = await fetch(`${server.url}/register`, {
        method: "POST",
        body: new Blob([`{"name":"a","pad":"${"x".repeat(100_000)}"}`]).stream(),
      });
      expect(chunked.status).toBe(413);
      const huge = await fetch(`${server.url}/lookup`, { method: "POST", body: "x".repeat(2 * 1024 * 1024) });
      expect(huge.status).toBe(413);
      expect((await server.post("/lookup", { name: "a" })).json).toEqual({ address: "", success: false });
    });

    test("a second server on the same port exits 1 with one line", async () => {
      const result = await runToExit([...command, "--port", String(server.port)]);
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(
        `srsr: cannot listen on 127.0.0.1:${server.port}: the port is already in use (choose another with --port)`,
      );
    });

    test("bad flags exit 2 with one line", async () => {
      for (const args of [["-p", "0"], ["-p", "70000"], ["-p", "abc"], ["-t", "0"], ["--store", "x"], ["--what"]]) {
        const result = await runToExit([...command, ...args]);
        expect(result.code).toBe(2);
        expect(result.stderr.trim().split("\n")).toHaveLength(1);
        expect(result.stderr).toStartWith("srsr: ");
      }
      const fromEnv = await runToExit(command, { env: { SRSR_PORT: "0" } });
      expect(fromEnv.code).toBe(2);
      expect(fromEnv.stderr.trim()).toBe('srsr: SRSR_PORT: invalid port "0": expected an integer from 1 to 65535');
    });

    test("--help and --version print to stdout and exit 0", async () => {
      const help = await runToExit([...command, "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("--trust-proxy");
      const version = await runToExit([...command, "-V"]);
      expect(version.code).toBe(0);
      expect(version.stdout.trim()).toMatch(/^srsr \d+\.\d+\.\d+ \(dev, linux-(amd64|arm64)\)$/);
    });

    test("SIGTERM and SIGINT stop the server with exit code 0", async () => {
      for (const signal of ["SIGTERM", "SIGINT"] as const) {
        const other = await startServer(command);
        expect(await other.stop(signal)).toBe(0);
      }
    });
  });
}

test("deno task start runs main.ts (the task does not trip over npm's deno shim)", async () => {
  const result = await runToExit([DENO, "task", "start", "--version"]);
  expect(result.code).toBe(0);
  expect(result.stdout.trim()).toMatch(/^srsr \d+\.\d+\.\d+ \(dev, /);
});
