/**
 * Issue 10's fixes over real HTTP, on each runtime: browsers refused (item 8), HTTP/1.0 without
 * `Host` routed (it was a 404 on Bun), a client abandoning its body logged as nothing worse than
 * debug (it was an empty error line on Bun, a stack on Deno), and running out of file
 * descriptors survived (Deno's server stopped for good and the process crashed).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { eventually } from "./support/eventually.ts";
import { parseResponse, rawRequest } from "./support/raw_http.ts";
import { type RunningServer, srsrCommand, startServer } from "./support/server.ts";

const RUNTIMES = ["bun", "deno"] as const;

/** Sends `request` and reads the whole answer, the server closing the connection after it. */
async function exchange(port: number, request: string) {
  const { closed } = rawRequest(port, request);
  return parseResponse((await closed).received.replace(/^HTTP\/1\.0/, "HTTP/1.1"));
}

describe.each(RUNTIMES)("srsr on %s", (runtime) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(srsrCommand(runtime), ["--log-level", "debug"]);
  });
  afterAll(async () => {
    await server.stop("SIGKILL");
  });

  test("refuses a text/plain form post from another site's page, and a rebound Host", async () => {
    const response = await fetch(`${server.url}/register`, {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "text/plain" },
      body: JSON.stringify({ name: "csrf", address: "10.0.0.5:80" }),
    });
    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toStartWith("application/json");
    expect(((await response.json()) as { error: string }).error).toStartWith("origin: https://evil.example may not call srsr");
    const rebound = await exchange(
      server.port,
      `POST /register HTTP/1.1\r\nHost: attacker.example:${server.port}\r\nOrigin: http://attacker.example:${server.port}\r\n` +
        `Content-Length: 38\r\nConnection: close\r\n\r\n{"name":"csrf","address":"10.0.0.5:80"}`,
    );
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).error).toStartWith(`host: attacker.example:${server.port} is not a loopback name`);
    expect((await server.post("/lookup", { name: "csrf" })).json).toEqual({ success: false, address: "" });
  });

  test("answers HTTP/1.0 requests without Host on the route they name", async () => {
    const lookup = await exchange(server.port, 'POST /lookup HTTP/1.0\r\nContent-Length: 15\r\n\r\n{"name":"h10x"}');
    expect(lookup.status).toBe(200);
    expect(JSON.parse(lookup.body)).toEqual({ success: false, address: "" });
    const register = await exchange(server.port, 'POST /register HTTP/1.0\r\nContent-Length: 15\r\n\r\n{"name":"h10x"}');
    expect(JSON.parse(register.body).success).toBe(true);
    const list = await exchange(server.port, "GET /v1/services/h10x?index=0 HTTP/1.0\r\n\r\n");
    expect(list.status).toBe(200);
    // The address is deduced from the client's IP, as for any request.
    expect(JSON.parse(list.body).instances.map((instance: { address: string }) => instance.address)).toEqual(["http://127.0.0.1"]);
  });

  test("a client that leaves mid-body is logged at debug, not as an error", async () => {
    const socket = connect(server.port, "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    await new Promise((resolve) => socket.write('POST /register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{"name":', resolve));
    socket.destroy();
    await eventually(() => /request method=POST path=\/register status=400/.test(server.stderr()), "the abandoned request is logged");
    expect(server.stderr()).not.toMatch(/ error /);
  });
});

describe.each(RUNTIMES)("srsr on %s with 64 file descriptors", (runtime) => {
  test("survives a flood of connections past them, and answers once they close", async () => {
    const server = await startServer(["sh", "-c", 'ulimit -n 64 && exec "$0" "$@"', ...srsrCommand(runtime)]);
    try {
      const sockets = Array.from({ length: 120 }, () => connect(server.port, "127.0.0.1").on("error", () => {}));
      await Promise.all(sockets.map((socket) => new Promise((resolve) => socket.once("connect", resolve).once("error", resolve))));
      for (const socket of sockets) socket.destroy();
      await eventually(async () => {
        try {
          return (await server.post("/lookup", { name: "after-flood" })).status === 200;
        } catch {
          return false;
        }
      }, "srsr answers again");
      expect(server.process.exitCode).toBeNull();
    } finally {
      await server.stop("SIGKILL");
    }
  }, 60_000);
});
