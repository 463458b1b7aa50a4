/** Serving on Deno: `Deno.serve`, with the app's fetch as the handler. @module */

import { listenError } from "../listen_error.ts";
import type { Serve } from "../types.ts";

interface DenoServeInfo {
  remoteAddr: { hostname: string };
}
interface DenoGlobal {
  serve(
    options: { port: number; hostname: string; cert?: string; key?: string; onListen(): void },
    handler: (request: Request, info: DenoServeInfo) => Response | Promise<Response>,
  ): { shutdown(): Promise<void> };
}

export const serve: Serve = (app, options) => {
  const { port, hostname, maxBodyBytes, tls } = options;
  // Deno.serve has no body cap of its own; a declared oversize body is refused here. (A
  // chunked one is read whole before the app's own 64 KiB check refuses it.)
  const handler = (request: Request, info: DenoServeInfo) =>
    Number(request.headers.get("content-length")) > maxBodyBytes
      ? new Response(null, { status: 413, headers: { connection: "close" } })
      : app.fetch(request, info);
  try {
    const server = (globalThis as unknown as { Deno: DenoGlobal }).Deno.serve({ port, hostname, ...tls, onListen() {} }, handler);
    return { stop: () => server.shutdown() };
  } catch (error) {
    throw listenError(error, options);
  }
};
