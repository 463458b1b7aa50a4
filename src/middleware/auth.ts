/**
 * Bearer-token auth: with tokens configured, every write needs `Authorization: Bearer <token>`,
 * and every read too unless `openReads`. Which requests are reads is decided here, in
 * {@link routeAccess}, and nowhere else. Installed only when tokens are configured: without
 * them no middleware runs at all (see src/app.ts).
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";

/** `open`: anyone, always; `read`: a token unless `--open-reads`; `write`: a token. */
export type Access = "open" | "read" | "write";

/**
 * Probes an orchestrator or load balancer makes without credentials, and the dashboard's pages
 * (src/routes/ui.ts), which hold no data: they read it through the API with the tab's token.
 */
const OPEN_PATHS: ReadonlySet<string> = new Set(["/healthz", "/readyz", "/", "/ui"]);
const OPEN_PREFIXES: readonly string[] = ["/ui/"];
/** POSTs that change nothing: the legacy API sends its lookups as POST. */
const READ_POSTS: ReadonlySet<string> = new Set(["/lookup"]);

/**
 * How a request to `path` with `method` is guarded. A GET or HEAD reads (so `/metrics`, the
 * OpenAPI document and the event stream follow reads); anything else writes unless listed in
 * `READ_POSTS`. A route added later is therefore guarded by default; test/auth.test.ts fails
 * until it is listed there with its access.
 */
export function routeAccess(method: string, path: string): Access {
  const reads = method === "GET" || method === "HEAD" || (method === "POST" && READ_POSTS.has(path));
  if (!reads) return "write";
  return OPEN_PATHS.has(path) || OPEN_PREFIXES.some((prefix) => path.startsWith(prefix)) ? "open" : "read";
}

export interface TokenAuthOptions {
  /** The tokens accepted, any of them; at least one. */
  tokens: readonly string[];
  /** Let reads through without a token. @default false */
  openReads?: boolean;
}

const CHALLENGE = 'Bearer realm="srsr"';

/**
 * A 401 with a JSON body (bearerAuth adds `WWW-Authenticate`). A Response rather than a message
 * so a malformed header is a 401 too, not bearerAuth's 400: to the client it is the same
 * problem (no token srsr accepts), and `Basic …` is a missing bearer token per RFC 6750.
 */
const unauthorized = (problem: string) => () => Response.json({ error: `authorization: ${problem}` }, { status: 401 });

/** Requires a bearer token on every request {@link routeAccess} does not let through. */
export function tokenAuth({ tokens, openReads = false }: TokenAuthOptions): MiddlewareHandler {
  if (tokens.length === 0) throw new Error("tokenAuth: needs at least one token");
  // Compares in constant time (hashes, then compares every byte).
  const requireToken = bearerAuth({
    token: [...tokens],
    noAuthenticationHeader: {
      wwwAuthenticateHeader: CHALLENGE,
      message: unauthorized('missing: send the header "Authorization: Bearer <token>"'),
    },
    invalidAuthenticationHeader: {
      wwwAuthenticateHeader: CHALLENGE,
      message: unauthorized('malformed: expected "Bearer <token>"'),
    },
    invalidToken: {
      wwwAuthenticateHeader: `${CHALLENGE}, error="invalid_token"`,
      message: unauthorized("the bearer token is not one this server accepts"),
    },
  });
  return (c, next) => {
    const access = routeAccess(c.req.method, c.req.path);
    return access === "open" || (access === "read" && openReads) ? next() : requireToken(c, next);
  };
}
