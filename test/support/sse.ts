/**
 * Reading a Server-Sent Events stream in tests: events and comments one at a time, from any
 * `Response` (in-process `app.request` or `fetch` against a spawned server).
 *
 * @module
 */

export interface SseEvent {
  kind: "event";
  event: string;
  id: string | undefined;
  data: string;
}

export interface SseComment {
  kind: "comment";
  text: string;
}

export interface EventStream {
  /** The next event or comment; rejects if the stream ends first or `deadlineMs` passes. */
  next(deadlineMs?: number): Promise<SseEvent | SseComment>;
  /** The next event, skipping comments. */
  nextEvent(deadlineMs?: number): Promise<SseEvent>;
  /** The parsed `data` of the next event, which must be of type `event`. */
  expectEvent(event: string, deadlineMs?: number): Promise<{ id: string | undefined; data: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** Parses one block (the lines between two blank lines). */
function parseBlock(block: string): SseEvent | SseComment {
  const lines = block.split("\n");
  if (lines.every((line) => line.startsWith(":"))) return { kind: "comment", text: lines.map((line) => line.slice(1).trim()).join("\n") };
  let event = "message";
  let id: string | undefined;
  const data: string[] = [];
  for (const line of lines) {
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "id") id = value;
    else if (field === "data") data.push(value);
  }
  return { kind: "event", event, id, data: data.join("\n") };
}

/** Wraps a `text/event-stream` response; `abort` ends the request when the stream is closed. */
export function readEventStream(response: Response, abort?: () => void): EventStream {
  if (!response.body) throw new Error(`no body in the ${response.status} answer`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  // A read that lost a race against a deadline is kept for the next call, so no chunk is lost.
  let pending: ReturnType<typeof reader.read> | undefined;
  const next = async (deadlineMs = 15_000): Promise<SseEvent | SseComment> => {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const end = buffer.indexOf("\n\n");
      if (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        return parseBlock(block);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no event within ${deadlineMs} ms; have ${JSON.stringify(buffer)}`)), Math.max(0, deadline - Date.now()));
      });
      try {
        pending ??= reader.read();
        const { done, value } = await Promise.race([pending, timeout]);
        pending = undefined;
        if (done) throw new Error(`the stream ended; have ${JSON.stringify(buffer)}`);
        buffer += decoder.decode(value, { stream: true });
      } finally {
        clearTimeout(timer);
      }
    }
  };
  const nextEvent = async (deadlineMs?: number): Promise<SseEvent> => {
    for (;;) {
      const item = await next(deadlineMs);
      if (item.kind === "event") return item;
    }
  };
  return {
    next,
    nextEvent,
    async expectEvent(event, deadlineMs) {
      const item = await nextEvent(deadlineMs);
      if (item.event !== event) throw new Error(`expected a ${event} event, got ${item.event}: ${item.data}`);
      return { id: item.id, data: JSON.parse(item.data) };
    },
    async close() {
      abort?.();
      await reader.cancel().catch(() => {});
    },
  };
}
