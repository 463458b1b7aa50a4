/**
 * Follows `GET /v1/events` for as long as the page is open. Read with `fetch` rather than
 * `EventSource`, which cannot send the bearer token; so reconnecting is done here, as
 * EventSource would: after a drop, wait (500 ms, doubling to 5 s) and ask again with
 * `Last-Event-ID`, so srsr sends exactly what was missed, or a fresh snapshot when it no longer
 * can (it restarted with the memory store, or the gap was too long).
 *
 * @module
 */

import { readSse } from "../../client/sse.ts";
import type { ChangeEvent, SnapshotEvent } from "../../wire/v1.ts";
import { authHeaders, checked, RequestFailed, Unauthorized } from "./api.ts";

export type ConnectionState = "connecting" | "live" | "reconnecting" | "locked" | "failed";

export interface StreamHandlers {
  snapshot(event: SnapshotEvent): void;
  change(event: ChangeEvent): void;
  state(state: ConnectionState, detail?: string): void;
  /** Resolves once a (new) token has been given; `message` is why one is needed. */
  needToken(message: string): Promise<void>;
}

/** srsr pings every 15 s; three missed pings mean the connection died silently. */
const IDLE_TIMEOUT_MS = 45_000;
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 5_000;

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Streams the changes of `names` (every name when empty) into `handlers`; never returns. */
export async function followEvents(names: readonly string[], handlers: StreamHandlers): Promise<never> {
  const query = names.map((name) => `name=${encodeURIComponent(name)}`).join("&");
  const url = `/v1/events${query ? `?${query}` : ""}`;
  let lastEventId: string | undefined;
  let retryMs = FIRST_RETRY_MS;
  for (;;) {
    try {
      const headers = authHeaders({ accept: "text/event-stream" });
      if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
      const response = await checked(await fetch(url, { headers, cache: "no-store" }));
      if (!response.body) throw new Error("events: the answer has no body");
      handlers.state("live");
      retryMs = FIRST_RETRY_MS;
      for await (const message of readSse(response.body, { idleTimeout: IDLE_TIMEOUT_MS })) {
        if (message.kind !== "event") continue;
        const data = JSON.parse(message.data);
        if (message.event === "snapshot") handlers.snapshot(data as SnapshotEvent);
        else handlers.change(data as ChangeEvent);
        if (message.id !== undefined) lastEventId = message.id;
      }
    } catch (error) {
      if (error instanceof Unauthorized) {
        handlers.state("locked", error.message);
        await handlers.needToken(error.message);
        continue;
      }
      if (error instanceof RequestFailed && error.status === 400) {
        // The same question gets the same answer: say why and stop.
        handlers.state("failed", error.message);
        return await new Promise<never>(() => {});
      }
    }
    handlers.state("reconnecting");
    await wait(retryMs);
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  }
}
