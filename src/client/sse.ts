/**
 * Reading a `text/event-stream` body as the HTML standard's EventSource does: lines end in
 * `\n`, `\r\n` or `\r`; `event:`, `data:` (joined with `\n`) and `id:` fields; a blank line
 * dispatches; `:` starts a comment. Comments are passed on too, since a `: ping` proves the
 * stream is alive. A stream silent for longer than `idleTimeout` counts as dropped: a
 * connection that died without a FIN (a NAT or a laptop that went to sleep) never ends by itself.
 *
 * @module
 */

/** One dispatched event, or a comment. */
export type SseMessage = { kind: "event"; event: string; data: string; id: string | undefined } | { kind: "comment"; text: string };

/** An incremental parser: text in as it arrives, messages out as each completes. */
export class SseParser {
  #buffer = "";
  #event = "";
  #data: string[] = [];
  #id: string | undefined;
  #hasData = false;

  /** Feeds decoded text; answers the messages it completed. */
  push(text: string): SseMessage[] {
    this.#buffer += text;
    const messages: SseMessage[] = [];
    for (;;) {
      const end = this.#buffer.search(/\r\n|\r|\n/);
      // A `\r` at the very end may be the first half of `\r\n`: wait for the next chunk.
      if (end === -1 || (this.#buffer[end] === "\r" && end === this.#buffer.length - 1)) break;
      const line = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + (this.#buffer.startsWith("\r\n", end) ? 2 : 1));
      const message = this.#line(line);
      if (message) messages.push(message);
    }
    return messages;
  }

  #line(line: string): SseMessage | undefined {
    if (line === "") return this.#dispatch();
    if (line.startsWith(":")) return { kind: "comment", text: line.slice(1).trimStart() };
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") this.#event = value;
    else if (field === "data") {
      this.#data.push(value);
      this.#hasData = true;
    } else if (field === "id" && !value.includes("\0")) this.#id = value;
    return undefined;
  }

  #dispatch(): SseMessage | undefined {
    const message: SseMessage | undefined = this.#hasData
      ? { kind: "event", event: this.#event || "message", data: this.#data.join("\n"), id: this.#id }
      : undefined;
    this.#event = "";
    this.#data = [];
    this.#hasData = false;
    return message;
  }
}

/**
 * The messages of `body`, as they arrive. Throws when nothing (not even a comment) arrives for
 * `idleTimeout` ms; ends when the stream ends. Breaking out of the loop cancels the body.
 */
export async function* readSse(body: ReadableStream<Uint8Array>, { idleTimeout }: { idleTimeout: number }): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  let first = true;
  try {
    for (;;) {
      const { done, value } = await readWithin(reader, idleTimeout);
      if (done) return;
      let text = decoder.decode(value, { stream: true });
      if (first && text !== "") {
        text = text.replace(/^\uFEFF/, "");
        first = false;
      }
      yield* parser.push(text);
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

async function readWithin(reader: ReadableStreamDefaultReader<Uint8Array>, ms: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const silence = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`nothing received for ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([reader.read(), silence]);
  } finally {
    clearTimeout(timer);
  }
}
