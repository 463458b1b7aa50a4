/**
 * The PostgreSQL connection: postgres.js (pure JavaScript: it runs on Bun, on Deno and inside
 * the compiled binary, and keeps a LISTEN connection alive across reconnects) wrapped in Drizzle.
 * Also what the store says about its location: the URL without its password, and why a
 * connection failed, in words that never carry the password either.
 *
 * @module
 */

import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";

export type PostgresDatabase = PostgresJsDatabase;

export interface PostgresConnection {
  readonly db: PostgresDatabase;
  readonly client: postgres.Sql;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Seconds to wait for a connection before failing it. @default 3 */
  connectTimeout?: number;
  /** The server ends any statement running longer than this, in milliseconds. @default 5_000 */
  statementTimeoutMs?: number;
  /** Connections in the pool (one more listens). @default 8 */
  max?: number;
}

/** The URL as given, minus its password (in the authority or a `password=` parameter). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    parsed.searchParams.delete("password");
    return parsed.toString().replace(/\?$/, "");
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//");
  }
}

/** "host:port, database db" for messages; never the user's password. */
export function whereOf(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.searchParams.get("host") ?? (parsed.host || "localhost");
    const database = decodeURIComponent(parsed.pathname.slice(1)) || decodeURIComponent(parsed.username) || "postgres";
    return `${host}, database ${database}`;
  } catch {
    return redactUrl(url);
  }
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "EPIPE",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);

/** Whether `error` says the database could not be reached or went away (rather than refused a statement). */
export function isConnectionError(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const code = String((cause as { code?: unknown }).code ?? "");
    // Class 08: connection exceptions; 57P01-57P03: the server shutting down or starting up.
    if (CONNECTION_CODES.has(code) || code.startsWith("08") || /^57P0[123]$/.test(code)) return true;
    if (/socket has been ended|socket hang up/i.test(cause.message)) return true; // Bun's words for a reset
  }
  return false;
}

/** The driver's own words for `error`, without the query text Drizzle wraps around them. */
export function reasonOf(error: unknown): string {
  let innermost = error;
  for (let depth = 0; innermost instanceof Error && innermost.cause instanceof Error && depth < 5; depth++) {
    innermost = innermost.cause;
  }
  const message = (innermost as Error)?.message || String(innermost);
  // postgres.js names the address it could not reach ("write CONNECTION_CLOSED 127.0.0.1:5432"):
  // that is no secret, but keep messages to one line.
  return message.split("\n")[0];
}

/** int8 (bigint, bigserial) as a JavaScript number: indices and times stay far below 2^53. */
const int8AsNumber = {
  to: 20,
  from: [20],
  serialize: (value: number) => String(value),
  parse: (value: string) => Number(value),
};

/** Opens a pool to `url`; nothing is connected until the first query. */
export function connectPostgres(
  url: string,
  { connectTimeout = 3, statementTimeoutMs = 5_000, max = 8 }: ConnectOptions = {},
): PostgresConnection {
  const client = postgres(url, {
    max,
    connect_timeout: connectTimeout,
    idle_timeout: 60,
    // Reconnect within a second of the database coming back, not postgres.js's up to 20 s.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
    onnotice: () => {},
    types: { int8: int8AsNumber },
    connection: { application_name: "srsr", statement_timeout: statementTimeoutMs },
  });
  const db = drizzle({ client });
  return { db, client, close: () => client.end({ timeout: 1 }) };
}
