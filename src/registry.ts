/**
 * The domain policy between the API surfaces and the catalog: ids, TTL defaults and limits,
 * meta patches, picking an instance, the expiry sweep, and the log lines of every change. It
 * knows only the {@link Store} contract; the store owns the clock and decides expiry.
 *
 * @module
 */

import type {
  ChangeBatch,
  ChangeListener,
  Instance,
  InstanceList,
  MetaFilter,
  ServiceList,
  Store,
  StoreSizes,
} from "../stores/store.ts";
import { type Logger, silentLogger } from "./logger.ts";
import { META_LIMITS } from "./wire/fields.ts";

/** Input the domain refuses although its shape is right: answered `400 {"error": message}`. */
export class InvalidInputError extends Error {
  override name = "InvalidInputError";
}

/** A register past `--max-instances` or `--max-instances-per-name`: answered `429 {"error": message}`. */
export class LimitExceededError extends Error {
  override name = "LimitExceededError";
}

export interface RegistryOptions {
  /** TTL, in seconds, of registrations that do not give one (all legacy ones). @default 30 */
  defaultTtl?: number;
  /** Largest TTL a registration may ask for, in seconds. @default 3600 */
  maxTtl?: number;
  /** Most instances stored at once (expired ones awaiting the sweep count). @default 1_000_000 */
  maxInstances?: number;
  /** Most instances stored of one name. @default 10_000 */
  maxInstancesPerName?: number;
  /** @default silentLogger */
  logger?: Logger;
  /** Returns a float in [0, 1), for picking among instances. @default Math.random */
  random?: () => number;
  /**
   * Most expiry candidates one sweep slice handles before yielding to requests. @default 500:
   * with an `expire` line logged for each, a slice of 500 holds the event loop for a few ms.
   */
  sweepSliceSize?: number;
}

export interface Registration {
  name: string;
  address: string;
  /** @default {} */
  meta?: Readonly<Record<string, string>>;
  /** Seconds. @default the registry's defaultTtl */
  ttl?: number;
}

const yieldToRequests = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Applies a JSON merge patch (RFC 7396) to flat string meta: a string sets, `null` removes. */
export function mergeMeta(
  meta: Readonly<Record<string, string>>,
  patch: Readonly<Record<string, string | null>>,
): Record<string, string> {
  const merged: Record<string, string> = { ...meta };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

/** The check a register passes, atomically with its insert, to stay within the limits. */
function admitWithin(maxInstances: number, maxInstancesPerName: number) {
  const instances = (count: number) => `${count} instance${count === 1 ? "" : "s"}`;
  return ({ total, ofName }: StoreSizes, name: string) => {
    if (ofName >= maxInstancesPerName) {
      throw new LimitExceededError(
        `name: ${name} has ${instances(ofName)}, the limit (--max-instances-per-name); deregister some or raise the limit`,
      );
    }
    if (total >= maxInstances) {
      throw new LimitExceededError(
        `instances: srsr holds ${instances(total)}, the limit (--max-instances); deregister some or raise the limit`,
      );
    }
  };
}

export class Registry {
  readonly #store: Store;
  readonly defaultTtl: number;
  readonly maxTtl: number;
  readonly #admit: (sizes: StoreSizes, name: string) => void;
  readonly #logger: Logger;
  readonly #random: () => number;
  readonly #sweepSliceSize: number;
  #sweeping = false;

  constructor(
    store: Store,
    {
      defaultTtl = 30,
      maxTtl = 3600,
      maxInstances = 1_000_000,
      maxInstancesPerName = 10_000,
      logger = silentLogger,
      random = Math.random,
      sweepSliceSize = 500,
    }: RegistryOptions = {},
  ) {
    this.#store = store;
    this.defaultTtl = defaultTtl;
    this.maxTtl = maxTtl;
    this.#admit = admitWithin(maxInstances, maxInstancesPerName);
    this.#logger = logger;
    this.#random = random;
    this.#sweepSliceSize = sweepSliceSize;
    store.subscribe((changes) => {
      for (const { type, instance: { name, address, id } } of changes) this.#logger.info(type, { name, address, id });
    });
  }

  /** What `--store` said, for the start-up line. */
  get storeDescription(): string {
    return this.#store.description;
  }

  /** Resolves when the store takes a real round trip; rejects saying why it cannot (readiness). */
  ready(): Promise<void> {
    return this.#store.ready();
  }

  /**
   * Registers a new instance; throws {@link InvalidInputError} for a TTL past the maximum, and
   * {@link LimitExceededError} (storing nothing) when the registry or the name is full.
   */
  async register({ name, address, meta = {}, ttl }: Registration): Promise<Instance> {
    if (ttl !== undefined && ttl > this.maxTtl) {
      throw new InvalidInputError(`ttl: must be at most ${this.maxTtl} seconds (the server's --max-ttl)`);
    }
    const instance = { id: crypto.randomUUID(), name, address, meta, ttl: ttl ?? this.defaultTtl };
    return await this.#store.register(instance, (sizes) => this.#admit(sizes, name));
  }

  /** Removes a live instance; `undefined` when it is unknown, removed or expired. */
  deregister(id: string): Promise<Instance | undefined> {
    return this.#store.deregister(id);
  }

  /** Renews a live instance for its TTL; `undefined` when it is unknown or expired. */
  heartbeat(id: string): Promise<Instance | undefined> {
    return this.#store.heartbeat(id);
  }

  /** Merges `patch` into a live instance's meta; throws {@link InvalidInputError} past the key limit. */
  patchMeta(id: string, patch: Readonly<Record<string, string | null>>): Promise<Instance | undefined> {
    return this.#store.updateMeta(id, (meta) => {
      const merged = mergeMeta(meta, patch);
      const keys = Object.keys(merged).length;
      if (keys > META_LIMITS.keys) {
        throw new InvalidInputError(`meta: the patch would leave ${keys} keys; at most ${META_LIMITS.keys} are allowed`);
      }
      return merged;
    });
  }

  get(id: string): Promise<Instance | undefined> {
    return this.#store.get(id);
  }

  /** A live instance of `name` matching `filter`, chosen uniformly at random, or `undefined`. */
  pick(name: string, filter?: MetaFilter): Promise<Instance | undefined> {
    return this.#store.pick(name, this.#random, filter);
  }

  list(name: string, filter?: MetaFilter): Promise<InstanceList> {
    return this.#store.list(name, filter);
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

  /** The global index. */
  index(): number {
    return this.#store.index();
  }

  nameIndex(name: string): number {
    return this.#store.nameIndex(name);
  }

  reapedIndex(): number {
    return this.#store.reapedIndex();
  }

  /** Calls `listener` after every committed change; see {@link Store.subscribe}. */
  subscribe(listener: ChangeListener): () => void {
    return this.#store.subscribe(listener);
  }

  /**
   * Removes every expired instance, in slices that yield to the event loop between them so a
   * mass expiry does not stall requests. Returns how many expired. Overlapping calls return 0
   * at once rather than sweeping twice.
   */
  async sweep(): Promise<number> {
    if (this.#sweeping) return 0;
    this.#sweeping = true;
    try {
      let count = 0;
      for (;;) {
        const { expired, more } = await this.#store.expire(this.#sweepSliceSize);
        count += expired;
        if (!more) return count;
        await yieldToRequests();
      }
    } finally {
      this.#sweeping = false;
    }
  }

  /**
   * Sweeps every `intervalMs` until the returned function is called. Reads never see expired
   * instances anyway; the interval bounds how late an expiry is recorded, logged and watched.
   */
  startSweeping(intervalMs: number = Math.min(1000, Math.max(50, this.defaultTtl * 250))): () => void {
    const timer = setInterval(() => {
      this.sweep().catch((error) => this.#logger.error("expiry sweep failed", { error: String(error) }));
    }, intervalMs);
    return () => clearInterval(timer);
  }
}
