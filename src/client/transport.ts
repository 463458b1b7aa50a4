/**
 * What every v1 resource shares, as Consul's `api.go` is for its resources: the registry's
 * base URLs (the nodes of one registry), the bearer token, the `fetch` and the per-call timeout,
 * and one {@link Transport.send} that each call goes through (build -> send -> require OK ->
 * decode), moving to the next node when one cannot be reached or answers 5xx.
 *
 * @module
 */

import { type Answer, type Fetch, type Method, RegistryError, sendJson } from "./request.ts";

export interface TransportOptions {
  /** The registry's base URLs, each ending in `/`: one, or the nodes sharing one store. */
  servers: readonly URL[];
  /** Sent as `Authorization: Bearer <token>`. */
  token: string | undefined;
  fetch: Fetch;
  /** Milliseconds one call may take; a long-poll gets its wait on top. */
  requestTimeout: number;
}

/** Options of one call. */
export interface SendOptions {
  query?: URLSearchParams;
  body?: unknown;
  /** A 404 answers `undefined` rather than rejecting. @default "error" */
  notFound?: "value" | "error";
  /** Aborts the call. */
  signal?: AbortSignal;
  /** Milliseconds on top of the request timeout, for a call the registry holds (a long-poll). @default 0 */
  holdMs?: number;
}

const neverAborted = new AbortController().signal;

/**
 * Whether a call that failed with `error` may be sent to another node: the node could not be
 * reached, did not answer in time, or answered 5xx. A 4xx would be the same answer anywhere.
 */
export const movesOn = (error: unknown): error is RegistryError =>
  error instanceof RegistryError && (error.status === undefined || error.status >= 500);

export class Transport {
  /** The node calls go to: the last one that answered (or the next after one that failed). */
  #current = 0;

  constructor(readonly options: TransportOptions) {}

  /** The base URL of the node calls go to now (with a trailing `/`). */
  get server(): URL {
    return this.options.servers[this.#current];
  }

  /** Every node's base URL, in the order given. */
  get servers(): readonly URL[] {
    return this.options.servers;
  }

  /**
   * Moves on from `server` to the next node, unless another call already did: calls that fail
   * together on one node move on once, not once each.
   */
  failedOver(server: URL): void {
    const { servers } = this.options;
    if (servers[this.#current] === server) this.#current = (this.#current + 1) % servers.length;
  }

  /** Stays on `server`, which answered. */
  answered(server: URL): void {
    const index = this.options.servers.indexOf(server);
    if (index >= 0) this.#current = index;
  }

  /** The URL of `path` (relative, already percent-encoded) under `server` (the current node's base URL), with `query`. */
  url(path: string, query?: URLSearchParams, server: URL = this.server): URL {
    const url = new URL(path, server);
    // Not query.size: older Node 18 releases lack it.
    const search = query?.toString() ?? "";
    if (search !== "") url.search = search;
    return url;
  }

  /** The headers every call sends: the bearer token, when there is one. */
  headers(): Record<string, string> {
    const { token } = this.options;
    return token === undefined ? {} : { authorization: `Bearer ${token}` };
  }

  /**
   * Sends one call to the current node; when it cannot be reached, times out or answers 5xx,
   * to the next, and so on once round every node. Rejects with the last node's
   * {@link RegistryError} (its message naming every node's failure) when none answered: the
   * caller's own loop (a keepAlive, a watch, waitFor) backs off then, not this call.
   */
  async send(method: Method, path: string, { query, body, notFound, signal = neverAborted, holdMs = 0 }: SendOptions = {}): Promise<Answer | undefined> {
    const { fetch, requestTimeout, servers } = this.options;
    const failures: RegistryError[] = [];
    for (let tried = 0; tried < servers.length; tried++) {
      const server = this.server;
      try {
        const answer = await sendJson(method, this.url(path, query, server), { body, headers: this.headers(), notFound }, {
          fetch,
          signal,
          timeout: requestTimeout + holdMs,
        });
        this.answered(server);
        return answer;
      } catch (error) {
        if (signal.aborted || !movesOn(error)) throw error;
        failures.push(error);
        this.failedOver(server);
      }
    }
    const last = failures[failures.length - 1];
    if (failures.length === 1) throw last;
    const message = `none of ${servers.length} registry nodes answered: ${failures.map((failure) => failure.message).join("; ")}`;
    throw new RegistryError(message, { status: last.status, body: last.body, cause: last });
  }
}

/** `name` as one path segment: `team/billing` -> `team%2Fbilling`. */
export const segment = (name: string) => encodeURIComponent(name);

/** `?meta.KEY=VALUE` for each entry of `meta`, the v1 API's filter. */
export function metaQuery(meta: Readonly<Record<string, string>> | undefined, query = new URLSearchParams()): URLSearchParams {
  for (const [key, value] of Object.entries(meta ?? {})) query.append(`meta.${key}`, value);
  return query;
}
