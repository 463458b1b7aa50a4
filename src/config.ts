/**
 * Command-line flags and `SRSR_*` environment variables -> {@link Config}. Pure: no process
 * access, so it is table-tested; `main.ts` prints a {@link UsageError} and exits 2.
 *
 * @module
 */

import { isIP } from "node:net";
import { parseArgs } from "node:util";
import { checkStoreSpec } from "../stores/open.ts";
import { cidrProblem } from "./cidr.ts";
import { BEARER_TOKEN_FORM, isBearerToken } from "./auth_tokens.ts";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "./logger.ts";

export interface Config {
  /** @default 4214 */
  port: number;
  /** An IP address (IPv6 without brackets) or a hostname. @default "127.0.0.1" */
  host: string;
  /** Seconds without a heartbeat before an instance expires, unless it registered with its own TTL. @default 30 */
  timeout: number;
  /** Largest TTL a v1 registration may ask for, in seconds. @default 3600 */
  maxTtl: number;
  /** `memory`, `sqlite:PATH` or `postgres://…` (`postgresql://…`). @default "memory" */
  store: string;
  /** The socket peer is a proxy: take the client IP from the last `X-Forwarded-For` entry. @default false */
  trustProxy: boolean;
  /**
   * Proxies trusted to name the client, as addresses or CIDR ranges: the client IP is the
   * rightmost `X-Forwarded-For` hop not among them. @default []
   */
  trustedProxies: string[];
  /** Origins besides srsr's own whose pages may call it (CORS). @default [] */
  corsOrigins: string[];
  /** @default "info" */
  logLevel: LogLevel;
  /** @default "text" */
  logFormat: LogFormat;
  /** A file of bearer tokens, one per line: writes (and reads, unless `openReads`) need one. */
  tokenFile: string | undefined;
  /** One bearer token, from `SRSR_TOKEN` (there is no flag: a token on a command line leaks). */
  token: string | undefined;
  /** With tokens on, let reads through without one. @default false */
  openReads: boolean;
  /** PEM certificate and key files: serve HTTPS. Both or neither. */
  tls: { cert: string; key: string } | undefined;
  /** Most instances stored at once; a register past it is a 429. @default 1_000_000 */
  maxInstances: number;
  /** Most instances of one name; a register past it is a 429. @default 10_000 */
  maxInstancesPerName: number;
  /**
   * Most requests with a body (all but GET, HEAD, OPTIONS) in progress at once from one client
   * address (the socket's peer), those still sending theirs included; past it such a request
   * is answered 429 and its connection closed. @default 256
   */
  maxConnectionsPerIp: number;
  /** Serve `/metrics`. @default true */
  metrics: boolean;
}

/** What `parseFlags` found: run with a config, or print help or the version and stop. */
export type Command = { kind: "serve"; config: Config } | { kind: "help" } | { kind: "version" };

/** Bad flags or environment: one line for stderr, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
  constructor(message: string) {
    // Values are quoted into messages as given; a newline in one must not break the one line.
    super(message.replace(/[\u0000-\u001f\u007f]/g, (char) => JSON.stringify(char).slice(1, -1)));
  }
}

export const DEFAULT_CONFIG: Readonly<Config> = {
  port: 4214,
  host: "127.0.0.1",
  timeout: 30,
  maxTtl: 3600,
  store: "memory",
  trustProxy: false,
  trustedProxies: [],
  corsOrigins: [],
  logLevel: "info",
  logFormat: "text",
  tokenFile: undefined,
  token: undefined,
  openReads: false,
  tls: undefined,
  maxInstances: 1_000_000,
  maxInstancesPerName: 10_000,
  maxConnectionsPerIp: 256,
  metrics: true,
};

/** Longest timeout accepted: a year, well inside what timers and dates represent exactly. */
const MAX_TIMEOUT_SECONDS = 365 * 24 * 3600;
const SECONDS = `seconds greater than 0 and at most ${MAX_TIMEOUT_SECONDS}`;

/**
 * Every option: its parseArgs type and short name, the variable that stands in for it, and
 * the accepted form that errors quote.
 */
const OPTIONS = {
  port: { type: "string", short: "p", variable: "SRSR_PORT", expected: "an integer from 1 to 65535" },
  host: {
    type: "string",
    variable: "SRSR_HOST",
    expected: "an IPv4 address, an IPv6 address or a hostname, such as 0.0.0.0, ::1 or localhost",
  },
  timeout: { type: "string", short: "t", variable: "SRSR_TIMEOUT", expected: SECONDS },
  "max-ttl": { type: "string", variable: "SRSR_MAX_TTL", expected: SECONDS },
  store: { type: "string", variable: "SRSR_STORE", expected: "memory, sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE" },
  "trust-proxy": { type: "boolean", variable: "SRSR_TRUST_PROXY", expected: "1, true, 0 or false" },
  "trusted-proxy": {
    type: "string",
    variable: "SRSR_TRUSTED_PROXY",
    expected: "IP addresses or CIDR ranges, comma-separated, such as 10.0.0.0/8,fd00::/8",
    multiple: true,
  },
  "cors-origin": {
    type: "string",
    variable: "SRSR_CORS_ORIGIN",
    expected: "origins, comma-separated, such as https://dash.example or http://localhost:3000 (scheme, host and port only)",
    multiple: true,
  },
  "log-level": { type: "string", variable: "SRSR_LOG_LEVEL", expected: LOG_LEVELS.join(", ") },
  "log-format": { type: "string", variable: "SRSR_LOG_FORMAT", expected: LOG_FORMATS.join(" or ") },
  "token-file": { type: "string", variable: "SRSR_TOKEN_FILE", expected: "the path of a file of tokens, one per line" },
  "open-reads": { type: "boolean", variable: "SRSR_OPEN_READS", expected: "1, true, 0 or false" },
  "tls-cert": { type: "string", variable: "SRSR_TLS_CERT", expected: "the path of a PEM certificate file" },
  "tls-key": { type: "string", variable: "SRSR_TLS_KEY", expected: "the path of a PEM private key file" },
  "max-instances": { type: "string", variable: "SRSR_MAX_INSTANCES", expected: "an integer from 1 to 100000000" },
  "max-instances-per-name": {
    type: "string",
    variable: "SRSR_MAX_INSTANCES_PER_NAME",
    expected: "an integer from 1 to 100000000",
  },
  "max-connections-per-ip": {
    type: "string",
    variable: "SRSR_MAX_CONNECTIONS_PER_IP",
    expected: "an integer from 1 to 100000000",
  },
  metrics: { type: "string", variable: "SRSR_METRICS", expected: "on or off" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

type OptionName = keyof typeof OPTIONS;
/** The options an environment variable can stand in for: all but --help and --version. */
type SettingName = { [Name in OptionName]: (typeof OPTIONS)[Name] extends { variable: string } ? Name : never }[OptionName];

export const HELP = `srsr - the Really Simple Service Registry

Usage: srsr [serve] [options]   serve the registry, with the options below
       srsr COMMAND [args]      ask or change a running registry (commands below)

Options of serve:
  -p, --port <port>       port to listen on (default 4214; env SRSR_PORT)
      --host <host>       IP address or hostname to bind; 0.0.0.0 serves other
                          machines (default 127.0.0.1; env SRSR_HOST)
  -t, --timeout <sec>     seconds without a heartbeat before an instance expires,
                          for registrations without a TTL of their own
                          (default 30; env SRSR_TIMEOUT)
      --max-ttl <sec>     the largest TTL a registration may ask for
                          (default 3600; env SRSR_MAX_TTL)
      --store <spec>      memory, sqlite:PATH to keep registrations across
                          restarts, or postgres://USER:PASSWORD@HOST:PORT/DB for
                          several nodes sharing one database
                          (default memory; env SRSR_STORE)
      --trust-proxy       the peer is a proxy: take client IPs from the last
                          X-Forwarded-For entry (env SRSR_TRUST_PROXY=1, true, 0
                          or false)
      --trusted-proxy <cidr,...>
                          proxies trusted to name the client: its IP is the
                          rightmost X-Forwarded-For hop not among them; repeatable
                          (env SRSR_TRUSTED_PROXY)
      --cors-origin <origin,...>
                          pages of these origins may call srsr too (others are
                          refused); repeatable (env SRSR_CORS_ORIGIN)
      --log-level <lvl>   error, warn, info or debug
                          (default info; env SRSR_LOG_LEVEL)
      --log-format <fmt>  text, or json for one JSON object per line
                          (default text; env SRSR_LOG_FORMAT)
      --token-file <path> bearer tokens, one per line: writes need one, and reads
                          unless --open-reads (env SRSR_TOKEN_FILE; or one token
                          in SRSR_TOKEN)
      --open-reads        with tokens on, reads need none (env SRSR_OPEN_READS)
      --tls-cert <path>   serve HTTPS with this PEM certificate (env SRSR_TLS_CERT)
      --tls-key <path>    ... and this PEM private key (env SRSR_TLS_KEY)
      --max-instances <n> most instances at once (default 1000000;
                          env SRSR_MAX_INSTANCES)
      --max-instances-per-name <n>
                          most instances of one name (default 10000;
                          env SRSR_MAX_INSTANCES_PER_NAME)
      --max-connections-per-ip <n>
                          most writes (POST, PUT, PATCH, DELETE) in progress
                          at once from one client address, bodies still
                          arriving included (default 256;
                          env SRSR_MAX_CONNECTIONS_PER_IP)
      --metrics <on|off>  serve Prometheus metrics at /metrics
                          (default on; env SRSR_METRICS)
  -h, --help              show this help
  -V, --version           show the version

A flag wins over its environment variable; an empty variable counts as unset.`;

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
  const given = readArgs(args);
  if (given.help) return { kind: "help" };
  if (given.version) return { kind: "version" };

  // The flag's text, else its variable's; `source` names whichever was used in errors.
  const setting = (name: SettingName) => {
    const flag = given[name];
    if (typeof flag === "string") return { text: flag, source: `--${name}` };
    const variable = OPTIONS[name].variable;
    const text = env[variable];
    return text ? { text, source: variable } : undefined;
  };
  const read = <T>(name: SettingName, what: string, parse: (text: string) => T | undefined, fallback: T): T => {
    const found = setting(name);
    if (found === undefined) return fallback;
    const value = parse(found.text);
    if (value === undefined) {
      throw new UsageError(`${found.source}: invalid ${what} "${found.text}": expected ${OPTIONS[name].expected}`);
    }
    return value;
  };

  const store = setting("store");
  const storeProblem = store && checkStoreSpec(store.text);
  if (storeProblem) throw new UsageError(`${store.source}: ${storeProblem}`);
  const tlsCert = setting("tls-cert");
  const tlsKey = setting("tls-key");
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    const [present, absent] = tlsCert ? [tlsCert.source, "--tls-key"] : [tlsKey!.source, "--tls-cert"];
    throw new UsageError(`${present}: needs ${absent} too: HTTPS takes a certificate and its key`);
  }
  /** A list setting: every item parsed, repeated flags and commas alike; empty items ignored. */
  const readList = (name: SettingName, what: string, parse: (text: string) => string | undefined): string[] => {
    const found = setting(name);
    if (found === undefined) return [];
    return found.text.split(",").map((item) => item.trim()).filter((item) => item !== "").map((item) => {
      const value = parse(item);
      if (value === undefined) throw new UsageError(`${found.source}: invalid ${what} "${item}": expected ${OPTIONS[name].expected}`);
      return value;
    });
  };
  const switched = (name: "trust-proxy" | "open-reads") => given[name] === true || read(name, "value", parseBoolean, false);

  return {
    kind: "serve",
    config: {
      port: read("port", "port", parsePort, DEFAULT_CONFIG.port),
      host: read("host", "host", parseHost, DEFAULT_CONFIG.host),
      timeout: read("timeout", "timeout", parseSeconds, DEFAULT_CONFIG.timeout),
      maxTtl: read("max-ttl", "TTL", parseSeconds, DEFAULT_CONFIG.maxTtl),
      store: store?.text ?? DEFAULT_CONFIG.store,
      trustProxy: switched("trust-proxy"),
      trustedProxies: readList("trusted-proxy", "address or range", (text) => (cidrProblem(text) ? undefined : text)),
      corsOrigins: readList("cors-origin", "origin", parseOrigin),
      logLevel: read("log-level", "log level", parseLogLevel, DEFAULT_CONFIG.logLevel),
      logFormat: read("log-format", "log format", parseLogFormat, DEFAULT_CONFIG.logFormat),
      tokenFile: setting("token-file")?.text,
      token: readToken(env),
      openReads: switched("open-reads"),
      tls: tlsCert && tlsKey ? { cert: tlsCert.text, key: tlsKey.text } : undefined,
      maxInstances: read("max-instances", "count", parseCount, DEFAULT_CONFIG.maxInstances),
      maxInstancesPerName: read("max-instances-per-name", "count", parseCount, DEFAULT_CONFIG.maxInstancesPerName),
      maxConnectionsPerIp: read("max-connections-per-ip", "count", parseCount, DEFAULT_CONFIG.maxConnectionsPerIp),
      metrics: read("metrics", "value", parseOnOff, DEFAULT_CONFIG.metrics),
    },
  };
}

/** `SRSR_TOKEN`, trimmed; an error never quotes it, as it is a secret. */
function readToken(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const token = env.SRSR_TOKEN?.trim();
  if (!token) return undefined;
  if (!isBearerToken(token)) throw new UsageError(`SRSR_TOKEN: is not a bearer token: use ${BEARER_TOKEN_FORM}`);
  return token;
}

const PARSE_ARGS_OPTIONS = Object.fromEntries(
  Object.entries(OPTIONS).map(([name, { type, ...option }]) => [name, "short" in option ? { type, short: option.short } : { type }]),
);

/** The options given, as their text (`true` for a switch); a repeated one's last value wins. */
function readArgs(args: readonly string[]): Partial<Record<OptionName, string | true>> {
  // Not strict: parseArgs's own errors run to several lines and call `-t -1` "ambiguous"; from
  // the tokens every mistake is told in one line naming the flag.
  const { tokens } = parseArgs({ args: [...args], options: PARSE_ARGS_OPTIONS, strict: false, allowPositionals: true, tokens: true });
  const given: Partial<Record<OptionName, string | true>> = {};
  for (const token of tokens) {
    if (token.kind === "option-terminator") continue;
    if (token.kind === "positional") {
      throw new UsageError(`unexpected argument "${token.value}": srsr takes only options (see --help)`);
    }
    if (!Object.hasOwn(OPTIONS, token.name)) throw new UsageError(`unknown option ${token.rawName} (see --help)`);
    const name = token.name as OptionName;
    const option = OPTIONS[name];
    if (option.type === "boolean") {
      if (token.value !== undefined) throw new UsageError(`--${name}: takes no value (write --${name} alone)`);
      given[name] = true;
      continue;
    }
    // parseArgs takes the next argument as the value even when it starts with "-", which is
    // what `-t -1` means; but `-p --host` means the port was left out.
    if (token.value === undefined || (!token.inlineValue && /^-[A-Za-z-]/.test(token.value))) {
      throw new UsageError(`--${name}: missing value: expected ${option.expected}`);
    }
    // A repeatable option's values add up, as one comma-separated list.
    const before = given[name];
    given[name] = "multiple" in option && typeof before === "string" ? `${before},${token.value}` : token.value;
  }
  return given;
}

function parsePort(text: string): number | undefined {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : 0;
  return port >= 1 && port <= 65535 ? port : undefined;
}

// RFC 1123 labels, and `_` as container names (Docker's, for one) have it.
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;

/** An IP address or a hostname; `[::1]` is taken as `::1`. */
function parseHost(text: string): string | undefined {
  const bracketed = /^\[(.+)\]$/.exec(text);
  if (bracketed) return isIP(bracketed[1]) === 6 ? bracketed[1] : undefined;
  if (isIP(text) !== 0) return text;
  // A name ending in a number is an IPv4 address gone wrong (999.1.1.1, 10.1), which
  // resolvers would read as one: no hostname.
  return HOSTNAME.test(text) && !/(?:^|\.)\d+$/.test(text) ? text : undefined;
}

function parseSeconds(text: string): number | undefined {
  const seconds = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  return seconds > 0 && seconds <= MAX_TIMEOUT_SECONDS ? seconds : undefined;
}

function parseBoolean(text: string): boolean | undefined {
  const lower = text.toLowerCase();
  if (lower === "1" || lower === "true") return true;
  if (lower === "0" || lower === "false") return false;
  return undefined;
}

function parseLogFormat(text: string): LogFormat | undefined {
  return (LOG_FORMATS as readonly string[]).includes(text) ? (text as LogFormat) : undefined;
}

/** A count for a limit: big enough for any fleet, small enough to stay an exact integer. */
function parseCount(text: string): number | undefined {
  const count = /^\d{1,9}$/.test(text) ? Number(text) : 0;
  return count >= 1 && count <= 100_000_000 ? count : undefined;
}

/** An origin as a browser sends it in `Origin` (`https://dash.example`), or `undefined`. */
function parseOrigin(text: string): string | undefined {
  const url = URL.parse(text);
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) return undefined;
  const bare = url.username === "" && url.password === "" && url.pathname === "/" && url.search === "" && url.hash === "";
  return bare && !text.endsWith("?") && !text.endsWith("#") ? url.origin : undefined;
}

function parseOnOff(text: string): boolean | undefined {
  return text === "on" ? true : text === "off" ? false : undefined;
}

function parseLogLevel(text: string): LogLevel | undefined {
  return (LOG_LEVELS as readonly string[]).includes(text) ? (text as LogLevel) : undefined;
}
