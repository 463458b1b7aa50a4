/**
 * Waiting until a service has enough live instances, built on the v1 long-poll: each answer
 * carries the name's index, and the next request asks the registry to hold its answer until
 * that index moves, so the wait wakes within milliseconds of the change and costs one request
 * per change, not one per tick of a timer. The registry going away (a restart, a network blip)
 * is waited out with backoff; a registry restarted with the memory store answers at once with
 * its new, lower index, which the wait takes up as it is.
 *
 * @module
 */

import type { WireInstance } from "./wire_types.ts";
import { type Backoff, backoffDelay } from "./backoff.ts";
import type { Instances, MetaFilter } from "./instances.ts";
import { checkDelay, type RetryInfo } from "./options.ts";
import { RegistryError } from "./request.ts";

export interface WaitForOptions {
  /** How many live instances are enough. @default 1 */
  count?: number;
  /** Milliseconds to wait at most. */
  timeout: number;
  /** Count only instances whose meta matches all of these. @default undefined (all) */
  meta?: MetaFilter;
  /** Aborting it rejects the wait with the signal's reason. */
  signal?: AbortSignal;
  /** Waits between attempts while the registry cannot be reached. @default { initial: 250, max: 5_000 } */
  backoff?: Backoff;
  /** Told of every failed attempt, which is retried after `retryIn` ms. @default nothing */
  onError?: (error: RegistryError, info: RetryInfo) => void;
}

/**
 * How a wait ended. `satisfied`: `instances` are the live instances that satisfied it. Not
 * satisfied: the time ran out; `instances` are the ones last seen live, and `unreachable` is
 * the error of the last attempt when that attempt could not reach the registry.
 */
export type WaitForResult =
  | { satisfied: true; instances: WireInstance[] }
  | { satisfied: false; instances: WireInstance[]; unreachable: RegistryError | undefined };

const DEFAULT_BACKOFF: Required<Backoff> = { initial: 250, max: 5_000 };

/** A registry that answered but cannot serve now (5xx), or none answered: worth asking again. */
const isTransient = (error: unknown) =>
  error instanceof RegistryError && (error.status === undefined || error.status >= 500 || error.status === 429);

export async function waitFor(
  instances: Instances,
  name: string,
  { count = 1, timeout, meta, signal, backoff = {}, onError = () => {} }: WaitForOptions,
): Promise<WaitForResult> {
  if (!(Number.isInteger(count) && count >= 1)) throw new TypeError(`count: must be an integer of at least 1, got ${count}`);
  checkDelay("timeout", timeout);
  const delays = { ...DEFAULT_BACKOFF, ...backoff };
  const deadline = Date.now() + timeout;
  // Aborted at the deadline, so a held long-poll or a backoff never outlasts the wait.
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(new Error("timed out")), timeout);
  const abort = () => stop.abort(signal?.reason);
  signal?.addEventListener("abort", abort, { once: true });
  if (signal?.aborted) abort();

  let index = 0;
  let seen: WireInstance[] = [];
  let unreachable: RegistryError | undefined;
  let failures = 0;
  try {
    while (!stop.signal.aborted) {
      try {
        const answer = await instances.list(name, { meta, index, wait: deadline - Date.now(), signal: stop.signal });
        unreachable = undefined;
        failures = 0;
        seen = answer.instances;
        if (seen.length >= count) return { satisfied: true, instances: seen };
        index = answer.index;
      } catch (error) {
        if (stop.signal.aborted) break;
        if (!isTransient(error)) throw error;
        const registryError = error as RegistryError;
        if (registryError.status === undefined) unreachable = registryError;
        const retryIn = backoffDelay(failures++, delays);
        onError(registryError, { retryIn });
        await sleep(retryIn, stop.signal);
      }
    }
    if (signal?.aborted) throw signal.reason;
    return { satisfied: false, instances: seen, unreachable };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", abort);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts; leaves no timer or listener behind. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
