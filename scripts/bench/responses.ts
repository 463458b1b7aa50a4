/**
 * Just enough HTTP/1.1 for the watch benchmark's raw keep-alive sockets: open one, and split
 * what arrives on it into responses. Bodies must carry a Content-Length, as srsr's JSON
 * answers do; event streams (chunked) are read by the caller itself.
 *
 * @module
 */

import { connect, type Socket } from "node:net";

export interface HttpResponse {
  status: number;
  /** The status line and headers, without the blank line. */
  head: string;
  body: string;
}

/** A connected socket to 127.0.0.1:`port`, with Nagle off so a request leaves at once. */
export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
  });
}

/** The value of header `name` in `head`, or `undefined`. */
export function headerOf(head: string, name: string): string | undefined {
  return new RegExp(`^${name}: *(.*)$`, "im").exec(head)?.[1].trim();
}

/** Feeds a socket's bytes in; calls `onResponse` for each complete response, in order. */
export class ResponseReader {
  #buffered = "";

  constructor(private readonly onResponse: (response: HttpResponse) => void) {}

  feed(chunk: Buffer): void {
    // latin1 keeps one character per byte, so Content-Length counts characters.
    this.#buffered += chunk.toString("latin1");
    for (;;) {
      const headEnd = this.#buffered.indexOf("\r\n\r\n");
      if (headEnd === -1) return;
      const head = this.#buffered.slice(0, headEnd);
      const length = headerOf(head, "content-length");
      if (length === undefined) throw new Error(`a response without Content-Length: ${head}`);
      const end = headEnd + 4 + Number(length);
      if (this.#buffered.length < end) return;
      const body = this.#buffered.slice(headEnd + 4, end);
      this.#buffered = this.#buffered.slice(end);
      this.onResponse({ status: Number(head.slice(9, 12)), head, body });
    }
  }
}

export const getRequest = (path: string) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;

export const postRequest = (path: string, body: string) =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
  `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
