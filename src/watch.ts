/**
 * Where long-polls and event streams wait: parked until a change to a name they watch is
 * committed (and their condition holds), their time is up, or their client goes away. A
 * change to `payments` never wakes a waiter on `billing`.
 *
 * Each waiter owns one timer and one abort listener, released on every way out; `waiting` and
 * `timers` count what is held, so tests can check that clients who leave leave nothing behind.
 *
 * @module
 */

import type { Change, ChangeListener } from "../stores/store.ts";

export interface WaitOptions {
  /** Names whose changes wake the wait; every change when omitted. */
  names?: ReadonlySet<string>;
  /** Ends the wait early: the client went away. */
  signal?: AbortSignal;
  /** Gives up after this many milliseconds. */
  timeoutMs: number;
}

/** How a wait ended. */
export type WaitOutcome = "ready" | "timeout" | "aborted" | "closed";

interface Waiter {
  ready: () => boolean;
  settle: (outcome: WaitOutcome) => void;
}

export class Watchers {
  readonly #byName = new Map<string, Set<Waiter>>();
  readonly #everything = new Set<Waiter>();
  readonly #unsubscribe: () => void;
  #waiting = 0;
  #timers = 0;
  #longPolls = 0;
  #streams = 0;
  #closed = false;

  /** `subscribe` is the catalog's change feed (Registry.subscribe). */
  constructor(subscribe: (listener: ChangeListener) => () => void) {
    this.#unsubscribe = subscribe((changes) => this.#wake(changes));
  }

  /** Waiters parked now. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Timers those waiters hold. */
  get timers(): number {
    return this.#timers;
  }

  /** Long-polls being held. */
  get longPolls(): number {
    return this.#longPolls;
  }

  /** Event streams open. */
  get streams(): number {
    return this.#streams;
  }

  /** Counts a long-poll until the returned function is called. */
  trackLongPoll(): () => void {
    return this.#track(+1, (delta) => (this.#longPolls += delta));
  }

  /** Counts an event stream until the returned function is called. */
  trackStream(): () => void {
    return this.#track(+1, (delta) => (this.#streams += delta));
  }

  #track(delta: number, add: (delta: number) => void): () => void {
    add(delta);
    let done = false;
    return () => {
      if (!done) add(-delta);
      done = true;
    };
  }

  /**
   * Resolves `"ready"` as soon as `ready()` holds: checked at once, then after every change to
   * `names`. Otherwise `"timeout"`, `"aborted"` or (on {@link close}, or at once after it)
   * `"closed"`.
   */
  until(ready: () => boolean, { names, signal, timeoutMs }: WaitOptions): Promise<WaitOutcome> {
    if (signal?.aborted) return Promise.resolve("aborted");
    if (ready()) return Promise.resolve("ready");
    // A request that was still being read when the server began shutting down does not park.
    if (this.#closed) return Promise.resolve("closed");
    return new Promise((resolve) => {
      const sets = names === undefined ? [this.#everything] : [...names].map((name) => this.#setOf(name));
      const onAbort = () => settle("aborted");
      const timer = setTimeout(() => settle("timeout"), timeoutMs);
      this.#timers++;
      this.#waiting++;
      let settled = false;
      const settle = (outcome: WaitOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#timers--;
        this.#waiting--;
        signal?.removeEventListener("abort", onAbort);
        for (const set of sets) set.delete(waiter);
        if (names !== undefined) for (const name of names) if (this.#byName.get(name)?.size === 0) this.#byName.delete(name);
        resolve(outcome);
      };
      const waiter: Waiter = { ready, settle };
      for (const set of sets) set.add(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Ends every wait with `"closed"` and stops listening: the server is shutting down. */
  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    const all = new Set(this.#everything);
    for (const set of this.#byName.values()) for (const waiter of set) all.add(waiter);
    for (const waiter of all) waiter.settle("closed");
  }

  #setOf(name: string): Set<Waiter> {
    let set = this.#byName.get(name);
    if (!set) this.#byName.set(name, (set = new Set()));
    return set;
  }

  #wake(changes: readonly Change[]): void {
    const woken = new Set<Waiter>(this.#everything);
    for (const { instance } of changes) {
      const set = this.#byName.get(instance.name);
      if (set) for (const waiter of set) woken.add(waiter);
    }
    for (const waiter of woken) if (waiter.ready()) waiter.settle("ready");
  }
}
