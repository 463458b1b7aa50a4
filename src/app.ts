/**
 * The srsr HTTP application: wires the API surfaces to a {@link Registry}. It knows nothing of
 * the runtime serving it; what it needs from one (the client IP, lifting the idle timeout of a
 * long-poll) arrives through options.
 *
 * @module
 */

import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { DuplicateIdError, StoreUnavailableError } from "../stores/errors.ts";
import { type Logger, silentLogger } from "./logger.ts";
import { type TokenAuthOptions, tokenAuth } from "./middleware/auth.ts";
import { guardBrowsers } from "./middleware/browser_guard.ts";
import { requestIpResolver } from "./middleware/client_ip.ts";
import { measureRequests } from "./middleware/metrics.ts";
import type { Metrics } from "./metrics/metrics.ts";
import { openApiDocument } from "./openapi.ts";
import { InvalidInputError, LimitExceededError, type Registry } from "./registry.ts";
import { eventRoutes } from "./routes/events.ts";
import { healthRoutes } from "./routes/health.ts";
import { legacyRoutes } from "./routes/legacy.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { statusRoutes } from "./routes/status.ts";
import { uiRoutes } from "./routes/ui.ts";
import { v1Routes } from "./routes/v1.ts";
import type { GetClientIp, HoldOpen } from "./runtime/types.ts";
import { Watchers } from "./watch.ts";

export interface AppOptions {
  registry: Registry;
  /** Where long-polls and event streams wait. @default new Watchers(registry.subscribe) */
  watchers?: Watchers;
  /** @default silentLogger */
  logger?: Logger;
  /** The IP a request came from. @default () => undefined (in-process requests have none) */
  clientIp?: GetClientIp;
  /** The socket peer is a proxy: the client IP is the last `X-Forwarded-For` entry. @default false */
  trustProxy?: boolean;
  /** Trusted proxies' addresses or CIDR ranges: see src/middleware/client_ip.ts. @default [] */
  trustedProxies?: readonly string[];
  /** Lifts the runtime's idle timeout for a long-poll or an event stream. @default a no-op */
  holdOpen?: HoldOpen;
  /** Milliseconds between `: ping` comments on an idle event stream. @default 15_000 */
  pingMs?: number;
  /** Bearer tokens: writes need one, and reads unless `openReads`. @default undefined (no auth, no middleware) */
  auth?: TokenAuthOptions;
  /** Times every request and serves `GET /metrics`. @default undefined (no /metrics, nothing timed) */
  metrics?: Metrics;
  /** Origins besides srsr's own whose pages may call it (`--cors-origin`); see browser_guard.ts. @default [] */
  corsOrigins?: readonly string[];
  /** Answer only requests addressed to a loopback name, as srsr is bound to one (DNS rebinding). @default false */
  loopbackOnly?: boolean;
}

/** A route's path as a pattern of its own: `/v1/instances/:id` matches `/v1/instances/abc`. */
const pathPattern = (path: string) =>
  new RegExp(`^${path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\/:[^/]+/g, "/[^/]+")}$`);

export function createApp({
  registry,
  watchers = new Watchers((listener) => registry.subscribe(listener)),
  logger = silentLogger,
  clientIp,
  trustProxy = false,
  trustedProxies,
  holdOpen = () => {},
  pingMs,
  auth,
  metrics,
  corsOrigins,
  loopbackOnly,
}: AppOptions): Hono {
  const app = new Hono();
  // A wrapper of fetch, not a middleware (see below on compose()); inside the metrics one, so
  // that refusals are counted.
  guardBrowsers(app, { corsOrigins, loopbackOnly });
  if (metrics) measureRequests(app, metrics);

  if (logger.debugEnabled) {
    app.use(async (c, next) => {
      const started = performance.now();
      await next();
      // The path is decoded (`%0A` is a newline): the logger escapes it, as it does every field.
      const ms = Math.round((performance.now() - started) * 100) / 100;
      logger.debug("request", { method: c.req.method, path: c.req.path, status: c.res.status, ms });
    });
  }

  if (auth) app.use(tokenAuth(auth));

  // Body size is checked where bodies are read (readJson), keeping the routes middleware-free:
  // with one handler per route Hono skips compose() altogether.
  const requestIp = requestIpResolver({ clientIp, trustProxy, trustedProxies });
  app.route("/", legacyRoutes(registry, { requestIp }));
  app.route("/v1", v1Routes(registry, { requestIp, watchers, holdOpen }));
  app.route("/v1/events", eventRoutes(registry, { watchers, holdOpen, pingMs }));
  let document: string | undefined;
  app.get("/v1/openapi.json", (c) => {
    document ??= JSON.stringify(openApiDocument());
    return c.body(document, 200, { "content-type": "application/json" });
  });
  app.route("/v1/status", statusRoutes(registry));
  app.route("/", healthRoutes(registry));
  app.route("/", uiRoutes());
  if (metrics) app.route("/", metricsRoutes(metrics));

  // For a 405 naming the allowed methods, rather than a 404, when a known path is called with
  // the wrong method.
  const routes = app.routes.filter((route) => route.method !== "ALL").map(({ method, path }) => ({ method, pattern: pathPattern(path) }));
  app.notFound((c) => {
    const allowed = [...new Set(routes.filter((route) => route.pattern.test(c.req.path)).map((route) => route.method))];
    if (allowed.length > 0) {
      c.header("Allow", allowed.join(", "));
      return c.json({ error: `method ${c.req.method} not allowed on ${c.req.path}: use ${allowed.join(" or ")}` }, 405);
    }
    return c.json({ error: `not found: ${c.req.method} ${c.req.path}` }, 404);
  });

  app.onError((error, c) => {
    // One that carries its own response (bearerAuth's 401, with WWW-Authenticate) is answered with it.
    if (error instanceof HTTPException) return error.res ? error.getResponse() : c.json({ error: error.message }, error.status);
    if (error instanceof InvalidInputError) return c.json({ error: error.message }, 400);
    if (error instanceof LimitExceededError) return c.json({ error: error.message }, 429);
    if (error instanceof DuplicateIdError) return c.json({ error: error.message }, 409);
    if (error instanceof StoreUnavailableError) {
      logger.error("store unavailable", { method: c.req.method, path: c.req.path, error: error.message });
      return c.json({ error: "store: unavailable, nothing was changed; see the server log" }, 503);
    }
    logger.error("request failed", { method: c.req.method, path: c.req.path, error: error.stack ?? String(error) });
    return c.json({ error: "internal error: see the server log" }, 500);
  });

  return app;
}
