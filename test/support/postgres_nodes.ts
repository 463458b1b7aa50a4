/**
 * Several srsr processes on one PostgreSQL database, as black boxes over HTTP: the scenario the
 * PostgreSQL store promises (issue 12), shared by the tests from source (Bun and Deno nodes
 * side by side) and of the compiled binary. Times here are the database's own: real, short TTLs.
 *
 * @module
 */

import { expect } from "bun:test";
import postgres from "postgres";
import type { WireInstance } from "../../src/wire/v1.ts";
import { openEventStream } from "./event_stream.ts";
import { eventually } from "./eventually.ts";
import type { RunningServer } from "./server.ts";
import type { EventStream } from "./sse.ts";

type Node = Pick<RunningServer, "url" | "post">;

export async function call(node: Node, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(node.url + path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text === "" ? undefined : JSON.parse(text) };
}

export async function register(node: Node, name: string, body: Record<string, unknown>): Promise<WireInstance> {
  const answer = await call(node, "POST", `/v1/services/${name}/instances`, body);
  expect(answer.status).toBe(201);
  return answer.json;
}

/** Waits for the next event of `stream` that is about instance `id`, skipping others. */
async function eventAbout(stream: EventStream, id: string): Promise<{ event: string; index: number }> {
  for (;;) {
    const { event, data, id: index } = await stream.nextEvent(30_000).then((next) => ({ ...next, data: JSON.parse(next.data) }));
    if (data.instance?.id === id) return { event, index: Number(index) };
  }
}

/**
 * The two-node scenario: `a` and `b` serve one database, `databaseUrl`, which the caller made
 * empty. Register on A -> lookup and GET on B (how soon is the bench's cross-node lag, not a timed
 * assertion here: the tests must pass with both cores busy); a long-poll and
 * an event stream on B woken by a change on A; heartbeats alternating between the nodes keep an
 * instance alive across 5 TTLs; a silent instance expires once, seen on both nodes.
 */
export async function twoNodeScenario(a: Node, b: Node, databaseUrl: string): Promise<void> {
  // Visibility: the registration's answer on A starts the clock.
  const first = await register(a, "billing", { address: "http://10.0.0.1:8080", ttl: 60 });
  await eventually(async () => {
    const lookup = await b.post("/lookup", { name: "billing" });
    const listed = await call(b, "GET", "/v1/services/billing");
    return lookup.json.address === "http://10.0.0.1:8080" && listed.json.instances?.[0]?.id === first.id;
  }, "B looks up and lists what A registered", { deadlineMs: 30_000, everyMs: 2 });

  // A long-poll and an event stream on B, woken by a registration on A.
  const listed = await call(b, "GET", "/v1/services/billing");
  const index = listed.json.index as number;
  const stream = await openEventStream(`${b.url}/v1/events?name=billing`);
  try {
    expect((await stream.nextEvent(30_000)).event).toBe("snapshot");
    const longPoll = call(b, "GET", `/v1/services/billing?index=${index}&wait=30s`);
    const second = await register(a, "billing", { address: "http://10.0.0.2:8080", ttl: 60 });
    const woken = await longPoll;
    expect(woken.json.instances.map((instance: WireInstance) => instance.id)).toContain(second.id);
    expect(await eventAbout(stream, second.id)).toMatchObject({ event: "register" });
  } finally {
    await stream.close();
  }

  // Heartbeats alternating between A and B, every TTL/3, keep an instance alive for 5 TTLs. The
  // TTL leaves a second of slack per beat, so a loaded machine's scheduling does not expire it.
  const ttl = 1.5;
  const kept = await register(a, "kept", { address: "http://10.0.0.3:8080", ttl });
  const until = performance.now() + 5 * ttl * 1000;
  for (let beat = 0; performance.now() < until; beat++) {
    await Bun.sleep((ttl * 1000) / 3); // the client's own schedule, not a wait for the server
    const node = beat % 2 === 0 ? b : a;
    expect((await call(node, "PUT", `/v1/instances/${kept.id}/heartbeat`)).status).toBe(200);
  }
  for (const node of [a, b]) expect((await call(node, "GET", `/v1/instances/${kept.id}`)).status).toBe(200);

  // A silent instance expires once: one expire event on each node, one change in the database.
  const streams = [await openEventStream(`${a.url}/v1/events?name=silent`), await openEventStream(`${b.url}/v1/events?name=silent`)];
  try {
    for (const events of streams) expect((await events.nextEvent(30_000)).event).toBe("snapshot");
    const silent = await register(b, "silent", { address: "http://10.0.0.4:8080", ttl: 0.5 });
    const seen = await Promise.all(streams.map(async (events) => [await eventAbout(events, silent.id), await eventAbout(events, silent.id)]));
    for (const [registered, expired] of seen) {
      expect(registered.event).toBe("register");
      expect(expired.event).toBe("expire");
    }
    expect(seen[0][1].index).toBe(seen[1][1].index);
    // Any second expiry would come after the first in the feed; a later registration on the
    // other node bounds the wait: both streams see it with no expire of `silent` in between.
    const marker = await register(a, "silent", { address: "http://10.0.0.5:8080", ttl: 60 });
    for (const events of streams) expect(await eventAbout(events, marker.id)).toMatchObject({ event: "register" });
    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    try {
      const [{ count }] = await sql`SELECT count(*)::int AS count FROM srsr.changes WHERE type = 'expire' AND instance ->> 'id' = ${silent.id}`;
      expect(count).toBe(1);
    } finally {
      await sql.end();
    }
  } finally {
    await Promise.all(streams.map((events) => events.close()));
  }
}
