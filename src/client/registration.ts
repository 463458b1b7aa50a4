/**
 * The `registration` resource of {@link RegistryClient}: registering an instance through the v1
 * API (with metadata and its own TTL), renewing it, removing it, and {@link Registration.keepAlive}
 * to keep one registered for as long as a process runs.
 *
 * @module
 */

import type { WireInstance } from "./wire_types.ts";
import { decodeInstance } from "./decode.ts";
import { KeepAlive, type KeepAliveOptions } from "./keep_alive.ts";
import { segment, type Transport } from "./transport.ts";

/** What an instance registers with; the registry answers with the {@link WireInstance}. */
export interface RegisterOptions {
  /**
   * `http://10.0.0.5:8080`, `10.0.0.5:8080`, or without the port when `port` is given. Leave it
   * out to let the registry use `http://<the caller's IP>[:port]`.
   * @default undefined
   */
  address?: string;
  /** Appended to `address` as `:port`. @default undefined */
  port?: number;
  /** Labels, such as `{ zone: "eu-west-1a" }`. @default {} */
  meta?: Record<string, string>;
  /** Seconds the instance lives after each heartbeat. @default the registry's --timeout */
  ttl?: number;
}

/**
 * Registers, renews and removes instances.
 *
 * @example
 * ```ts
 * import { RegistryClient } from "srsr/client";
 *
 * const registry = new RegistryClient({ server: "http://127.0.0.1:4214" });
 * const instance = await registry.registration.register("billing", { port: 8080, meta: { zone: "eu-west-1a" }, ttl: 15 });
 * await registry.registration.heartbeat(instance.id); // null once it expired: register again
 * await registry.registration.deregister(instance.id);
 * ```
 */
export class Registration {
  constructor(readonly transport: Transport) {}

  /**
   * Registers one instance of `name` and answers it as the registry stored it: its `id`, the
   * `address` it will be found at, and its `ttl`. It expires unless renewed within the TTL.
   *
   * @example
   * ```ts
   * const { id, ttl } = await registry.registration.register("billing", { address: "http://10.0.0.5:8080" });
   * ```
   */
  async register(name: string, { address, port, meta, ttl }: RegisterOptions = {}, { signal }: { signal?: AbortSignal } = {}): Promise<WireInstance> {
    const answer = await this.transport.send("POST", `v1/services/${segment(name)}/instances`, { body: { address, port, meta, ttl }, signal });
    return decodeInstance(answer!.body, `POST /v1/services/${name}/instances`);
  }

  /**
   * Renews the instance for its own TTL; answers it with its new `expiresAt`, or `null` when
   * the registry no longer knows it (expired, deregistered, or the registry restarted with the
   * memory store): register again.
   *
   * @example
   * ```ts
   * if ((await registry.registration.heartbeat(id)) === null) id = (await registry.registration.register("billing", { port: 8080 })).id;
   * ```
   */
  async heartbeat(id: string, { signal }: { signal?: AbortSignal } = {}): Promise<WireInstance | null> {
    const answer = await this.transport.send("PUT", `v1/instances/${segment(id)}/heartbeat`, { signal, notFound: "value" });
    return answer === undefined ? null : decodeInstance(answer.body, `PUT /v1/instances/${id}/heartbeat`);
  }

  /**
   * Changes the instance's meta as a JSON merge patch (a string sets a key, `null` removes it)
   * and answers the instance as it now is, or `null` when the registry no longer knows it.
   *
   * @example
   * ```ts
   * await registry.registration.updateMeta(id, { version: "2.4.2", canary: null });
   * ```
   */
  async updateMeta(id: string, meta: Readonly<Record<string, string | null>>, { signal }: { signal?: AbortSignal } = {}): Promise<WireInstance | null> {
    const answer = await this.transport.send("PATCH", `v1/instances/${segment(id)}`, { body: { meta }, signal, notFound: "value" });
    return answer === undefined ? null : decodeInstance(answer.body, `PATCH /v1/instances/${id}`);
  }

  /**
   * Removes the instance: `true` when it was live, `false` when the registry did not know it
   * (already expired or removed; gone either way).
   *
   * @example
   * ```ts
   * await registry.registration.deregister(id);
   * ```
   */
  async deregister(id: string, { signal }: { signal?: AbortSignal } = {}): Promise<boolean> {
    return (await this.transport.send("DELETE", `v1/instances/${segment(id)}`, { signal, notFound: "value" })) !== undefined;
  }

  /**
   * An instance kept registered in the background: `start()` registers it, then it is renewed
   * every third of its TTL, registered again when the registry has forgotten it, retried with
   * backoff while the registry cannot be reached; `stop()` deregisters it.
   *
   * @example
   * ```ts
   * const kept = registry.registration.keepAlive("billing", { port: 8080, ttl: 15 });
   * await kept.start();
   * process.on("SIGTERM", () => void kept.stop().then(() => process.exit(0)));
   * ```
   */
  keepAlive(name: string, options: KeepAliveOptions = {}): KeepAlive {
    return new KeepAlive(this, name, options);
  }
}
