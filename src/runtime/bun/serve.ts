/** Serving on Bun: `Bun.serve`, with the app's fetch as the handler. @module */

import { listenError } from "../listen_error.ts";
import type { Serve } from "../types.ts";

export const serve: Serve = (app, options) => {
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
      fetch: app.fetch,
    });
    return { stop: () => server.stop() };
  } catch (error) {
    throw listenError(error, options);
  }
};
