/**
 * The v1 client: one {@link RegistryClient} per registry, its calls grouped as resources the
 * way Consul's Go API groups them (`client.Catalog().Register(…)`):
 * {@link RegistryClient.instances} reads the catalog (and waits on it),
 * {@link RegistryClient.registration} registers and keeps instances alive, and
 * {@link RegistryClient.events} follows every change. Every call runs the same steps, build ->
 * send -> require OK -> decode; a non-2xx answer is a `RegistryError` carrying the status and
 * body, and "not found" is a value (`null`, `false`), never an error.
 *
 * @module
 */

import { Events } from "./events.ts";
import { Instances } from "./instances.ts";
import { baseUrl, checkDelay } from "./options.ts";
import { Registration } from "./registration.ts";
import type { Fetch } from "./request.ts";
import { Transport } from "./transport.ts";

export interface RegistryClientOptions {
  /**
   * The registry's base URL, such as `http://127.0.0.1:4214` (a path prefix is kept), or the
   * base URLs of the nodes of one registry (sharing a PostgreSQL store). Calls go to one node
   * and stay there while it answers; one that cannot be reached, times out or answers 5xx moves
   * the call to the next. A call fails only when every node failed; the background work
   * (keepAlive, watch, waitFor) then backs off before going round again.
   */
  server: string | URL | readonly (string | URL)[];
  /**
   * A bearer token, for a registry started with `--token-file` or `SRSR_TOKEN`.
   * @default undefined (no Authorization header)
   */
  token?: string;
  /**
   * The fetch to use: for a proxy, or to trust a private CA (see `ServiceRegistryClientOptions.fetch`).
   * @default globalThis.fetch
   */
  fetch?: Fetch;
  /** Milliseconds each call may take; a long-poll gets its wait on top. @default 10_000 */
  requestTimeout?: number;
}

/**
 * A client of one srsr registry's v1 API. Checks its options when constructed (a `TypeError`
 * names the bad one) and sends nothing until a resource is called.
 *
 * @example
 * ```ts
 * import { RegistryClient } from "srsr/client";
 *
 * const registry = new RegistryClient({ server: "http://127.0.0.1:4214", token: process.env.SRSR_TOKEN });
 * const api = await registry.instances.waitFor("api", { count: 2, timeout: 60_000 });
 * const db = await registry.instances.pick("db");
 * console.log(api.instances.map((instance) => instance.address), db?.address);
 * ```
 */
export class RegistryClient {
  /** What is registered: services, instances, one picked at random, waiting for some. */
  readonly instances: Instances;
  /** Registering, renewing and removing instances, and keeping one alive. */
  readonly registration: Registration;
  /** Every change as it happens (Server-Sent Events). */
  readonly events: Events;

  constructor({ server, token, fetch = globalThis.fetch, requestTimeout = 10_000 }: RegistryClientOptions) {
    checkDelay("requestTimeout", requestTimeout);
    if (token !== undefined && (typeof token !== "string" || token === "" || /[\s\u0000-\u001f]/.test(token))) {
      throw new TypeError("token: must be a non-empty string without whitespace");
    }
    if (typeof fetch !== "function") throw new TypeError("fetch: no fetch here; pass one or use Node 18 or later");
    const servers = typeof server === "string" || server instanceof URL ? [server] : server;
    if (!Array.isArray(servers) || servers.length === 0) throw new TypeError("server: must be a URL or a non-empty list of URLs");
    const transport = new Transport({ servers: servers.map((one) => baseUrl(one)), token, fetch, requestTimeout });
    this.instances = new Instances(transport);
    this.registration = new Registration(transport);
    this.events = new Events(transport);
  }

  /** The base URL (with a trailing `/`) of the node calls go to now: the first given, until it fails. */
  get server(): URL {
    return this.instances.transport.server;
  }

  /** Every node's base URL, as given. */
  get servers(): readonly URL[] {
    return this.instances.transport.servers;
  }
}
