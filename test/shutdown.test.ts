/**
 * Graceful shutdown, end to end: SIGTERM answers a waiting long-poll with the current state and
 * ends an event stream cleanly (its last chunk sent, no reset), then srsr exits 0. On Bun and Deno.
 */
import { expect, test } from "bun:test";
import { eventually } from "./support/eventually.ts";
import { parseResponse, rawGet, rawRequest } from "./support/raw_http.ts";
import { srsrCommand, startServer } from "./support/server.ts";

for (const runtime of ["bun", "deno"] as const) {
  test(`on ${runtime}, SIGTERM answers a long-poll with its current state, ends an event stream cleanly, and exits 0`, async () => {
    const server = await startServer(srsrCommand(runtime), ["--log-format", "json"]);
    try {
      const registered = await fetch(`${server.url}/v1/services/billing/instances`, { method: "POST", body: '{"address":"10.0.0.5:8080"}' });
      expect(registered.status).toBe(201);
      const instance = await registered.json();
      const index = Number((await fetch(`${server.url}/v1/services/billing`)).headers.get("x-srsr-index"));

      // The long-poll's bytes are in the server's socket before the stream even connects, so
      // once the stream has its snapshot the server has taken the long-poll too (and a request
      // it took after the shutdown began would not wait either: it answers at once).
      const longPoll = rawRequest(server.port, rawGet(`/v1/services/billing?index=${index}&wait=10m`));
      await longPoll.sent;
      const stream = rawRequest(server.port, rawGet("/v1/events?name=billing"));
      await stream.sent;
      await eventually(() => stream.received().includes("event: snapshot"), "the stream has its snapshot");

      const exitCode = server.stop("SIGTERM");
      const [polled, streamed] = await Promise.all([longPoll.closed, stream.closed]);

      expect(polled.error).toBeUndefined();
      const answer = parseResponse(polled.received);
      expect(answer).toMatchObject({ status: 200, complete: true });
      expect(answer.headers["x-srsr-index"]).toBe(String(index));
      expect(JSON.parse(answer.body)).toEqual({ name: "billing", index, instances: [instance] });

      expect(streamed.error).toBeUndefined();
      const events = parseResponse(streamed.received);
      expect(events).toMatchObject({ status: 200, complete: true });
      expect(events.headers["content-type"]).toStartWith("text/event-stream");
      expect(events.body).toStartWith("event: snapshot\n");
      expect(events.body).toEndWith("\n\n");

      expect(await exitCode).toBe(0);
      // The shutdown is logged, and nothing went wrong on the way out. (stderr comes through its
      // own pipe, which may still be draining after the exit.)
      await eventually(() => server.stderr().includes('"msg":"shutting down"'), "the shutdown line arrives");
      const lines = server.stderr().split("\n").slice(0, -1).map((line) => JSON.parse(line));
      expect(lines).toContainEqual(expect.objectContaining({ level: "info", msg: "shutting down", signal: "SIGTERM" }));
      expect(lines.filter(({ level }) => level === "error" || level === "warn")).toEqual([]);
    } finally {
      server.process.kill("SIGKILL");
    }
  }, 60_000);
}
