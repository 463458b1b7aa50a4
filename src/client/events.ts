/**
 * The `events` resource of {@link RegistryClient}: the catalog's changes as they happen, from
 * the v1 API's Server-Sent Events (`GET /v1/events`), as an async iterator that outlives the
 * connection. A dropped or ended stream is reopened with backoff and `Last-Event-ID`, so the
 * registry sends exactly the changes missed; when it no longer holds them (or restarted with
 * the memory store) it starts again with a fresh `snapshot`, which the iterator passes on.
 * Given several nodes, a dropped stream is reopened on the next node at once, with the same
 * `Last-Event-ID` (nodes sharing a PostgreSQL store share the index), and backs off only
 * once every node failed in turn.
 *
 * @module
 */

import type { ChangeEvent, WireInstance } from "./wire_types.ts";
import { type Backoff, backoffDelay, DEFAULT_BACKOFF } from "./backoff.ts";
import { decodeChange, decodeSnapshot } from "./decode.ts";
import type { RetryInfo } from "./options.ts";
import { failureReason, quote, RegistryError } from "./request.ts";
import { readSse } from "./sse.ts";
import type { Transport } from "./transport.ts";
import { sleep } from "./wait_for.ts";

/**
 * What the iterator yields. `snapshot`: the live instances of the names watched, when the
 * stream starts (and again if it could not be resumed where it left off). The others: one
 * change each. `index` is the catalog index the event was read at.
 */
export type RegistryEvent =
  | { type: "snapshot"; index: number; instances: WireInstance[] }
  | { type: ChangeEvent["type"]; index: number; instance: WireInstance };

export interface WatchOptions {
  /** The names to watch. @default every name */
  names?: readonly string[];
  /** Start after this index, without a snapshot, when the registry still holds the changes since. @default undefined (a snapshot first) */
  since?: number;
  /** Aborting it ends the iteration. */
  signal?: AbortSignal;
  /** Waits before reconnecting. @default { initial: 1_000, max: 30_000 } */
  backoff?: Backoff;
  /** A stream silent for this many ms is taken as dropped; the registry pings every 15 s. @default 45_000 */
  idleTimeout?: number;
  /** Told of each dropped connection or failed attempt, retried after `retryIn` ms. @default nothing */
  onError?: (error: RegistryError, info: RetryInfo) => void;
}

/**
 * An answer the registry will give again however often it is asked: a 4xx other than 408 and
 * 429, or a 2xx that is not the event stream the v1 API promises.
 */
const isFinal = ({ status }: RegistryError) =>
  status !== undefined && status < 500 && status !== 408 && status !== 429;

/**
 * Watches the catalog.
 *
 * @example
 * ```ts
 * import { RegistryClient } from "srsr/client";
 *
 * const registry = new RegistryClient({ server: "http://127.0.0.1:4214" });
 * const stop = new AbortController();
 * for await (const event of registry.events.watch({ names: ["billing"], signal: stop.signal })) {
 *   if (event.type === "snapshot") console.log(`${event.instances.length} live`);
 *   else console.log(event.type, event.instance.address);
 * }
 * ```
 */
export class Events {
  constructor(readonly transport: Transport) {}

  /**
   * The events of `names` (every name when omitted), until `signal` aborts or the registry
   * refuses the request (a 4xx: a bad name, a missing token), which the iterator throws as a
   * {@link RegistryError}. Connection failures are retried and told to `onError`.
   *
   * @example
   * ```ts
   * for await (const event of registry.events.watch({ onError: (error) => console.warn(error.message) })) console.log(event);
   * ```
   */
  async *watch({ names, since, signal, backoff = {}, idleTimeout = 45_000, onError = () => {} }: WatchOptions = {}): AsyncGenerator<RegistryEvent> {
    const delays = { ...DEFAULT_BACKOFF, ...backoff };
    const query = new URLSearchParams();
    for (const name of names ?? []) query.append("name", name);
    const nodes = this.transport.servers.length;
    let lastIndex = since;
    let failures = 0;
    while (!signal?.aborted) {
      const server = this.transport.server;
      const url = this.transport.url("v1/events", query, server);
      const connection = new AbortController();
      const abort = () => connection.abort(signal?.reason);
      signal?.addEventListener("abort", abort, { once: true });
      let failure: RegistryError;
      try {
        const body = await this.#open(url, lastIndex, connection);
        this.transport.answered(server);
        failures = 0;
        for await (const message of readSse(body, { idleTimeout })) {
          if (message.kind !== "event") continue;
          const event = decodeEvent(message.event, message.data, message.id, url.href);
          if (event === undefined) continue;
          lastIndex = event.index;
          yield event;
        }
        failure = new RegistryError(`GET ${url.href}: the registry ended the stream`);
      } catch (error) {
        if (signal?.aborted) return;
        if (error instanceof RegistryError && isFinal(error)) throw error;
        failure = error instanceof RegistryError ? error : new RegistryError(`GET ${url.href}: ${failureReason(error, false, connection.signal, 0)}`, { cause: error });
      } finally {
        connection.abort();
        signal?.removeEventListener("abort", abort);
      }
      // The next node at once (resuming with Last-Event-ID there); a backoff once every node failed in turn.
      this.transport.failedOver(server);
      const retryIn = ++failures % nodes === 0 ? backoffDelay(failures / nodes - 1, delays) : 0;
      onError(failure, { retryIn });
      if (retryIn > 0) await sleep(retryIn, signal ?? new AbortController().signal);
    }
  }

  /** Opens the stream: its body, once the registry answered `200 text/event-stream` in time. */
  async #open(url: URL, lastIndex: number | undefined, connection: AbortController): Promise<ReadableStream<Uint8Array>> {
    const { fetch, requestTimeout } = this.transport.options;
    const headers: Record<string, string> = { accept: "text/event-stream", ...this.transport.headers() };
    if (lastIndex !== undefined) headers["last-event-id"] = String(lastIndex);
    const what = `GET ${url.href}`;
    // Only the answer's head is timed; the stream itself is watched by the idle timeout.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      connection.abort(new Error(`no answer within ${requestTimeout} ms`));
    }, requestTimeout);
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: connection.signal });
    } catch (error) {
      throw new RegistryError(`${what}: ${failureReason(error, timedOut, connection.signal, requestTimeout)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    const type = response.headers.get("content-type") ?? "";
    if (!response.ok || !type.startsWith("text/event-stream") || !response.body) {
      const text = await response.text().catch(() => "");
      const problem = response.ok ? `answer is ${type || "untyped"}, not text/event-stream` : response.statusText;
      throw new RegistryError(`${what}: ${response.status} ${problem}: ${quote(text)}`, { status: response.status, body: text });
    }
    return response.body;
  }
}

function decodeEvent(name: string, data: string, id: string | undefined, url: string): RegistryEvent | undefined {
  const what = `GET ${url}: event ${name}`;
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new RegistryError(`${what}: data is not JSON: ${quote(data)}`, { status: 200, body: data });
  }
  if (name === "snapshot") return { type: "snapshot", ...decodeSnapshot(json, what) };
  if (!["register", "deregister", "expire", "update"].includes(name)) return undefined; // a kind this client does not know yet
  const index = Number(id);
  if (!Number.isInteger(index) || index < 1) throw new RegistryError(`${what}: id ${JSON.stringify(id)} is not an index`, { status: 200, body: data });
  return { ...decodeChange(json, what), index };
}
