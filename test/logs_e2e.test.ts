/**
 * The server's log as an operator reads it: srsr spawned with `--log-level debug`, on Bun and
 * Deno, in each `--log-format`, fed requests that try to break a line or forge a field.
 */
import { describe, expect, test } from "bun:test";
import { LOG_LEVELS } from "../src/logger.ts";
import { eventually } from "./support/eventually.ts";
import { rawGet, rawRequest } from "./support/raw_http.ts";
import { type RunningServer, srsrCommand, startServer } from "./support/server.ts";

// Decoded by the router, %0A and %0D are a newline and a carriage return.
const FORGED_PATH = "/v1/services/x%0A2026-01-01T00:00:00.000Z%20error%20forged%0D%20level=error/pick";
const FORGED_DECODED = "/v1/services/x\n2026-01-01T00:00:00.000Z error forged\r level=error/pick";

/** Requests whose paths or bytes a log must not be broken by, then a marker request last. */
async function hostileTraffic(server: RunningServer) {
  const registered = await server.post("/register", { name: "billing", address: "10.0.0.5:8080" });
  expect(registered.status).toBe(200);
  expect((await fetch(server.url + FORGED_PATH)).status).toBe(400);
  const badName = await fetch(`${server.url}/v1/services/a%20level=error%20forged/instances`, { method: "POST", body: '{"address":"a:1"}' });
  expect(badName.status).toBe(400);
  // A raw carriage return in the request line: the runtime refuses it before srsr sees it.
  const raw = rawRequest(server.port, rawGet("/v1/services/x\rlevel=error forged", { connection: "close" }));
  expect((await raw.closed).received).toMatch(/^HTTP\/1\.1 [45]\d\d /);
  await server.post("/deregister", { id: registered.json.id });
  await fetch(`${server.url}/v1/services/last-request`);
  await eventually(() => server.stderr().includes("/v1/services/last-request"), "the last request is logged");
  // Complete lines only: stderr arrives through a pipe.
  return server.stderr().split("\n").slice(0, -1);
}

for (const runtime of ["bun", "deno"] as const) {
  describe(`logs on ${runtime}`, () => {
    test("--log-format json: every stderr line is one JSON object; hostile paths stay inside their field", async () => {
      const server = await startServer(srsrCommand(runtime), ["--log-format", "json", "--log-level", "debug"]);
      try {
        const lines = await hostileTraffic(server);
        const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
        for (const entry of entries) {
          expect(Object.keys(entry).slice(0, 3)).toEqual(["time", "level", "msg"]);
          expect(new Date(entry.time as string).toISOString()).toBe(entry.time as string);
          expect(LOG_LEVELS).toContain(entry.level as never);
          expect(entry.level).not.toBe("error");
        }
        expect(entries).toContainEqual({ time: expect.any(String), level: "info", msg: `srsr listening on ${server.url} (store: memory, timeout: 30s)` });
        const register = entries.find((entry) => entry.msg === "register");
        expect(register).toEqual({
          time: expect.any(String),
          level: "info",
          msg: "register",
          name: "billing",
          address: "10.0.0.5:8080",
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        });
        expect(entries).toContainEqual(expect.objectContaining({ level: "info", msg: "deregister", name: "billing", id: register?.id }));
        expect(entries.filter((entry) => entry.path === FORGED_DECODED)).toEqual([
          { time: expect.any(String), level: "debug", msg: "request", method: "GET", path: FORGED_DECODED, status: 400, ms: expect.any(Number) },
        ]);
        // Whatever said "forged" is a request line's path, never a line or a field of its own.
        const forged = lines.filter((line) => line.includes("forged"));
        expect(forged).toHaveLength(2);
        for (const line of forged) expect(JSON.parse(line)).toMatchObject({ msg: "request", path: expect.stringContaining("forged") });
      } finally {
        await server.stop("SIGKILL");
      }
    }, 60_000);

    test("--log-format text: the same requests leave one line each, the forged level quoted inside the path", async () => {
      const server = await startServer(srsrCommand(runtime), ["--log-level", "debug"]);
      try {
        const lines = await hostileTraffic(server);
        expect(lines).toContain(`srsr listening on ${server.url} (store: memory, timeout: 30s)`);
        const logLines = lines.filter((line) => !line.startsWith("srsr"));
        for (const line of logLines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (warn|info|debug) \S/);
        expect(logLines).toContainEqual(expect.stringMatching(/ info register name=billing address=10\.0\.0\.5:8080 id=[0-9a-f-]{36}$/));
        const forged = lines.filter((line) => line.includes("forged"));
        expect(forged).toEqual([
          expect.stringMatching(
            /^\S+Z debug request method=GET path="\/v1\/services\/x\\n2026-01-01T00:00:00\.000Z error forged\\r level=error\/pick" status=400 ms=[\d.]+$/,
          ),
          expect.stringMatching(/^\S+Z debug request method=POST path="\/v1\/services\/a level=error forged\/instances" status=400 ms=[\d.]+$/),
        ]);
      } finally {
        await server.stop("SIGKILL");
      }
    }, 60_000);
  });
}
