/**
 * One instance kept registered for as long as its owner wants: heartbeats every third of its
 * TTL (so two can be lost before it expires), a new registration when the registry answers a
 * heartbeat with 404 (it restarted with the memory store, or the instance expired while the
 * registry could not be reached), and capped backoff with jitter while it cannot be reached.
 * The background work never throws; its failures go to `onError`.
 *
 * @module
 */

import type { WireInstance } from "./wire_types.ts";
import { type Backoff, backoffDelay, DEFAULT_BACKOFF } from "./backoff.ts";
import type { RetryInfo } from "./options.ts";
import type { RegisterOptions, Registration } from "./registration.ts";
import { RegistryError } from "./request.ts";

export interface KeepAliveOptions extends RegisterOptions {
  /** Waits between retries while the registry cannot be reached or fails. @default { initial: 1_000, max: 30_000 } */
  backoff?: Backoff;
  /**
   * Asked before each heartbeat: `false` skips it, so the instance expires one TTL after its
   * last heartbeat unless this turns `true` again (then call {@link KeepAlive.renewNow}).
   * For a health check: heartbeat only while the service answers.
   * @default () => true
   */
  renewIf?: () => boolean;
  /** Called with the instance after each registration: the first, and each one after a 404. @default nothing */
  onRegister?: (instance: WireInstance) => void;
  /** Called for every failure of the background work, which is retried after `retryIn` ms. @default nothing */
  onError?: (error: RegistryError, info: RetryInfo) => void;
}

/**
 * An instance kept registered in the background; see {@link Registration.keepAlive}.
 *
 * @example
 * ```ts
 * import { RegistryClient } from "srsr/client";
 *
 * const registry = new RegistryClient({ server: "http://127.0.0.1:4214" });
 * await using kept = registry.registration.keepAlive("billing", { port: 8080, meta: { zone: "eu-west-1a" } });
 * const instance = await kept.start();
 * console.log(`registered as ${instance.id}, renewed every ${instance.ttl / 3} s`);
 * ```
 */
export class KeepAlive implements AsyncDisposable {
  #instance: WireInstance | undefined;
  /** The running loop; aborting it stops the timer and the request in flight. */
  #loop: AbortController | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The registration or heartbeat in flight, which {@link stop} waits for. */
  #inflight: Promise<unknown> | undefined;
  #failures = 0;

  constructor(
    readonly registration: Registration,
    readonly name: string,
    readonly options: KeepAliveOptions = {},
  ) {}

  /** The instance as last registered or renewed, or `undefined` while not registered. Its `id` changes on re-registration. */
  get instance(): WireInstance | undefined {
    return this.#instance;
  }

  /** Whether it is running: after a successful {@link start} or a {@link startInBackground}, until {@link stop}. */
  get running(): boolean {
    return this.#loop !== undefined;
  }

  /**
   * Registers the instance and starts the heartbeats. Rejects with the {@link RegistryError}
   * of a registration that failed (nothing runs then); answers the current instance when
   * already running.
   */
  async start(): Promise<WireInstance> {
    if (this.#loop && this.#instance) return this.#instance;
    if (this.#loop) {
      // Still trying in the background: take over, so that one loop runs.
      clearTimeout(this.#timer);
      this.#loop.abort();
      this.#loop = undefined;
      await this.#inflight?.catch(() => {});
      if (this.#loop) return await this.start();
    }
    const loop = new AbortController();
    this.#loop = loop;
    try {
      const instance = await this.#track(this.#register(loop.signal));
      this.#schedule(loop, this.#interval());
      return instance;
    } catch (error) {
      if (this.#loop === loop) this.#loop = undefined;
      throw error;
    }
  }

  /**
   * Registers in the background and keeps the instance registered, as {@link start} does, but
   * never fails: while the registry cannot be reached (not up yet, say) or refuses, each
   * failure goes to `onError` and the registration is retried with backoff; `onRegister` says
   * when it succeeded. For a service that must be able to start before its registry. Does
   * nothing when already running.
   *
   * @example
   * ```ts
   * const kept = registry.registration.keepAlive("billing", { port: 8080, onRegister: ({ id }) => console.log(`registered as ${id}`) });
   * kept.startInBackground();
   * ```
   */
  startInBackground(): void {
    if (this.#loop) return;
    const loop = new AbortController();
    this.#loop = loop;
    this.#failures = 0;
    void this.#tick(loop);
  }

  /** Sends the next heartbeat now rather than at its time: after `renewIf` turned `true` again. */
  renewNow(): void {
    const loop = this.#loop;
    if (!loop || this.#inflight) return;
    clearTimeout(this.#timer);
    void this.#tick(loop);
  }

  /**
   * Stops the heartbeats and deregisters. Answers whether the registry still had the instance;
   * rejects with the {@link RegistryError} of a deregistration that failed (the heartbeats
   * stop regardless, and the registry expires the instance after its TTL). A registration in
   * flight is let finish and taken back, since the registry may have made it already.
   */
  async stop(): Promise<boolean> {
    clearTimeout(this.#timer);
    this.#loop?.abort();
    this.#loop = undefined;
    this.#failures = 0;
    await this.#inflight?.catch(() => {});
    const instance = this.#instance;
    this.#instance = undefined;
    return instance === undefined ? false : await this.registration.deregister(instance.id);
  }

  /** Stops at the end of an `await using` block; a failed deregistration goes to `onError`. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.stop();
    } catch (error) {
      this.options.onError?.(error as RegistryError, { retryIn: undefined });
    }
  }

  /** A third of the TTL: two heartbeats can be lost before the instance expires. */
  #interval(): number {
    return ((this.#instance?.ttl ?? this.options.ttl ?? 30) * 1000) / 3;
  }

  /** Counts `work` as in flight until it settles. */
  #track<T>(work: Promise<T>): Promise<T> {
    const tracked = work.finally(() => {
      if (this.#inflight === tracked) this.#inflight = undefined;
    });
    this.#inflight = tracked;
    return tracked;
  }

  /** Registers; not aborted by `stopped`, which only says to take the instance back at once. */
  async #register(stopped: AbortSignal): Promise<WireInstance> {
    const { address, port, meta, ttl } = this.options;
    const instance = await this.registration.register(this.name, { address, port, meta, ttl });
    if (stopped.aborted) {
      await this.registration.deregister(instance.id).catch(() => {});
      throw new RegistryError(`register ${this.name}: stopped while registering`);
    }
    this.#instance = instance;
    this.options.onRegister?.(instance);
    return instance;
  }

  #schedule(loop: AbortController, delay: number): void {
    const timer = setTimeout(() => void this.#tick(loop), delay);
    // The heartbeats alone should not keep a program alive that has nothing else to do.
    (timer as { unref?: () => void }).unref?.();
    this.#timer = timer;
  }

  async #tick(loop: AbortController): Promise<void> {
    try {
      // Not yet registered (started in the background): register whatever renewIf says.
      if (this.#instance === undefined || this.options.renewIf?.() !== false) await this.#track(this.#renew(loop.signal));
      if (loop.signal.aborted) return;
      this.#failures = 0;
      this.#schedule(loop, this.#interval());
    } catch (error) {
      if (loop.signal.aborted || this.#loop !== loop) return;
      // Never wait longer than a heartbeat interval: a long backoff would expire the instance.
      const retryIn = Math.min(backoffDelay(this.#failures++, { ...DEFAULT_BACKOFF, ...this.options.backoff }), this.#interval());
      const registryError = error instanceof RegistryError ? error : new RegistryError(String(error), { cause: error });
      this.options.onError?.(registryError, { retryIn });
      this.#schedule(loop, retryIn);
    }
  }

  /** One heartbeat, or a new registration when the registry no longer knows the instance. */
  async #renew(signal: AbortSignal): Promise<void> {
    const current = this.#instance;
    const renewed = current && (await this.registration.heartbeat(current.id, { signal }));
    if (renewed) this.#instance = renewed;
    else await this.#register(signal);
  }
}
