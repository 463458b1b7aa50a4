/** Serving on Deno: `Deno.serve`, with the app's fetch as the handler. @module */

import { listenError } from "../listen_error.ts";
import type { Serve } from "../types.ts";

interface DenoServeInfo {
  remoteAddr: { hostname: string };
}
interface DenoServer {
  shutdown(): Promise<void>;
  /** Rejects when the server stops by itself: its accept loop failed. */
  readonly finished: Promise<void>;
}
interface DenoGlobal {
  serve(
    options: { port: number; hostname: string; cert?: string; key?: string; onListen(): void },
    handler: (request: Request, info: DenoServeInfo) => Response | Promise<Response>,
  ): DenoServer;
}

/** Milliseconds between attempts to listen again; at most the last. */
const RELISTEN_DELAYS_MS = [50, 100, 250, 500, 1000];

export const serve: Serve = (app, options) => {
  const { port, hostname, maxBodyBytes, tls, onListenAgain = () => {} } = options;
  // Deno.serve has no body cap of its own; a declared oversize body is refused here. (A
  // chunked one is read whole before the app's own 64 KiB check refuses it.)
  const handler = (request: Request, info: DenoServeInfo) =>
    Number(request.headers.get("content-length")) > maxBodyBytes
      ? new Response(null, { status: 413, headers: { connection: "close" } })
      : app.fetch(request, info);
  const listen = () => (globalThis as unknown as { Deno: DenoGlobal }).Deno.serve({ port, hostname, ...tls, onListen() {} }, handler);

  let server: DenoServer;
  try {
    server = listen();
  } catch (error) {
    throw listenError(error, options);
  }
  // Deno 2.9's accept loop ends for good, the process crashing on the unhandled rejection,
  // when accepting fails: out of file descriptors (EMFILE), a connection flood is enough. srsr
  // listens again instead, as soon as the descriptors are back.
  let stopped = false;
  let attempt = 0;
  const watch = (current: DenoServer) => {
    current.finished.catch((error) => {
      if (stopped) return;
      onListenAgain(error instanceof Error ? error.message : String(error));
      relisten();
    });
  };
  const relisten = () => {
    setTimeout(() => {
      if (stopped) return;
      try {
        server = listen();
        attempt = 0;
        watch(server);
      } catch {
        attempt++;
        relisten();
      }
    }, RELISTEN_DELAYS_MS[Math.min(attempt, RELISTEN_DELAYS_MS.length - 1)]);
  };
  watch(server);
  return {
    stop: () => {
      stopped = true;
      return server.shutdown();
    },
  };
};
