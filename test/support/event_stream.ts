/**
 * Opening `GET /v1/events` on a running server over real HTTP, for black-box tests: `fetch`
 * with an AbortController, the answer checked to be an event stream, and its events read with
 * {@link readEventStream}. `close()` aborts the request, so the server sees the client leave.
 *
 * @module
 */

import { type EventStream, readEventStream } from "./sse.ts";

/**
 * Opens the event stream at `url` (a full URL, query included). Throws, with the status and
 * body, when the answer is not a `200 text/event-stream`; a test of a refused stream uses
 * plain `fetch`.
 */
export async function openEventStream(url: string, headers: Record<string, string> = {}): Promise<EventStream> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const type = response.headers.get("content-type") ?? "";
  if (response.status !== 200 || !type.startsWith("text/event-stream")) {
    const body = await response.text().catch((error) => `(unreadable: ${error})`);
    controller.abort();
    throw new Error(`GET ${url} answered ${response.status} ${type}, not an event stream: ${body}`);
  }
  return readEventStream(response, () => controller.abort());
}
