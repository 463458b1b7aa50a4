/**
 * Command-line flags and `SRSR_*` environment variables -> {@link Config}. Pure: no process
 * access, so it is table-tested; `main.ts` prints a {@link UsageError} and exits 2.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { checkStoreSpec } from "../stores/open.ts";
import { LOG_LEVELS, type LogLevel } from "./logger.ts";

export interface Config {
  /** @default 4214 */
  port: number;
  /** @default "127.0.0.1" */
  host: string;
  /** Seconds without a heartbeat before an instance expires, unless it registered with its own TTL. @default 30 */
  timeout: number;
  /** Largest TTL a v1 registration may ask for, in seconds. @default 3600 */
  maxTtl: number;
  /** `memory` or `sqlite:PATH`. @default "memory" */
  store: string;
  /** Take client IPs from `X-Forwarded-For`. @default false */
  trustProxy: boolean;
  /** @default "info" */
  logLevel: LogLevel;
}

/** What `parseFlags` found: run with a config, or print help or the version and stop. */
export type Command = { kind: "serve"; config: Config } | { kind: "help" } | { kind: "version" };

/** Bad flags or environment: one line for stderr, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export const DEFAULT_CONFIG: Readonly<Config> = {
  port: 4214,
  host: "127.0.0.1",
  timeout: 30,
  maxTtl: 3600,
  store: "memory",
  trustProxy: false,
  logLevel: "info",
};

/** Longest timeout accepted: a year, well inside what timers and dates represent exactly. */
const MAX_TIMEOUT_SECONDS = 365 * 24 * 3600;

export const HELP = `srsr - the Really Simple Service Registry

Usage: srsr [options]

Options:
  -p, --port <port>       port to listen on (default 4214; env SRSR_PORT)
      --host <host>       address to bind; 0.0.0.0 serves other machines
                          (default 127.0.0.1; env SRSR_HOST)
  -t, --timeout <sec>     seconds without a heartbeat before an instance expires,
                          for registrations without a TTL of their own
                          (default 30; env SRSR_TIMEOUT)
      --max-ttl <sec>     the largest TTL a registration may ask for
                          (default 3600; env SRSR_MAX_TTL)
      --store <spec>      memory, or sqlite:PATH to keep registrations across
                          restarts (default memory; env SRSR_STORE)
      --trust-proxy       take client IPs from X-Forwarded-For
      --log-level <lvl>   error, warn, info or debug (default info)
  -h, --help              show this help
  -V, --version           show the version`;

const options = {
  port: { type: "string", short: "p" },
  host: { type: "string" },
  timeout: { type: "string", short: "t" },
  "max-ttl": { type: "string" },
  store: { type: "string" },
  "trust-proxy": { type: "boolean" },
  "log-level": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

/**
 * Reads flags (`args`, without the program name) and environment variables; a flag wins
 * over its variable.
 *
 * @example
 * ```ts
 * parseFlags(["-p", "8080"], {}); // { kind: "serve", config: { port: 8080, ... } }
 * ```
 */
export function parseFlags(args: readonly string[], env: Readonly<Record<string, string | undefined>>): Command {
  let values;
  try {
    ({ values } = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split("\n")[0]} (see --help)`);
  }
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };

  // A flag wins over its environment variable; `source` names whichever was used in errors.
  const setting = (flag: string | undefined, name: string, variable?: string) => {
    if (flag !== undefined) return { value: flag, source: `--${name}` };
    if (variable && env[variable]) return { value: env[variable], source: variable };
    return undefined;
  };
  const port = setting(values.port, "port", "SRSR_PORT");
  const host = setting(values.host, "host", "SRSR_HOST");
  const timeout = setting(values.timeout, "timeout", "SRSR_TIMEOUT");
  const maxTtl = setting(values["max-ttl"], "max-ttl", "SRSR_MAX_TTL");
  const store = setting(values.store, "store", "SRSR_STORE");
  const logLevel = setting(values["log-level"], "log-level");

  return {
    kind: "serve",
    config: {
      port: port ? parsePort(port.value, port.source) : DEFAULT_CONFIG.port,
      host: host ? parseHost(host.value, host.source) : DEFAULT_CONFIG.host,
      timeout: timeout ? parseSeconds(timeout.value, timeout.source, "timeout") : DEFAULT_CONFIG.timeout,
      maxTtl: maxTtl ? parseSeconds(maxTtl.value, maxTtl.source, "TTL") : DEFAULT_CONFIG.maxTtl,
      store: store ? parseStore(store.value, store.source) : DEFAULT_CONFIG.store,
      trustProxy: values["trust-proxy"] ?? DEFAULT_CONFIG.trustProxy,
      logLevel: logLevel ? parseLogLevel(logLevel.value, logLevel.source) : DEFAULT_CONFIG.logLevel,
    },
  };
}

function parsePort(value: string, source: string): number {
  const port = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`${source}: invalid port "${value}": expected an integer from 1 to 65535`);
  }
  return port;
}

function parseHost(value: string, source: string): string {
  if (!/^[A-Za-z0-9.:_-]+$/.test(value)) {
    throw new UsageError(`${source}: invalid host "${value}": expected an IP address or hostname such as 0.0.0.0`);
  }
  return value;
}

function parseSeconds(value: string, source: string, what: string): number {
  const seconds = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!(seconds > 0 && seconds <= MAX_TIMEOUT_SECONDS)) {
    throw new UsageError(
      `${source}: invalid ${what} "${value}": expected seconds greater than 0 and at most ${MAX_TIMEOUT_SECONDS}`,
    );
  }
  return seconds;
}

function parseStore(value: string, source: string): string {
  const problem = checkStoreSpec(value);
  if (problem) throw new UsageError(`${source}: ${problem}`);
  return value;
}

function parseLogLevel(value: string, source: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new UsageError(`${source}: invalid log level "${value}": expected ${LOG_LEVELS.join(", ")}`);
  }
  return value as LogLevel;
}
