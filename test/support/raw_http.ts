/**
 * HTTP/1.1 over a bare TCP socket, for what `fetch` hides: sending bytes no client library
 * would (a raw `\r` in a path), knowing when a request has been handed to the kernel, and
 * telling a response that ended cleanly from one cut by a reset.
 *
 * @module
 */

import { connect } from "node:net";

export interface RawExchange {
  /** Resolves once the request's bytes are written to the connected socket. */
  sent: Promise<void>;
  /** Everything received so far. */
  received(): string;
  /** Resolves when the connection closes: all that was received, and the error if it was cut. */
  closed: Promise<{ received: string; error?: Error }>;
}

/** Sends `request` (exactly these bytes) to 127.0.0.1:`port`. */
export function rawRequest(port: number, request: string): RawExchange {
  const socket = connect(port, "127.0.0.1");
  let received = "";
  const decoder = new TextDecoder();
  socket.on("data", (chunk: Buffer) => (received += decoder.decode(chunk, { stream: true })));
  const closed = new Promise<{ received: string; error?: Error }>((resolve) => {
    let error: Error | undefined;
    socket.on("error", (cause) => (error = cause));
    socket.on("close", () => resolve({ received, error }));
  });
  const sent = new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.once("connect", () => socket.write(Buffer.from(request, "utf8"), (error) => (error ? reject(error) : resolve())));
  });
  return { sent, received: () => received, closed };
}

/** A GET request for `target`, as a client sends it. */
export const rawGet = (target: string, headers: Record<string, string> = {}) =>
  `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join("")}\r\n`;

export interface RawResponse {
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  /** The body, de-chunked. */
  body: string;
  /** Whether the body is whole: its Content-Length arrived, or its chunked encoding's last chunk. */
  complete: boolean;
}

/** Reads what {@link rawRequest} received as one HTTP/1.1 response. */
export function parseResponse(received: string): RawResponse {
  const headEnd = received.indexOf("\r\n\r\n");
  if (headEnd === -1) throw new Error(`no complete response head in ${JSON.stringify(received)}`);
  const [statusLine, ...headerLines] = received.slice(0, headEnd).split("\r\n");
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]);
  const headers = Object.fromEntries(headerLines.map((line) => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  }));
  const rest = received.slice(headEnd + 4);
  if (headers["transfer-encoding"] !== "chunked") {
    const length = Number(headers["content-length"]);
    return { status, headers, body: rest, complete: new TextEncoder().encode(rest).length === length };
  }
  // Chunked: `<size in hex>\r\n<size bytes>\r\n` … then `0\r\n\r\n`.
  const bytes = new TextEncoder().encode(rest);
  const decoder = new TextDecoder();
  let body = "";
  for (let at = 0; ;) {
    const lineEnd = indexOfCrlf(bytes, at);
    if (lineEnd === -1) return { status, headers, body, complete: false };
    const size = parseInt(decoder.decode(bytes.slice(at, lineEnd)), 16);
    const start = lineEnd + 2;
    if (bytes.length < start + size + 2) return { status, headers, body, complete: false };
    if (size === 0) return { status, headers, body, complete: true };
    body += decoder.decode(bytes.slice(start, start + size));
    at = start + size + 2;
  }
}

function indexOfCrlf(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 1 < bytes.length; i++) if (bytes[i] === 13 && bytes[i + 1] === 10) return i;
  return -1;
}
