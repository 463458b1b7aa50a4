/**
 * The only module that knows whether srsr runs on Bun or on Deno: serving HTTP, reading the
 * client's IP, and opening SQLite (drivers in `runtime/<name>/sqlite.ts`, contract in
 * `runtime/sqlite.ts`). Everything else is plain TypeScript both runtimes run.
 *
 * @module
 */

import type { Context, Hono } from "hono";
import { RUNTIME_BODY_CAP_BYTES } from "./http.ts";
import type { SqliteConnection } from "./runtime/sqlite.ts";

export interface Listener {
  /** Stops accepting connections and lets in-flight requests finish. */
  stop(): Promise<void>;
}

export interface ServeOptions {
  port: number;
  hostname: string;
  /**
   * Request bodies past this many bytes are refused by the runtime itself with a bare 413.
   * @default RUNTIME_BODY_CAP_BYTES
   */
  maxBodyBytes?: number;
}

export interface Runtime {
  readonly name: "bun" | "deno";
  /** Starts serving `app`; throws {@link ListenError} when the address cannot be bound. */
  serve(app: Hono, options: ServeOptions): Listener;
  /** The socket peer's IP address of the request in `c`. */
  clientIp(c: Context): string | undefined;
  /** Opens a SQLite file with this runtime's driver; loaded on first use, so memory-only runs skip it. */
  openSqlite(path: string): Promise<SqliteConnection>;
}

/** The server could not listen: port in use, no permission, no such address. */
export class ListenError extends Error {
  override name = "ListenError";
}

function listenError(error: unknown, { hostname, port }: ServeOptions): ListenError {
  const { code, name, message } = error as { code?: string; name?: string; message?: string };
  const where = `${hostname}:${port}`;
  if (code === "EADDRINUSE" || name === "AddrInUse") {
    return new ListenError(`cannot listen on ${where}: the port is already in use (choose another with --port)`);
  }
  if (code === "EACCES" || name === "PermissionDenied") {
    return new ListenError(`cannot listen on ${where}: permission denied (ports below 1024 need privileges)`);
  }
  if (code === "EADDRNOTAVAIL" || name === "AddrNotAvailable") {
    return new ListenError(`cannot listen on ${where}: the address is not on this machine (see --host)`);
  }
  return new ListenError(`cannot listen on ${where}: ${message ?? String(error)}`);
}

interface BunServer {
  requestIP(request: Request): { address: string } | null;
  stop(closeActiveConnections?: boolean): Promise<void>;
}
interface BunGlobal {
  serve(options: {
    port: number;
    hostname: string;
    development: boolean;
    reusePort: boolean;
    maxRequestBodySize: number;
    fetch(request: Request, server: BunServer): Response | Promise<Response>;
  }): BunServer;
}

const bun = (Bun: BunGlobal): Runtime => ({
  name: "bun",
  serve(app, options) {
    try {
      // Bun 1.4 with `development: false` shares a busy port unless told not to, and two
      // registries answering on one port would each hold half the registrations.
      const server = Bun.serve({
        port: options.port,
        hostname: options.hostname,
        maxRequestBodySize: options.maxBodyBytes ?? RUNTIME_BODY_CAP_BYTES,
        development: false,
        reusePort: false,
        fetch: app.fetch,
      });
      return { stop: () => server.stop() };
    } catch (error) {
      throw listenError(error, options);
    }
  },
  clientIp: (c) => (c.env as BunServer).requestIP(c.req.raw)?.address,
  openSqlite: async (path) => (await import("./runtime/bun/sqlite.ts")).openSqlite(path),
});

interface DenoServeInfo {
  remoteAddr: { hostname: string };
}
interface DenoGlobal {
  serve(
    options: { port: number; hostname: string; onListen(): void },
    handler: (request: Request, info: DenoServeInfo) => Response | Promise<Response>,
  ): { shutdown(): Promise<void> };
}

const deno = (Deno: DenoGlobal): Runtime => ({
  name: "deno",
  serve(app, options) {
    const { port, hostname, maxBodyBytes = RUNTIME_BODY_CAP_BYTES } = options;
    // Deno.serve has no body cap of its own; a declared oversize body is refused here. (A
    // chunked one is read whole before the app's own 64 KiB check refuses it.)
    const handler = (request: Request, info: DenoServeInfo) =>
      Number(request.headers.get("content-length")) > maxBodyBytes
        ? new Response(null, { status: 413, headers: { connection: "close" } })
        : app.fetch(request, info);
    try {
      const server = Deno.serve({ port, hostname, onListen() {} }, handler);
      return { stop: () => server.shutdown() };
    } catch (error) {
      throw listenError(error, options);
    }
  },
  clientIp: (c) => (c.env as DenoServeInfo).remoteAddr.hostname,
  openSqlite: async (path) => (await import("./runtime/deno/sqlite.ts")).openSqlite(path),
});

function detect(): Runtime {
  const globals = globalThis as { Bun?: BunGlobal; Deno?: DenoGlobal };
  if (globals.Bun) return bun(globals.Bun);
  if (globals.Deno) return deno(globals.Deno);
  throw new Error("srsr runs on Bun or Deno: start it with `bun main.ts` or `deno task start`");
}

export const runtime: Runtime = detect();
