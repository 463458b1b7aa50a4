/**
 * What `/metrics` serves, in the Prometheus text format, rendered by prom-client: requests,
 * the catalog, the store and the process. No label carries a service name or an instance id,
 * so the number of series stays bounded whatever clients register.
 *
 * The composition root wires it in three places: {@link Metrics.measureStore} wraps the store
 * before the registry gets it, {@link Metrics.measureCatalog} follows the registry and the
 * watchers, and `createApp({ metrics })` times requests (src/middleware/metrics.ts).
 *
 * @module
 */

import { Counter, Gauge, Registry as PrometheusRegistry } from "prom-client";
import type { ChangeType, HeartbeatCounts, PauseCounts, Store } from "../../stores/store.ts";
import type { Registry } from "../registry.ts";
import type { Watchers } from "../watch.ts";
import { LabelledHistogram } from "./histogram.ts";
import { type ProcessMetricsOptions, registerProcessMetrics } from "./process.ts";
import { measuredStore, STORE_OPERATIONS } from "./store.ts";

export type RequestLabel = "route" | "method" | "status";

/** Seconds; long-polls answer after up to 5 minutes, so the buckets reach that far. */
const REQUEST_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
/** Seconds; the memory store answers in microseconds, a database in milliseconds. */
const STORE_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const CHANGES: Record<ChangeType, { name: string; help: string }> = {
  register: { name: "srsr_registrations_total", help: "Instances registered." },
  deregister: { name: "srsr_deregistrations_total", help: "Instances deregistered." },
  expire: { name: "srsr_expiries_total", help: "Instances removed because their TTL ran out without a heartbeat." },
  update: { name: "srsr_updates_total", help: "Metadata updates that changed an instance." },
};

export type MetricsOptions = ProcessMetricsOptions;

export class Metrics {
  /** The `Content-Type` of {@link scrape}'s text. */
  readonly contentType: string;
  /** Request durations by route template (`unmatched` for none), method and status. */
  readonly requests: LabelledHistogram<RequestLabel>;
  readonly #prometheus = new PrometheusRegistry();
  readonly #storeDurations: LabelledHistogram<"operation">;
  readonly #storeErrors: Counter<"operation">;
  /** Heartbeats answered, counted by the store: pass it as `StoreOptions.heartbeatCounts`. */
  readonly heartbeatCounts: HeartbeatCounts = { renewed: 0, unknown: 0 };
  /** Pauses noticed by a store that keeps its own clock: pass it as `StoreOptions.pauseCounts`. */
  readonly pauseCounts: PauseCounts = { pauses: 0, pausedMs: 0 };
  readonly #changes: Record<ChangeType, Counter>;
  readonly #instances: Gauge;
  readonly #services: Gauge;
  readonly #beforeScrape: () => Promise<void>;
  #catalog: { registry: Registry; watchers: Watchers; unsubscribe: () => void } | undefined;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.#prometheus];
    this.contentType = this.#prometheus.contentType;
    this.requests = new LabelledHistogram({
      name: "srsr_http_request_duration_seconds",
      help: "HTTP requests by route template, method and status: seconds from arrival to the response's headers.",
      labelNames: ["route", "method", "status"],
      buckets: REQUEST_BUCKETS,
      registry: this.#prometheus,
    });
    this.#storeDurations = new LabelledHistogram({
      name: "srsr_store_operation_duration_seconds",
      help: "Store operations that wait on the backend (writes, the expiry sweep, readiness), failed ones included.",
      labelNames: ["operation"],
      buckets: STORE_BUCKETS,
      registry: this.#prometheus,
    });
    this.#storeErrors = new Counter({
      name: "srsr_store_errors_total",
      help: "Store operations that failed for a reason of the store's own (a lost file, a refused write), by operation.",
      labelNames: ["operation"],
      registers,
    });
    for (const operation of STORE_OPERATIONS) this.#storeErrors.inc({ operation }, 0);
    const heartbeats = this.heartbeatCounts;
    // Counted in plain numbers by the store, as heartbeats are a hot path, and handed over at scrape time.
    new Counter({
      name: "srsr_heartbeats_total",
      help: "Heartbeats, by result: renewed a live instance, or named an unknown or expired one.",
      labelNames: ["result"],
      registers,
      collect() {
        this.reset();
        this.inc({ result: "renewed" }, heartbeats.renewed);
        this.inc({ result: "unknown" }, heartbeats.unknown);
      },
    });
    const pauses = this.pauseCounts;
    new Counter({
      name: "srsr_pauses_total",
      help: "Times srsr noticed it had not been running (stopped, paused, its event loop stalled) and extended every lease by the gap.",
      registers,
      collect() {
        this.reset();
        this.inc(pauses.pauses);
      },
    });
    new Counter({
      name: "srsr_paused_seconds_total",
      help: "Seconds srsr was not running, as it noticed them: every lease was extended by as much.",
      registers,
      collect() {
        this.reset();
        this.inc(pauses.pausedMs / 1000);
      },
    });
    this.#changes = Object.fromEntries(
      Object.entries(CHANGES).map(([type, { name, help }]) => [type, new Counter({ name, help, registers })]),
    ) as Record<ChangeType, Counter>;
    this.#instances = new Gauge({ name: "srsr_instances", help: "Live instances.", registers });
    this.#services = new Gauge({ name: "srsr_services", help: "Service names with at least one live instance.", registers });
    const watchers = () => this.#catalog?.watchers;
    new Gauge({
      name: "srsr_open_long_polls",
      help: "Long-polls (blocking reads) being held.",
      registers,
      collect() {
        this.set(watchers()?.longPolls ?? 0);
      },
    });
    new Gauge({
      name: "srsr_open_event_streams",
      help: "Server-Sent Event streams open.",
      registers,
      collect() {
        this.set(watchers()?.streams ?? 0);
      },
    });
    this.#beforeScrape = registerProcessMetrics(this.#prometheus, options);
  }

  /** `store` with its writes, expiry and readiness timed and their failures counted. */
  measureStore(store: Store): Store {
    return measuredStore(store, {
      durations: this.#storeDurations,
      failed: (operation) => this.#storeErrors.inc({ operation }),
    });
  }

  /** Counts the registry's changes from now on, and reads its size and the watchers at each scrape. */
  measureCatalog(registry: Registry, watchers: Watchers): void {
    this.#catalog?.unsubscribe();
    const unsubscribe = registry.subscribe((changes) => {
      for (const { type } of changes) this.#changes[type].inc();
    });
    this.#catalog = { registry, watchers, unsubscribe };
  }

  /** Everything, in the Prometheus text format ({@link contentType}). */
  async scrape(): Promise<string> {
    await this.#beforeScrape();
    if (this.#catalog) {
      // One scan for both gauges, so they agree with each other.
      const { services } = await this.#catalog.registry.services();
      this.#services.set(services.length);
      this.#instances.set(services.reduce((sum, service) => sum + service.instances, 0));
    }
    return await this.#prometheus.metrics();
  }

  /** Stops following the registry. */
  close(): void {
    this.#catalog?.unsubscribe();
    this.#catalog = undefined;
  }
}
