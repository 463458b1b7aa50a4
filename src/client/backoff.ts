/**
 * How long the client waits before retrying an unreachable registry: capped exponential
 * backoff with "equal jitter", so a fleet that lost the registry at the same moment does not
 * come back in lockstep, yet every wait still grows with the failures.
 *
 * @module
 */

export interface Backoff {
  /** Milliseconds before the first retry. @default 1_000 */
  initial?: number;
  /** Longest wait between retries, in milliseconds. @default 30_000 */
  max?: number;
}

export const DEFAULT_BACKOFF: Readonly<Required<Backoff>> = { initial: 1_000, max: 30_000 };

/**
 * The wait before retry number `failures + 1`: the capped base `initial * 2^failures`, of
 * which the upper half is random. `random` returns a float in [0, 1).
 */
export function backoffDelay(
  failures: number,
  { initial, max }: Required<Backoff>,
  random: () => number = Math.random,
): number {
  // Past 2^30 the base is capped anyway; stopping the exponent there keeps it finite.
  const base = Math.min(max, initial * 2 ** Math.min(failures, 30));
  return Math.round(base / 2 + random() * (base / 2));
}
