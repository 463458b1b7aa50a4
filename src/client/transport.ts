/**
 * What every v1 resource shares, as Consul's `api.go` is for its resources: the registry's
 * base URL, the bearer token, the `fetch` and the per-call timeout, and one {@link Transport.send}
 * that each call goes through (build -> send -> require OK -> decode).
 *
 * @module
 */

import { type Answer, type Fetch, type Method, sendJson } from "./request.ts";

export interface TransportOptions {
  /** The registry's base URL, ending in `/`. */
  server: URL;
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

export class Transport {
  constructor(readonly options: TransportOptions) {}

  /** The registry's base URL, as given (with a trailing `/`). */
  get server(): URL {
    return this.options.server;
  }

  /** The URL of `path` (relative, already percent-encoded) under the base URL, with `query`. */
  url(path: string, query?: URLSearchParams): URL {
    const url = new URL(path, this.options.server);
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

  send(method: Method, path: string, { query, body, notFound, signal = neverAborted, holdMs = 0 }: SendOptions = {}): Promise<Answer | undefined> {
    const { fetch, requestTimeout } = this.options;
    return sendJson(method, this.url(path, query), { body, headers: this.headers(), notFound }, {
      fetch,
      signal,
      timeout: requestTimeout + holdMs,
    });
  }
}

/** `name` as one path segment: `team/billing` -> `team%2Fbilling`. */
export const segment = (name: string) => encodeURIComponent(name);

/** `?meta.KEY=VALUE` for each entry of `meta`, the v1 API's filter. */
export function metaQuery(meta: Readonly<Record<string, string>> | undefined, query = new URLSearchParams()): URLSearchParams {
  for (const [key, value] of Object.entries(meta ?? {})) query.append(`meta.${key}`, value);
  return query;
}
