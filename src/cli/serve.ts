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
import type { Config } from "../config.ts";
import { RUNTIME_BODY_CAP_BYTES } from "../http.ts";
import { createLogger } from "../logger.ts";
import { Registry } from "../registry.ts";
import type { Runtime } from "../runtime/types.ts";
import { Watchers } from "../watch.ts";

/** Starts serving; resolves once listening. Throws `ListenError` or `StoreSpecError` when it cannot. */
export async function serve(config: Config, runtime: Runtime): Promise<void> {
  const logger = createLogger(config.logLevel);
  const store = await openStore(config.store, { defaultTtl: config.timeout, logger, openSqlite: runtime.openSqlite });
  const registry = new Registry(store, { defaultTtl: config.timeout, maxTtl: config.maxTtl, logger });
  const watchers = new Watchers((listener) => registry.subscribe(listener));
  const app = createApp({
    registry,
    watchers,
    logger,
    clientIp: runtime.clientIp,
    trustProxy: config.trustProxy,
    holdOpen: runtime.holdOpen,
  });

  let listener;
  try {
    listener = runtime.serve(app, { port: config.port, hostname: config.host, maxBodyBytes: RUNTIME_BODY_CAP_BYTES });
  } catch (error) {
    await store.close();
    throw error;
  }
  const stopSweeping = registry.startSweeping();
  console.error(`srsr listening on http://${joinHostPort(config.host, config.port)} (store: ${store.description}, timeout: ${config.timeout}s)`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: shutting down`);
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
