/**
 * The clock the memory and SQLite stores decide expiry by when none is injected: milliseconds
 * since the Unix epoch as read once, when the clock starts, and advanced from then by a
 * monotonic clock, so that a step of the wall clock (+60 s from NTP) moves no lease. It also
 * stands still while srsr was not running — a SIGSTOP, a VM pause, an event loop stalled by a
 * collector — so that srsr's own outage is not blamed on clients that could not reach it.
 *
 * How it knows: a watchdog timer reads it every `tickMs`, and every read (a request, the sweep,
 * the watchdog) notes when srsr was last seen running. A read that finds srsr unseen for longer
 * than `tickMs + slackMs` knows that the watchdog could not fire meanwhile: srsr did not run.
 * The whole gap since it was last seen is then added to the time the clock stands still, before
 * that read returns, so the first decision taken after the pause (a heartbeat, a lookup, the
 * sweep, in whatever order the runtime runs them) already sees every lease extended by exactly
 * the gap. Extending is O(1): leases are not touched, the clock is. The gap counted is at most
 * one watchdog interval more than the pause itself (srsr may have been idle for part of it),
 * which errs for the clients. A shared database store takes its time from the database instead,
 * which no node's pause stops, and needs none of this.
 *
 * The price: the times a store stamps (`registeredAt`, `expiresAt`) trail the wall clock by
 * the pauses since srsr started, and follow no wall-clock step made since.
 *
 * @module
 */

import type { StoreOptions } from "../store.ts";

/** A pause srsr noticed: how long it was not seen running, in milliseconds. */
export type PauseListener = (gapMs: number) => void;

export interface LeaseClockOptions {
  /** Milliseconds, monotonic, any origin. @default performance.now */
  monotonic?: () => number;
  /** Milliseconds since the Unix epoch, read once at construction. @default Date.now */
  wall?: () => number;
  /** Milliseconds between watchdog reads. @default 100 */
  tickMs?: number;
  /** How late the watchdog may be before its absence means srsr was not running. @default 100 */
  slackMs?: number;
  /** Called after every pause noticed, with its length. @default none */
  onPause?: PauseListener;
}

export class LeaseClock {
  readonly #monotonic: () => number;
  readonly #tickMs: number;
  readonly #slackMs: number;
  /** Unseen for longer than this, srsr was not running; infinite while the watchdog is stopped. */
  #limitMs = Number.POSITIVE_INFINITY;
  readonly #onPause: PauseListener | undefined;
  /** The epoch time of monotonic zero. */
  readonly #origin: number;
  /** Milliseconds the clock has stood still, in all. */
  #stoodMs = 0;
  /** The monotonic time of the latest read. */
  #lastSeen: number;
  #watchdog: ReturnType<typeof setInterval> | undefined;

  constructor({ monotonic = () => performance.now(), wall = Date.now, tickMs = 100, slackMs = 100, onPause }: LeaseClockOptions = {}) {
    this.#monotonic = monotonic;
    this.#tickMs = tickMs;
    this.#slackMs = slackMs;
    this.#onPause = onPause;
    this.#lastSeen = monotonic();
    this.#origin = wall() - this.#lastSeen;
  }

  /** Integer milliseconds since the epoch, never decreasing; for `StoreOptions.now`. */
  readonly now = (): number => {
    const at = this.#monotonic();
    if (at - this.#lastSeen > this.#limitMs) this.#stoodStill(at);
    this.#lastSeen = at;
    return Math.floor(this.#origin + at - this.#stoodMs);
  };

  /** Milliseconds the clock has stood still since it was made. */
  get pausedMs(): number {
    return this.#stoodMs;
  }

  /**
   * Starts the watchdog. Until then nothing is taken for a pause: a store calls it once loaded,
   * so the time a large file takes to load is not reported as one.
   */
  start(): void {
    if (this.#watchdog !== undefined) return;
    this.#lastSeen = this.#monotonic();
    this.#limitMs = this.#tickMs + this.#slackMs;
    this.#watchdog = setInterval(this.now, this.#tickMs);
    // It must not keep a process alive that has nothing else to do (a test, a closing server).
    (this.#watchdog as { unref?: () => void }).unref?.();
  }

  /** Stops the watchdog; reads go on, and notice no more pauses. */
  stop(): void {
    clearInterval(this.#watchdog);
    this.#watchdog = undefined;
    this.#limitMs = Number.POSITIVE_INFINITY;
  }

  #stoodStill(at: number): void {
    const gapMs = at - this.#lastSeen;
    this.#stoodMs += gapMs;
    this.#onPause?.(gapMs);
  }
}

/** A lease clock that counts its pauses into `pauseCounts` and logs each as a warning. */
export function reportingLeaseClock(
  { logger, pauseCounts }: Pick<StoreOptions, "logger" | "pauseCounts">,
  options: Omit<LeaseClockOptions, "onPause"> = {},
): LeaseClock {
  return new LeaseClock({
    ...options,
    onPause: (gapMs) => {
      if (pauseCounts) {
        pauseCounts.pauses++;
        pauseCounts.pausedMs += gapMs;
      }
      logger?.warn(
        `srsr was not running for ${(gapMs / 1000).toFixed(3)} s (stopped, paused, or its event loop stalled): ` +
          "every lease is extended by that much, so no instance expires for it",
      );
    },
  });
}
