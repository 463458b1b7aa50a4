/**
 * The `instances` resource of {@link RegistryClient}: what is registered, read through the v1
 * API. A name with no live instance is an answer (`null`, an empty list), not an error.
 *
 * @module
 */

import type { InstanceListResponse, ServiceListResponse, WireInstance } from "./wire_types.ts";
import { decodeInstance, decodeInstanceList, decodeServiceList } from "./decode.ts";
import { metaQuery, segment, type Transport } from "./transport.ts";
import { waitFor, type WaitForOptions, type WaitForResult } from "./wait_for.ts";

/** Only instances whose meta has every one of these keys with these values. */
export type MetaFilter = Readonly<Record<string, string>>;

export interface ListOptions {
  /** Only instances whose meta matches all of these. @default undefined (all) */
  meta?: MetaFilter;
  /**
   * A long-poll: hold the answer until the name's index differs from this one (the `index` of
   * an earlier answer), or `wait` passes. @default undefined (answer at once)
   */
  index?: number;
  /** Milliseconds the registry may hold a long-poll (it caps this at 10 minutes). @default 300_000 */
  wait?: number;
  signal?: AbortSignal;
}

export interface PickOptions {
  /** Only instances whose meta matches all of these. @default undefined (all) */
  meta?: MetaFilter;
  signal?: AbortSignal;
}

/** The registry's own default `wait` for a long-poll. */
const DEFAULT_WAIT_MS = 300_000;

/**
 * Reads the catalog: services, a service's instances (optionally as a long-poll), one instance
 * picked at random, one instance by id, and {@link Instances.waitFor} a number of them.
 *
 * @example
 * ```ts
 * import { RegistryClient } from "srsr/client";
 *
 * const registry = new RegistryClient({ server: "http://127.0.0.1:4214" });
 * const billing = await registry.instances.pick("billing"); // null when none is live
 * if (billing) console.log(billing.address);
 * ```
 */
export class Instances {
  constructor(readonly transport: Transport) {}

  /**
   * Every name with a live instance, sorted, with how many it has, and the catalog's index.
   *
   * @example
   * ```ts
   * const { services } = await registry.instances.services();
   * for (const { name, instances } of services) console.log(name, instances);
   * ```
   */
  async services({ signal }: { signal?: AbortSignal } = {}): Promise<ServiceListResponse> {
    const answer = await this.transport.send("GET", "v1/services", { signal });
    return decodeServiceList(answer!.body, "GET /v1/services");
  }

  /**
   * The live instances of `name`, oldest first, and the name's index. With `index`, a
   * long-poll: the answer comes when something about `name` changes, or after `wait`.
   *
   * @example
   * ```ts
   * let { index, instances } = await registry.instances.list("billing", { meta: { zone: "eu-west-1a" } });
   * // Blocks until billing changes (or five minutes pass):
   * ({ index, instances } = await registry.instances.list("billing", { index }));
   * ```
   */
  async list(name: string, { meta, index, wait = DEFAULT_WAIT_MS, signal }: ListOptions = {}): Promise<InstanceListResponse> {
    const query = metaQuery(meta);
    const holding = index !== undefined && index > 0;
    if (holding) {
      query.set("index", String(index));
      query.set("wait", `${Math.max(1, Math.ceil(wait))}ms`);
    }
    // The registry holds a long-poll up to its wait plus a jitter of a sixteenth of it.
    const holdMs = holding ? wait * (17 / 16) : 0;
    const answer = await this.transport.send("GET", `v1/services/${segment(name)}`, { query, signal, holdMs });
    return decodeInstanceList(answer!.body, `GET /v1/services/${name}`);
  }

  /**
   * One live instance of `name` chosen uniformly at random, or `null` when none is live (or
   * none matches `meta`).
   *
   * @example
   * ```ts
   * const instance = await registry.instances.pick("billing", { meta: { version: "2" } });
   * console.log(instance?.address ?? "no billing v2");
   * ```
   */
  async pick(name: string, { meta, signal }: PickOptions = {}): Promise<WireInstance | null> {
    const answer = await this.transport.send("GET", `v1/services/${segment(name)}/pick`, { query: metaQuery(meta), signal, notFound: "value" });
    return answer === undefined ? null : decodeInstance(answer.body, `GET /v1/services/${name}/pick`);
  }

  /**
   * The instance registered as `id`, or `null` when it expired, was deregistered or never was.
   *
   * @example
   * ```ts
   * const instance = await registry.instances.get("0b7e6f0e-3a4e-4c43-9d1c-2f0f7c1a9b61");
   * ```
   */
  async get(id: string, { signal }: { signal?: AbortSignal } = {}): Promise<WireInstance | null> {
    const answer = await this.transport.send("GET", `v1/instances/${segment(id)}`, { signal, notFound: "value" });
    return answer === undefined ? null : decodeInstance(answer.body, `GET /v1/instances/${id}`);
  }

  /**
   * Waits, through long-polls (woken by the registry as soon as `name` changes, never by
   * polling on a timer), until `name` has at least `count` live instances or `timeout` passes.
   * Keeps waiting while the registry cannot be reached or restarts. Resolves either way; see
   * {@link WaitForResult}. Rejects only when the registry refuses the question (a bad name, a
   * missing token).
   *
   * @example
   * ```ts
   * const result = await registry.instances.waitFor("api", { count: 2, timeout: 60_000 });
   * if (result.satisfied) console.log(result.instances.map((instance) => instance.address));
   * else console.error(`only ${result.instances.length} of 2 instances of api after 60 s`);
   * ```
   */
  waitFor(name: string, options: WaitForOptions): Promise<WaitForResult> {
    return waitFor(this, name, options);
  }
}
