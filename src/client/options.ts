/**
 * The client's options, their defaults, and the checks that turn a mistake in them into a
 * `TypeError` naming the option when the client is constructed, not later in the background.
 *
 * @module
 */

import { type Backoff, DEFAULT_BACKOFF } from "./backoff.ts";
import type { Fetch, RegistryError } from "./request.ts";

/** What the background work passes to `onError` besides the error. */
export interface RetryInfo {
  /** Milliseconds until the client tries again; `undefined` when it will not (a failed deregistration). */
  retryIn: number | undefined;
}

export interface ServiceRegistryClientOptions {
  /** The registry's base URL, such as `http://127.0.0.1:4214`; a path prefix is kept. */
  server: string | URL;
  /** The service name to register. */
  name: string;
  /**
   * The address to register, such as `http://10.0.0.5` or `10.0.0.5`; `port` is appended as
   * `:port`. Leave it out to let the registry use `http://<this machine's IP>[:port]`.
   * @default undefined
   */
  address?: string;
  /** The service's port. @default undefined */
  port?: number;
  /**
   * Milliseconds between heartbeats. Keep it well below the registry's timeout
   * (`srsr -t`, 30 s by default) so one lost heartbeat does not expire the service.
   * @default 20_000
   */
  heartbeatInterval?: number;
  /** Waits between retries while the registry is unreachable or failing. @default { initial: 1_000, max: 30_000 } */
  backoff?: Backoff;
  /** Milliseconds to wait for each answer before counting the call as failed. @default 10_000 */
  requestTimeout?: number;
  /** Aborting it stops the heartbeats and deregisters, as {@link ServiceRegistryClient.close} does. */
  signal?: AbortSignal;
  /**
   * Called for every failure of the background work (heartbeat, re-registration, the
   * deregistration on abort or dispose), which never throws. Pass `() => {}` to silence it.
   * @default one line to console.warn
   */
  onError?: (error: RegistryError, info: RetryInfo) => void;
  /**
   * The fetch to use, for a proxy or custom TLS, such as a registry whose certificate a
   * private CA signed. Bun's fetch takes the CA per request, Deno's an HTTP client; on Node,
   * start it with `NODE_EXTRA_CA_CERTS=ca.pem`.
   * @default globalThis.fetch
   * @example
   * ```ts
   * // Bun
   * const ca = await Bun.file("ca.pem").text();
   * const fetchTrustingCa: Fetch = (input, init) => fetch(input, { ...init, tls: { ca } });
   * // Deno
   * const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile("ca.pem")] });
   * const fetchTrustingCa: Fetch = (input, init) => fetch(input, { ...init, client });
   *
   * new ServiceRegistryClient({ server: "https://registry:4214", name: "billing", fetch: fetchTrustingCa });
   * ```
   */
  fetch?: Fetch;
}

export interface ResolvedOptions {
  server: URL;
  name: string;
  address: string | undefined;
  port: number | undefined;
  heartbeatInterval: number;
  backoff: Required<Backoff>;
  requestTimeout: number;
  signal: AbortSignal | undefined;
  onError: (error: RegistryError, info: RetryInfo) => void;
  fetch: Fetch;
}

// setTimeout fires at once for delays it cannot represent (over 2^31 - 1 ms, about 24.8 days).
const MAX_DELAY = 2 ** 31 - 1;

export function resolveOptions({
  server,
  name,
  address,
  port,
  heartbeatInterval = 20_000,
  backoff = {},
  requestTimeout = 10_000,
  signal,
  onError = warn,
  fetch = globalThis.fetch,
}: ServiceRegistryClientOptions): ResolvedOptions {
  const { initial = DEFAULT_BACKOFF.initial, max = DEFAULT_BACKOFF.max } = backoff;
  checkDelay("heartbeatInterval", heartbeatInterval);
  checkDelay("backoff.initial", initial);
  checkDelay("backoff.max", max);
  if (max < initial) throw new TypeError(`backoff.max: must be at least backoff.initial (${initial}), got ${max}`);
  checkDelay("requestTimeout", requestTimeout);
  if (typeof name !== "string" || name === "") throw new TypeError("name: must be a non-empty string");
  if (address !== undefined && typeof address !== "string") throw new TypeError("address: must be a string");
  if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) {
    throw new TypeError(`port: must be an integer from 1 to 65535, got ${port}`);
  }
  if (typeof fetch !== "function") throw new TypeError("fetch: no fetch here; pass one or use Node 18 or later");
  return {
    server: baseUrl(server),
    name,
    address: address || undefined,
    port,
    heartbeatInterval,
    backoff: { initial, max },
    requestTimeout,
    signal,
    onError,
    fetch,
  };
}

/** Throws a `TypeError` naming `option` unless `value` is milliseconds a timer can wait. */
export function checkDelay(option: string, value: number): void {
  if (typeof value !== "number" || !(value > 0 && value <= MAX_DELAY)) {
    throw new TypeError(`${option}: must be milliseconds greater than 0 and at most ${MAX_DELAY}, got ${value}`);
  }
}

/** The registry's base URL, ending in `/` so relative paths keep a prefix; a `TypeError` naming `server` when it is not http(s). */
export function baseUrl(server: string | URL): URL {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new TypeError(`server: "${server}" is not a URL; expected one such as http://127.0.0.1:4214`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`server: "${server}" must be an http:// or https:// URL`);
  }
  // Relative resolution drops the last path segment unless the base ends with a slash.
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  url.search = "";
  url.hash = "";
  return url;
}

function warn(error: RegistryError, { retryIn }: RetryInfo): void {
  const next = retryIn === undefined ? "" : `; retrying in ${(retryIn / 1000).toFixed(1)} s`;
  console.warn(`srsr client: ${error.message}${next}`);
}
