/**
 * The srsr HTTP application: wires the API surfaces to a {@link Registry}. It knows nothing of
 * the runtime serving it; the client IP arrives through an option.
 *
 * @module
 */

import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { type Logger, silentLogger } from "./logger.ts";
import type { Registry } from "./registry.ts";
import { legacyRoutes } from "./routes/legacy.ts";

export interface AppOptions {
  registry: Registry;
  /** @default silentLogger */
  logger?: Logger;
  /** The IP a request came from. @default () => undefined (in-process requests have none) */
  clientIp?: (c: Context) => string | undefined;
  /** Honour `X-Forwarded-For` for the client IP. @default false */
  trustProxy?: boolean;
}

export function createApp(
  { registry, logger = silentLogger, clientIp = () => undefined, trustProxy = false }: AppOptions,
): Hono {
  const app = new Hono();

  if (logger.debugEnabled) {
    app.use(async (c, next) => {
      const started = performance.now();
      await next();
      logger.debug(`${c.req.method} ${c.req.path} ${c.res.status} ${(performance.now() - started).toFixed(2)}ms`);
    });
  }

  // Body size is checked where bodies are read (readJson), keeping the routes middleware-free:
  // with one handler per route Hono skips compose() altogether.
  const legacy = legacyRoutes(registry, { clientIp, trustProxy });
  app.route("/", legacy);
  // For a 405 rather than a 404 when a known path is called with the wrong method.
  const legacyPaths = new Set(legacy.routes.map((route) => route.path));

  app.notFound((c) => {
    if (legacyPaths.has(c.req.path)) {
      c.header("Allow", "POST");
      return c.json({ error: `method ${c.req.method} not allowed on ${c.req.path}: use POST` }, 405);
    }
    return c.json({ error: `not found: ${c.req.method} ${c.req.path}` }, 404);
  });

  app.onError((error, c) => {
    if (error instanceof HTTPException) return c.json({ error: error.message }, error.status);
    logger.error(`${c.req.method} ${c.req.path} failed: ${error.stack ?? error}`);
    return c.json({ error: "internal error: see the server log" }, 500);
  });

  return app;
}
