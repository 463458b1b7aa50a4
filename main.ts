/**
 * srsr, the Really Simple Service Registry: read flags and environment, open the store,
 * serve the app, and shut down cleanly on SIGINT/SIGTERM.
 *
 * Exit codes: 0 after a clean shutdown, 1 when the server cannot start or run, 2 for bad usage.
 *
 * @module
 */

import process from "node:process";
import { openStore, StoreSpecError } from "./stores/store.ts";
import { createApp } from "./src/app.ts";
import { type Config, HELP, parseFlags, UsageError } from "./src/config.ts";
import { createLogger } from "./src/logger.ts";
import { Registry } from "./src/registry.ts";
import { ListenError, runtime } from "./src/runtime.ts";
import { versionLine } from "./src/version.ts";

async function serve(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  const store = await openStore(config.store, { timeout: config.timeout, logger });
  const registry = new Registry(store, { timeout: config.timeout, logger });
  const app = createApp({ registry, logger, clientIp: runtime.clientIp, trustProxy: config.trustProxy });

  let listener;
  try {
    listener = runtime.serve(app, { port: config.port, hostname: config.host });
  } catch (error) {
    await store.close();
    throw error;
  }
  const stopSweeping = registry.startSweeping();
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  console.error(`srsr listening on http://${host}:${config.port} (store: ${store.description}, timeout: ${config.timeout}s)`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: shutting down`);
    stopSweeping();
    await listener.stop();
    await store.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

async function main(args: string[]): Promise<number | undefined> {
  let command;
  try {
    command = parseFlags(args, process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`srsr: ${error.message}`);
    return 2;
  }
  switch (command.kind) {
    case "help":
      console.log(HELP);
      return 0;
    case "version":
      console.log(versionLine());
      return 0;
    case "serve":
      try {
        await serve(command.config);
        return undefined; // keep serving until a signal
      } catch (error) {
        if (error instanceof ListenError || error instanceof StoreSpecError) {
          console.error(`srsr: ${error.message}`);
          return 1;
        }
        console.error(`srsr: failed to start: ${(error as Error).stack ?? error}`);
        return 1;
      }
  }
}

const code = await main(process.argv.slice(2));
if (code !== undefined) process.exit(code);
