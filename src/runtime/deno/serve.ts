/** Serving on Deno: `Deno.serve`, with the app's fetch as the handler. @module */

import { listenError } from "../listen_error.ts";
import { limitPerAddress } from "../per_address.ts";
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

const tooLarge = () => new Response(null, { status: 413, headers: { connection: "close" } });

/**
 * `request` with its body (one without `Content-Length`: chunked) read into memory, or
 * `undefined` as soon as more than `maxBytes` have arrived: then the rest is never read.
 */
async function bounded(request: Request, body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Request | undefined> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    size += read.value.byteLength;
    if (size > maxBytes) {
      reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(read.value);
  }
  const whole = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    whole.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new Request(request.url, { method: request.method, headers: request.headers, body: whole, signal: request.signal });
}

export const serve: Serve = (app, options) => {
  const { port, hostname, maxBodyBytes, tls, onListenAgain = () => {} } = options;
  // Deno.serve has no body cap of its own: a declared oversize body is refused here, and a
  // chunked one is read here up to the cap (else the app's text() would buffer all of it).
  const handler = limitPerAddress<DenoServeInfo>(
    options.maxConnectionsPerIp,
    (_request, info) => info.remoteAddr.hostname,
    (request, info) => {
      const declared = request.headers.get("content-length");
      if (declared !== null) return Number(declared) > maxBodyBytes ? tooLarge() : app.fetch(request, info);
      if (request.body === null) return app.fetch(request, info);
      return bounded(request, request.body, maxBodyBytes).then(
        (whole) => (whole === undefined ? tooLarge() : app.fetch(whole, info)),
        // The client went away mid-body; no one reads this answer.
        () => new Response(null, { status: 400 }),
      );
    },
  );
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
