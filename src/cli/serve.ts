/**
 * `srsr serve` (and `srsr` with only flags): composes config -> store -> registry -> app ->
 * runtime, serves until SIGINT or SIGTERM, then shuts down cleanly.
 *
 * @module
 */

import process from "node:process";
import { openStore } from "../../stores/open.ts";
import { joinHostPort } from "../address.ts";
import { createApp } from "../app.ts";
import { isLoopbackName } from "../middleware/browser_guard.ts";
import { loadTokens } from "../auth_tokens.ts";
import type { Config } from "../config.ts";
import { RUNTIME_BODY_CAP_BYTES } from "../http.ts";
import { createLogger } from "../logger.ts";
import { Metrics } from "../metrics/metrics.ts";
import { Registry } from "../registry.ts";
import type { Runtime } from "../runtime/types.ts";
import { Watchers } from "../watch.ts";
import { readTlsFiles } from "./tls_files.ts";

/**
 * Starts serving; resolves once listening. Throws `ListenError`, `StoreSpecError`,
 * `TlsFileError` or `TokenFileError` when it cannot.
 */
export async function serve(config: Config, runtime: Runtime): Promise<void> {
  // Before the store opens: a bad certificate must not leave a SQLite file created or migrated.
  const tls = config.tls && (await readTlsFiles(config.tls));
  const tokens = await loadTokens(config);
  const logger = createLogger(config.logLevel, undefined, { format: config.logFormat });
  const metrics = config.metrics ? new Metrics() : undefined;
  const store = await openStore(config.store, {
    defaultTtl: config.timeout,
    logger,
    openSqlite: runtime.openSqlite,
    heartbeatCounts: metrics?.heartbeatCounts,
    pauseCounts: metrics?.pauseCounts,
  });
  const registry = new Registry(metrics ? metrics.measureStore(store) : store, {
    defaultTtl: config.timeout,
    maxTtl: config.maxTtl,
    maxInstances: config.maxInstances,
    maxInstancesPerName: config.maxInstancesPerName,
    logger,
  });
  const watchers = new Watchers((listener) => registry.subscribe(listener));
  metrics?.measureCatalog(registry, watchers);
  const app = createApp({
    registry,
    watchers,
    logger,
    clientIp: runtime.clientIp,
    trustProxy: config.trustProxy,
    trustedProxies: config.trustedProxies,
    corsOrigins: config.corsOrigins,
    loopbackOnly: isLoopbackName(config.host),
    holdOpen: runtime.holdOpen,
    auth: tokens && { tokens, openReads: config.openReads },
    metrics,
  });

  let listener;
  try {
    listener = runtime.serve(app, {
      port: config.port,
      hostname: config.host,
      maxBodyBytes: RUNTIME_BODY_CAP_BYTES,
      maxConnectionsPerIp: config.maxConnectionsPerIp,
      tls,
      onListenAgain: (error) => {
        logger.error("stopped accepting connections; listening again (out of file descriptors? raise ulimit -n or LimitNOFILE)", {
          error,
        });
      },
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  const stopSweeping = registry.startSweeping();
  const url = `${tls ? "https" : "http"}://${joinHostPort(config.host, config.port)}`;
  logger.announce(`srsr listening on ${url} (store: ${store.description}, timeout: ${config.timeout}s)`);
  if (!tokens) logger.announce(`srsr: no --token-file: anyone who can reach ${url} can register and deregister`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    stopSweeping();
    // Waiting long-polls and event streams end now, each answering with the current state.
    watchers.close();
    await listener.stop();
    await store.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}
