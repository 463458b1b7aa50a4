/**
 * The runtime contract: what srsr needs from Bun or Deno. Each adapter folder
 * (`runtime/bun/`, `runtime/deno/`) has the same files, each exporting one of these, as Hono's
 * adapters do; `detect.ts` picks the folder. Types only.
 *
 * @module
 */

import type { Context, Hono } from "hono";
import type { OpenSqlite } from "../../stores/sqlite/connection.ts";
import type { Fetch } from "../client/request.ts";

export interface Listener {
  /** Stops accepting connections and lets in-flight requests finish. */
  stop(): Promise<void>;
}

export interface ServeOptions {
  port: number;
  hostname: string;
  /**
   * Request bodies past this many bytes, declared or chunked, are refused by the runtime
   * adapter with a bare 413 and no more than this many are ever buffered for one request.
   */
  maxBodyBytes: number;
  /**
   * Most requests that may carry a body (all but GET, HEAD, OPTIONS) in progress at once from
   * one socket peer address, one whose body is still arriving included; past it such a request
   * gets a 429 and its connection is closed. @default no bound
   */
  maxConnectionsPerIp?: number;
  /**
   * Serve HTTPS with this certificate (chain) and private key, as PEM text: read and checked
   * by the composition root, which can name the file at fault. @default undefined (HTTP)
   */
  tls?: TlsPem;
  /**
   * Told, with the runtime's error, when the runtime stopped accepting connections by itself
   * and srsr listens again (Deno does when the process runs out of file descriptors).
   * @default nothing is told
   */
  onListenAgain?: (error: string) => void;
}

/** A PEM certificate, optionally followed by its chain, and the PEM private key matching it. */
export interface TlsPem {
  cert: string;
  key: string;
}

/**
 * Starts serving `app`; throws `ListenError` when the address cannot be bound, or the runtime
 * refuses the TLS certificate or key.
 */
export type Serve = (app: Hono, options: ServeOptions) => Listener;

/** The socket peer's IP address of the request in `c`, or `undefined` when there is none. */
export type GetClientIp = (c: Context) => string | undefined;

/**
 * Sets the runtime's idle timeout for the request in `c` to `seconds` (0: none), for answers
 * that are slow to start (a long-poll) or never finish (an event stream). Bun closes a
 * connection idle for 10 s otherwise, even while its request is waiting for an answer.
 */
export type HoldOpen = (c: Context, seconds: number) => void;

/**
 * A fetch that trusts the PEM certificate(s) `ca`, for a registry whose certificate a private
 * CA signed (`srsr lookup --ca-file`): Bun's fetch takes the CA per request, Deno's through an
 * HTTP client.
 */
export type FetchTrustingCa = (ca: string) => Fetch;

export interface Runtime {
  readonly name: "bun" | "deno";
  readonly serve: Serve;
  readonly clientIp: GetClientIp;
  readonly holdOpen: HoldOpen;
  readonly fetchTrustingCa: FetchTrustingCa;
  /** Loaded on first use, so memory-only runs never load a SQLite driver. */
  readonly openSqlite: OpenSqlite;
}
