/**
 * The domain: register, look up (a random live instance), heartbeat, deregister, expire.
 * It knows only the {@link Store} contract, takes its clock from outside, and publishes every
 * change to subscribers (the logger today; watches and metrics later).
 *
 * @module
 */

import type { Instance, Store } from "../stores/store.ts";
import { type Logger, silentLogger } from "./logger.ts";

/** Milliseconds since the Unix epoch. */
export type Clock = () => number;

export type RegistryEvent =
  | { type: "register"; instance: Instance }
  | { type: "deregister"; instance: Instance }
  | { type: "expire"; instance: Instance };

export interface RegistryOptions {
  /** Seconds an instance lives after it registers or heartbeats. @default 30 */
  timeout?: number;
  /** @default Date.now */
  now?: Clock;
  /** @default silentLogger */
  logger?: Logger;
  /** Returns a float in [0, 1), for picking among instances. @default Math.random */
  random?: () => number;
  /**
   * Most instances one sweep slice removes before yielding to requests. @default 500: with
   * an `expire` line logged for each, a slice of 500 holds the event loop for a few ms; at 2000
   * lookups waiting behind a 100k-instance expiry came within a few ms of the 50 ms budget.
   */
  sweepSliceSize?: number;
}

export interface Registration {
  name: string;
  address: string;
}

const yieldToRequests = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class Registry {
  readonly #store: Store;
  readonly timeoutMs: number;
  readonly #now: Clock;
  readonly #logger: Logger;
  readonly #random: () => number;
  readonly #sweepSliceSize: number;
  readonly #listeners = new Set<(event: RegistryEvent) => void>();
  #sweeping = false;

  constructor(
    store: Store,
    { timeout = 30, now = Date.now, logger = silentLogger, random = Math.random, sweepSliceSize = 500 }:
      RegistryOptions = {},
  ) {
    this.#store = store;
    this.timeoutMs = timeout * 1000;
    this.#now = now;
    this.#logger = logger;
    this.#random = random;
    this.#sweepSliceSize = sweepSliceSize;
  }

  async register({ name, address }: Registration): Promise<Instance> {
    const now = this.#now();
    const instance: Instance = {
      id: crypto.randomUUID(),
      name,
      address,
      registeredAt: now,
      expiresAt: now + this.timeoutMs,
    };
    await this.#store.add(instance);
    this.#logger.info(`register ${name} ${address} id=${instance.id}`);
    this.#publish({ type: "register", instance });
    return instance;
  }

  /** Removes one instance; `false` when it is unknown or had already expired. */
  async deregister(id: string): Promise<boolean> {
    const instance = await this.#store.remove(id);
    if (!instance) return false;
    if (instance.expiresAt <= this.#now()) {
      this.#expired(instance);
      return false;
    }
    this.#logger.info(`deregister ${instance.name} ${instance.address} id=${id}`);
    this.#publish({ type: "deregister", instance });
    return true;
  }

  /** A live instance of `name` chosen uniformly at random, or `undefined`. */
  async lookup(name: string): Promise<Instance | undefined> {
    return pickInstance(await this.#store.instancesOf(name), this.#now(), this.#random);
  }

  /** Renews a live instance's expiry; `false` when it is unknown or already expired. */
  async heartbeat(id: string): Promise<boolean> {
    const now = this.#now();
    return (await this.#store.renew(id, now + this.timeoutMs, now)) !== undefined;
  }

  /**
   * Removes every instance expired by now, in slices that yield to the event loop between
   * them so a mass expiry does not stall requests. Returns how many expired. Overlapping
   * calls return 0 at once rather than sweeping twice.
   */
  async sweep(): Promise<number> {
    if (this.#sweeping) return 0;
    this.#sweeping = true;
    try {
      let count = 0;
      for (;;) {
        const expired = await this.#store.takeExpired(this.#now(), this.#sweepSliceSize);
        for (const instance of expired) this.#expired(instance);
        count += expired.length;
        if (expired.length < this.#sweepSliceSize) return count;
        await yieldToRequests();
      }
    } finally {
      this.#sweeping = false;
    }
  }

  /**
   * Sweeps every `intervalMs` until the returned function is called. Lookups never see expired
   * instances anyway; the interval only bounds how late the expiry is logged and published.
   */
  startSweeping(intervalMs: number = Math.min(1000, Math.max(50, this.timeoutMs / 4))): () => void {
    const timer = setInterval(() => {
      this.sweep().catch((error) => this.#logger.error(`expiry sweep failed: ${error}`));
    }, intervalMs);
    return () => clearInterval(timer);
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: (event: RegistryEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #expired(instance: Instance): void {
    this.#logger.info(`expire ${instance.name} ${instance.address} id=${instance.id}`);
    this.#publish({ type: "expire", instance });
  }

  #publish(event: RegistryEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}

/**
 * A uniformly random live instance among `instances`, or `undefined` if none is live.
 * The common case (the first draw is live) costs O(1); expired instances awaiting the sweep
 * only cost a filtering pass when the draw lands on one.
 */
export function pickInstance(
  instances: readonly Instance[],
  now: number,
  random: () => number = Math.random,
): Instance | undefined {
  if (instances.length === 0) return undefined;
  const first = instances[Math.floor(random() * instances.length)];
  if (first.expiresAt > now) return first;
  const live = instances.filter((instance) => instance.expiresAt > now);
  return live.length === 0 ? undefined : live[Math.floor(random() * live.length)];
}
