/**
 * Registers many instances fast through the public HTTP API: pipelined `POST /register`
 * requests on a few keep-alive sockets, so seeding a million takes seconds rather than the
 * minutes one-at-a-time `fetch` would. Works against srsr and the ceiling alike.
 *
 * @module
 */

import { connect, type Socket } from "node:net";

export interface SeedOptions {
  /** Sockets registering in parallel. @default 4 */
  connections?: number;
  /** Requests in flight per socket. @default 256 */
  window?: number;
  /** Give up when no answer arrives for this long. @default 15000 */
  idleTimeoutMs?: number;
}

/**
 * For a server whose writes wait on I/O (the SQLite store's worker, a PostgreSQL round trip):
 * one request at a time per socket, on more sockets. Bun 1.4.5 never answers pipelined
 * requests whose handler awaits I/O (oven-sh/bun#38128, open): two pipelined registers get no
 * answer at all. The memory store answers within the tick, so pipelining works there. Real
 * clients (fetch, Go, Python, curl, wrk) do not pipeline.
 */
export const UNPIPELINED: SeedOptions = { window: 1, connections: 32 };

/** A unique `host:port` for instance `index`, so addresses cost what real ones would. */
export function addressOf(index: number): string {
  return `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}:8080`;
}

function registerRequest(name: string, index: number): string {
  const body = `{"name":"${name}","address":"${addressOf(index)}"}`;
  return `POST /register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${body.length}\r\n\r\n${body}`;
}

const REGISTERED = /"id":"([0-9a-f-]{36})","success":true/g;

/**
 * Registers instances `first`..`first + count - 1`, instance `i` under `nameOf(i)`, and
 * returns their ids in no particular order.
 */
export async function seed(
  port: number,
  count: number,
  nameOf: (index: number) => string,
  { connections = 4, window = 256, idleTimeoutMs = 15_000 }: SeedOptions = {},
  first = 0,
): Promise<string[]> {
  const ids: string[] = [];
  let next = first;
  const end = first + count;
  const worker = (socket: Socket) =>
    new Promise<void>((resolve, reject) => {
      let pending = 0;
      let buffered = "";
      const sendBatch = () => {
        const batch: string[] = [];
        while (batch.length < window && next < end) batch.push(registerRequest(nameOf(next), next++));
        if (batch.length === 0) return socket.end(resolve);
        pending = batch.length;
        socket.write(batch.join(""));
      };
      socket.setTimeout(idleTimeoutMs, () => reject(new Error(`seeding: no answer for ${idleTimeoutMs} ms`)));
      socket.on("error", reject);
      socket.on("data", (chunk: Buffer) => {
        buffered += chunk.toString("latin1");
        REGISTERED.lastIndex = 0;
        let match;
        let consumed = 0;
        while ((match = REGISTERED.exec(buffered)) !== null) {
          ids.push(match[1]);
          consumed = REGISTERED.lastIndex;
          pending--;
        }
        buffered = buffered.slice(consumed);
        if (buffered.includes('"error"')) return reject(new Error(`seeding: server refused: ${buffered.slice(0, 300)}`));
        if (pending === 0) sendBatch();
      });
      socket.on("connect", sendBatch);
    });
  await Promise.all(Array.from({ length: connections }, () => worker(connect(port, "127.0.0.1"))));
  if (ids.length !== count) throw new Error(`seeding: registered ${ids.length} of ${count}`);
  return ids;
}
