/**
 * A store that times the operations of the one it wraps that wait on its backend and counts
 * their failures, for `/metrics`; everything else passes straight through.
 *
 * Timed: the writes, the expiry sweep and the readiness round trip. Not timed: reads and
 * heartbeats, which every backend answers from memory (the SQLite store reads its in-memory
 * catalog and writes no heartbeats): timing them would measure the timer, and the extra promise
 * and clock reads would cost a lookup a few percent of its CPU. The request histogram times
 * them end to end. A backend whose reads leave the process should have them timed here.
 *
 * A failure is the store's own (a disk that refuses writes, a lost file, a database out of
 * reach): a refusal the caller asked for (a limit in `admit`, a patch refused in `update`) or a
 * duplicate id is not one.
 *
 * @module
 */

import { DuplicateIdError } from "../../stores/errors.ts";
import type {
  ChangeBatch,
  ChangeListener,
  Instance,
  InstanceList,
  MetaFilter,
  NewInstance,
  ServiceList,
  Store,
  StoreSizes,
} from "../../stores/store.ts";
import type { LabelledHistogram, Series } from "./histogram.ts";

/** The operations timed, as their `operation` label. */
export const STORE_OPERATIONS = ["register", "deregister", "update_meta", "expire", "ready"] as const;

export type StoreOperation = (typeof STORE_OPERATIONS)[number];

export interface StoreInstruments {
  /** Seconds per operation, failed ones included, by `operation`. */
  durations: LabelledHistogram<"operation">;
  /** Called once for each operation that failed for a reason of the store's own. */
  failed: (operation: StoreOperation) => void;
}

const seconds = (started: number) => (performance.now() - started) / 1000;
const isObject = (value: unknown): value is object => typeof value === "object" && value !== null;

class MeasuredStore implements Store {
  readonly #store: Store;
  readonly #series: Record<StoreOperation, Series>;
  readonly #failed: (operation: StoreOperation) => void;
  /** What the caller's own `admit` and `update` threw: refusals, not failures. */
  readonly #refusals = new WeakSet<object>();

  constructor(store: Store, { durations, failed }: StoreInstruments) {
    this.#store = store;
    this.#series = Object.fromEntries(STORE_OPERATIONS.map((operation) => [operation, durations.series(operation)])) as Record<
      StoreOperation,
      Series
    >;
    this.#failed = failed;
  }

  get description(): string {
    return this.#store.description;
  }

  index(): number {
    return this.#store.index();
  }

  nameIndex(name: string): number {
    return this.#store.nameIndex(name);
  }

  reapedIndex(): number {
    return this.#store.reapedIndex();
  }

  register(instance: NewInstance, admit?: (sizes: StoreSizes) => void): Promise<Instance> {
    return this.#timed("register", () => this.#store.register(instance, admit && this.#refusing(admit)));
  }

  deregister(id: string): Promise<Instance | undefined> {
    return this.#timed("deregister", () => this.#store.deregister(id));
  }

  /** Not counted here: the store counts heartbeats itself (StoreOptions.heartbeatCounts). */
  heartbeat(id: string): Promise<Instance | undefined> {
    return this.#store.heartbeat(id);
  }

  updateMeta(id: string, update: (meta: Instance["meta"]) => Instance["meta"]): Promise<Instance | undefined> {
    return this.#timed("update_meta", () => this.#store.updateMeta(id, this.#refusing(update)));
  }

  get(id: string): Promise<Instance | undefined> {
    return this.#store.get(id);
  }

  list(name: string, filter?: MetaFilter): Promise<InstanceList> {
    return this.#store.list(name, filter);
  }

  pick(name: string, random: () => number, filter?: MetaFilter): Promise<Instance | undefined> {
    return this.#store.pick(name, random, filter);
  }

  services(): Promise<ServiceList> {
    return this.#store.services();
  }

  snapshot(names?: ReadonlySet<string>): Promise<InstanceList> {
    return this.#store.snapshot(names);
  }

  changesSince(index: number, names?: ReadonlySet<string>): Promise<ChangeBatch | undefined> {
    return this.#store.changesSince(index, names);
  }

  expire(limit: number): Promise<{ expired: number; more: boolean }> {
    return this.#timed("expire", () => this.#store.expire(limit));
  }

  subscribe(listener: ChangeListener): () => void {
    return this.#store.subscribe(listener);
  }

  ready(): Promise<void> {
    return this.#timed("ready", () => this.#store.ready());
  }

  close(): Promise<void> {
    return this.#store.close();
  }

  /** What `operation` answers, its seconds observed and a failure of the store's own counted. */
  #timed<T>(operation: StoreOperation, call: () => Promise<T>): Promise<T> {
    const series = this.#series[operation];
    const started = performance.now();
    return call().then(
      (value) => {
        series.observe(seconds(started));
        return value;
      },
      (error: unknown) => {
        series.observe(seconds(started));
        const refused = error instanceof DuplicateIdError || (isObject(error) && this.#refusals.has(error));
        if (!refused) this.#failed(operation);
        throw error;
      },
    );
  }

  /** `check`, noting what it throws as a refusal. */
  #refusing<A extends unknown[], R>(check: (...args: A) => R): (...args: A) => R {
    return (...args) => {
      try {
        return check(...args);
      } catch (error) {
        if (isObject(error)) this.#refusals.add(error);
        throw error;
      }
    };
  }
}

/**
 * `store`, with its backend's operations timed into `durations`, failures and heartbeats reported.
 *
 * @example
 * ```ts
 * const registry = new Registry(measuredStore(await openStore("memory"), instruments));
 * ```
 */
export function measuredStore(store: Store, instruments: StoreInstruments): Store {
  return new MeasuredStore(store, instruments);
}
