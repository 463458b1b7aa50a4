/**
 * `GET /v1/events`: the catalog's changes as Server-Sent Events, for some names or all.
 *
 * A stream opens with a `snapshot` event (the live instances, `id:` the global index it was
 * read at), then one event per change (`register`, `deregister`, `expire`, `update`; `id:` the
 * change's index). A client that reconnects with `Last-Event-ID: N` (or `?since=N`; the header
 * wins, as a browser keeps its URL) gets exactly the changes after N when they are still
 * retained, without a snapshot; otherwise a fresh snapshot. A `: ping` comment every 15 s keeps
 * proxies and the runtime from closing an idle stream.
 *
 * @module
 */

import { type Context, Hono } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import type { Change } from "../../stores/store.ts";
import { readQueries, readValue } from "../http.ts";
import type { Registry } from "../registry.ts";
import type { HoldOpen } from "../runtime/types.ts";
import type { Watchers } from "../watch.ts";
import { serviceName } from "../wire/fields.ts";
import { indexQuery, type SnapshotEvent, wireChange, wireInstance } from "../wire/v1.ts";

export interface EventRoutesOptions {
  watchers: Watchers;
  holdOpen: HoldOpen;
  /** Milliseconds between `: ping` comments on a stream with nothing to say. @default 15_000 */
  pingMs?: number;
}

/** `?name=A&name=B`, or `undefined` for every name. */
function watchedNames(c: Context): ReadonlySet<string> | undefined {
  const names = readQueries(c, "name", serviceName);
  return names === undefined ? undefined : new Set(names);
}

/** Where a reconnecting client left off, or `undefined` for a new stream. */
function resumeFrom(c: Context): number | undefined {
  const header = c.req.header("last-event-id");
  if (header !== undefined && header !== "") return readValue("Last-Event-ID", header, indexQuery);
  const since = c.req.query("since");
  return since === undefined ? undefined : readValue("since", since, indexQuery);
}

export function eventRoutes(registry: Registry, { watchers, holdOpen, pingMs = 15_000 }: EventRoutesOptions): Hono {
  const sendSnapshot = async (stream: SSEStreamingApi, names: ReadonlySet<string> | undefined) => {
    const { index, instances } = await registry.snapshot(names);
    const data: SnapshotEvent = { index, instances: instances.map(wireInstance) };
    await stream.writeSSE({ event: "snapshot", id: String(index), data: JSON.stringify(data) });
    return index;
  };
  const sendChanges = async (stream: SSEStreamingApi, changes: readonly Change[]) => {
    for (const change of changes) {
      await stream.writeSSE({ event: change.type, id: String(change.index), data: JSON.stringify(wireChange(change)) });
    }
  };

  return new Hono().get("/", (c) => {
    // Checked before the stream starts, so a bad request is a plain 400.
    const names = watchedNames(c);
    const resume = resumeFrom(c);
    holdOpen(c, 0);
    return streamSSE(c, async (stream) => {
      const gone = new AbortController();
      const leave = () => gone.abort();
      c.req.raw.signal.addEventListener("abort", leave, { once: true });
      stream.onAbort(leave);
      const done = watchers.trackStream();
      try {
        const resumed = resume === undefined ? undefined : await registry.changesSince(resume, names);
        let cursor: number;
        if (resumed === undefined) {
          cursor = await sendSnapshot(stream, names);
        } else {
          await sendChanges(stream, resumed.changes);
          cursor = resumed.index;
        }
        while (!gone.signal.aborted && !stream.aborted) {
          // Woken only by changes to the names watched; `cursor` is the global index up to which
          // this stream has sent everything, so changes elsewhere cost at most one empty read.
          const outcome = await watchers.until(() => registry.index() > cursor, { names, signal: gone.signal, timeoutMs: pingMs });
          if (outcome === "aborted" || outcome === "closed") break;
          if (outcome === "timeout") {
            await stream.write(": ping\n\n");
            continue;
          }
          const batch = await registry.changesSince(cursor, names);
          if (batch === undefined) {
            // This stream fell further behind than the history reaches: start over.
            cursor = await sendSnapshot(stream, names);
          } else {
            await sendChanges(stream, batch.changes);
            cursor = batch.index;
          }
        }
      } finally {
        done();
        c.req.raw.signal.removeEventListener("abort", leave);
      }
    });
  });
}
