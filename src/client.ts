/**
 * The TypeScript client for srsr: registers a service, keeps it registered through registry
 * restarts and network trouble, deregisters on close, and looks services up. It uses only
 * `fetch` and timers, so it runs on Bun, Deno and Node 18 or later.
 *
 * Two clients: {@link ServiceRegistryClient} speaks the original protocol (register,
 * heartbeat, lookup), which every srsr and the original registry answer; {@link RegistryClient}
 * speaks the v1 API as resources (`instances`, `registration`, `events`): metadata, TTLs,
 * long-polls and Server-Sent Events. The `srsr` command line's subcommands are built on it.
 *
 * The background work never throws: a heartbeat answered `{"success": false}` (the registry
 * forgot the id) re-registers at once; a network error or a non-2xx answer is passed to
 * `onError` and retried with capped exponential backoff and jitter, re-registering when the
 * registry answers again without knowing the id.
 *
 * @example
 * ```ts
 * import { ServiceRegistryClient } from "srsr/client";
 *
 * await using registry = new ServiceRegistryClient({ server: "http://127.0.0.1:4214", name: "billing", port: 8080 });
 * await registry.register();
 * console.log(await registry.lookup("billing")); // "http://127.0.0.1:8080"
 * ```
 *
 * @module
 */

import { backoffDelay } from "./client/backoff.ts";
import { type ResolvedOptions, resolveOptions, type ServiceRegistryClientOptions } from "./client/options.ts";
import { postJson, RegistryError, unexpectedAnswer } from "./client/request.ts";
// Types only: the client must not pull zod, or anything else, into a program at run time.
import type {
  IdRequest,
  LookupRequest,
  LookupResponse,
  RegisterRequest,
  RegisterResponse,
  SuccessResponse,
} from "./client/wire_types.ts";

export type { Backoff } from "./client/backoff.ts";
export type { RetryInfo, ServiceRegistryClientOptions } from "./client/options.ts";
export { type Fetch, RegistryError } from "./client/request.ts";
// The v1 client, as resources: instances, registration, events.
export { RegistryClient, type RegistryClientOptions } from "./client/registry_client.ts";
export type { Instances, ListOptions, MetaFilter, PickOptions } from "./client/instances.ts";
export type { RegisterOptions, Registration } from "./client/registration.ts";
export type { KeepAlive, KeepAliveOptions } from "./client/keep_alive.ts";
export type { Events, RegistryEvent, WatchOptions } from "./client/events.ts";
export type { WaitForOptions, WaitForResult } from "./client/wait_for.ts";
export type { ChangeEvent, InstanceListResponse, ServiceListResponse, SnapshotEvent, WireInstance } from "./client/wire_types.ts";

/**
 * One service's registration with an srsr registry, plus lookups.
 *
 * @example
 * ```ts
 * import { ServiceRegistryClient } from "srsr/client";
 *
 * const stop = new AbortController();
 * const registry = new ServiceRegistryClient({
 *   server: "http://127.0.0.1:4214",
 *   name: "billing",
 *   address: "http://10.0.0.5",
 *   port: 8080,
 *   heartbeatInterval: 10_000,
 *   signal: stop.signal, // aborting it stops the heartbeats and deregisters
 * });
 * const id = await registry.register();
 * const users = await registry.lookup("users"); // null when none is registered
 * await registry.deregister();
 * ```
 */
export class ServiceRegistryClient implements AsyncDisposable {
  readonly #options: ResolvedOptions;
  #id: string | undefined;
  /** The running heartbeat loop; aborting it also aborts its request in flight. */
  #loop: AbortController | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #failures = 0;
  #starting: Promise<string> | undefined;
  readonly #onAbort = () => void this.close();

  /** Checks the options and throws a `TypeError` naming the first bad one. Sends nothing. */
  constructor(options: ServiceRegistryClientOptions) {
    this.#options = resolveOptions(options);
    this.#options.signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** The service name this client registers. */
  get name(): string {
    return this.#options.name;
  }

  /** The id the registry gave this service, or `undefined` while not registered. It changes on re-registration. */
  get id(): string | undefined {
    return this.#id;
  }

  /**
   * Registers the service and starts heartbeats. Resolves with the id; rejects with a
   * {@link RegistryError} if the registry cannot be reached or refuses. Calling it while
   * registered returns the current id.
   *
   * @example
   * ```ts
   * const id = await new ServiceRegistryClient({ server: "http://127.0.0.1:4214", name: "billing", port: 8080 }).register();
   * ```
   */
  register(): Promise<string> {
    if (this.#options.signal?.aborted) {
      return Promise.reject(new RegistryError(`register "${this.name}": the client's signal is already aborted`));
    }
    if (this.#starting) return this.#starting;
    if (this.#loop && this.#id !== undefined) return Promise.resolve(this.#id);
    this.#starting = this.#start().finally(() => (this.#starting = undefined));
    return this.#starting;
  }

  /**
   * Stops the heartbeats and removes the registration. Idempotent, and a no-op if never
   * registered. The heartbeats stop even when the call to the registry fails; the failure is
   * thrown, and the registry will expire the instance by itself.
   *
   * @example
   * ```ts
   * await registry.deregister();
   * ```
   */
  async deregister(): Promise<void> {
    this.#stop();
    const id = this.#id;
    this.#id = undefined;
    if (id !== undefined) await this.#deregisterOnce(id);
  }

  /**
   * The address of a live instance of `name` (the registry picks one at random), or `null`
   * when none is registered. Rejects with a {@link RegistryError} when the registry fails.
   *
   * @example
   * ```ts
   * const address = await registry.lookup("users");
   * if (address === null) console.error("no users service registered");
   * ```
   */
  async lookup(name: string): Promise<string | null> {
    const answer = await this.#post("lookup", { name }, neverAborted);
    if (answer.success === false) return null;
    if (answer.success !== true || typeof answer.address !== "string") {
      throw unexpectedAnswer(this.#url("lookup"), answer, 'expected "address" and "success"');
    }
    return answer.address;
  }

  /**
   * Deregisters like {@link deregister}, but never throws: a failure goes to `onError`, so
   * shutdown paths and `await using` blocks stay simple. Also what aborting `signal` does.
   *
   * @example
   * ```ts
   * process.on("SIGTERM", () => registry.close().then(() => process.exit(0)));
   * ```
   */
  async close(): Promise<void> {
    try {
      await this.deregister();
    } catch (error) {
      this.#report(error, undefined);
    }
  }

  /**
   * Closes the client at the end of an `await using` block.
   *
   * @example
   * ```ts
   * {
   *   await using registry = new ServiceRegistryClient({ server: "http://127.0.0.1:4214", name: "billing", port: 8080 });
   *   await registry.register();
   * } // deregistered here
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #start(): Promise<string> {
    this.#stop();
    const loop = new AbortController();
    this.#loop = loop;
    try {
      const id = await this.#registerOnce(loop.signal);
      if (!this.#adopt(loop, id)) {
        throw new RegistryError(`register "${this.name}": the client was closed while registering`);
      }
      this.#schedule(loop, this.#options.heartbeatInterval);
      return id;
    } catch (error) {
      if (this.#loop === loop) this.#loop = undefined;
      throw error;
    }
  }

  #stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#loop?.abort();
    this.#loop = undefined;
    this.#failures = 0;
  }

  #schedule(loop: AbortController, delay: number): void {
    const timer = setTimeout(() => void this.#tick(loop), delay);
    // Heartbeats alone should not keep a program alive that has nothing else to do (Node and
    // Bun timers can be unref'd; elsewhere close() clears the timer).
    (timer as { unref?: () => void }).unref?.();
    this.#timer = timer;
  }

  async #tick(loop: AbortController): Promise<void> {
    try {
      await this.#renew(loop);
      if (loop.signal.aborted) return;
      this.#failures = 0;
      this.#schedule(loop, this.#options.heartbeatInterval);
    } catch (error) {
      if (loop.signal.aborted) return;
      const retryIn = backoffDelay(this.#failures++, this.#options.backoff);
      this.#report(error, retryIn);
      this.#schedule(loop, retryIn);
    }
  }

  /** One heartbeat, or a registration when the registry does not know (or never gave) an id. */
  async #renew(loop: AbortController): Promise<void> {
    if (this.#id !== undefined) {
      const answer = await this.#post("heartbeat", { id: this.#id }, loop.signal);
      if (typeof answer.success !== "boolean") throw unexpectedAnswer(this.#url("heartbeat"), answer, 'expected "success"');
      if (answer.success) return;
      // Restarted with the memory store, or expired while it could not be reached.
      this.#id = undefined;
    }
    this.#adopt(loop, await this.#registerOnce(loop.signal));
  }

  /**
   * Takes `id` as this client's unless the loop was stopped while it was being registered;
   * then it deregisters it in the background rather than leave it to expire.
   */
  #adopt(loop: AbortController, id: string): boolean {
    if (!loop.signal.aborted) {
      this.#id = id;
      return true;
    }
    this.#deregisterOnce(id).catch((error) => this.#report(error, undefined));
    return false;
  }

  async #registerOnce(signal: AbortSignal): Promise<string> {
    const { name, address, port } = this.#options;
    const answer = await this.#post("register", { name, address, port }, signal);
    if (answer.success !== true || typeof answer.id !== "string" || answer.id === "") {
      throw unexpectedAnswer(this.#url("register"), answer, 'expected "id" and "success": true');
    }
    return answer.id;
  }

  async #deregisterOnce(id: string): Promise<void> {
    // {"success": false} means it had expired or was never known: gone either way.
    await this.#post("deregister", { id }, neverAborted);
  }

  #url(path: string): string {
    return new URL(path, this.#options.server).href;
  }

  #post<Path extends keyof LegacyCalls>(
    path: Path,
    body: LegacyCalls[Path]["body"],
    signal: AbortSignal,
  ): Promise<Unchecked<LegacyCalls[Path]["answer"]>> {
    const { server, fetch, requestTimeout } = this.#options;
    return postJson(server, path, body, { fetch, signal, timeout: requestTimeout });
  }

  #report(error: unknown, retryIn: number | undefined): void {
    const registryError = error instanceof RegistryError
      ? error
      : new RegistryError(`${this.name}: ${(error as Error)?.message ?? error}`, { cause: error });
    try {
      this.#options.onError(registryError, { retryIn });
    } catch {
      // A throwing onError must not stop the heartbeats it reports on.
    }
  }
}

/** The legacy protocol's calls: each path's body and answer, as the wire contract declares them. */
interface LegacyCalls {
  register: { body: RegisterRequest; answer: RegisterResponse };
  lookup: { body: LookupRequest; answer: LookupResponse };
  heartbeat: { body: IdRequest; answer: SuccessResponse };
  deregister: { body: IdRequest; answer: SuccessResponse };
}

/**
 * An answer as decoded: the keys the wire type names, with values still to be checked, since
 * the client cannot assume the server it talks to is a correct srsr.
 */
type Unchecked<Answer> = { [Key in keyof Answer]?: unknown };

const neverAborted = new AbortController().signal;
