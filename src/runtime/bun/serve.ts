/** Serving on Bun: `Bun.serve`, with the app's fetch as the handler. @module */

import { joinHostPort } from "../../address.ts";
import { listenError } from "../listen_error.ts";
import { limitPerAddress } from "../per_address.ts";
import type { Serve } from "../types.ts";

/**
 * The request Bun handed in, for each one rebuilt with an absolute URL: the server's
 * `requestIP` and `timeout` know only Bun's own.
 */
export const originalRequests = new WeakMap<Request, Request>();

export const serve: Serve = (app, options) => {
  // An HTTP/1.0 request without `Host` comes with a bare path as its URL ("/lookup"), which
  // Hono cannot route (it was a 404): such a request is given srsr's own address, as Deno does.
  const base = `${options.tls ? "https" : "http"}://${joinHostPort(options.hostname, options.port)}`;
  const absolute = (request: Request) => {
    const rebuilt = new Request(base + request.url, request);
    originalRequests.set(rebuilt, request);
    return rebuilt;
  };
  // Bun's `maxRequestBodySize` bounds what it buffers of a body, declared or chunked: past it
  // the request gets a bare 413 and the connection is closed (test/body_limits_e2e.test.ts).
  const fetch = limitPerAddress<Bun.Server<undefined>>(
    options.maxConnectionsPerIp,
    (request, server) => server.requestIP(request)?.address,
    (request, server) => app.fetch(request.url.charCodeAt(0) === 47 ? absolute(request) : request, server),
  );
  try {
    // Bun 1.4 with `development: false` shares a busy port unless told not to, and two
    // registries answering on one port would each hold half the registrations.
    const server = Bun.serve({
      port: options.port,
      hostname: options.hostname,
      maxRequestBodySize: options.maxBodyBytes,
      development: false,
      reusePort: false,
      tls: options.tls,
      fetch,
    });
    return { stop: () => server.stop() };
  } catch (error) {
    throw listenError(error, options);
  }
};
