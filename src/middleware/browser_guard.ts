/**
 * Keeps web pages from calling srsr (CSRF, DNS rebinding), without a Hono middleware: the app's
 * fetch is wrapped, as src/middleware/metrics.ts does, so routes keep Hono's single-handler fast
 * path. Non-browser clients send no `Origin` and a loopback or real `Host`, and pass untouched.
 *
 * - **Origin.** A browser names the page behind a request in `Origin`. srsr's own origin is
 *   the one it was addressed by: an `Origin` whose host (and port) is the request's `Host`, as
 *   a page srsr served itself would send, over HTTP or through a TLS proxy. Any other, `null`
 *   included, is a 403 unless `--cors-origin` lists it (scheme, host and port, exactly); a
 *   listed origin gets CORS answers, preflights included, so its pages can read what srsr says.
 *   This refuses a `text/plain` form post from any other site, which no preflight would stop.
 * - **Host**, when srsr is bound to a loopback address: a page on `attacker.example` whose name
 *   was rebound to 127.0.0.1 reaches srsr with its own name as `Host` (and as `Origin`, which
 *   then matches). Only loopback names are answered: `localhost`, `*.localhost`, 127.0.0.0/8,
 *   `[::1]` (etcd's fix for CVE-2018-1098). On other addresses srsr cannot know its names.
 *
 * The request's host is read from its URL, which the runtime builds from `Host` and Hono reads
 * anyway; only `Origin` needs the headers.
 *
 * @module
 */

import type { Hono } from "hono";
import { isIP } from "node:net";

export interface BrowserGuardOptions {
  /** Origins besides srsr's own whose pages may call it (`--cors-origin`): `https://dash.example`. @default [] */
  corsOrigins?: readonly string[];
  /** Answer only requests addressed to a loopback name: srsr is bound to a loopback address. @default false */
  loopbackOnly?: boolean;
}

const CORS_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE";
const CORS_HEADERS = "Authorization, Content-Type, Last-Event-ID";
const EXPOSED_HEADERS = "Location, X-Srsr-Index";

/**
 * Whether `host` names this machine's loopback interface: `localhost`, a name under
 * `.localhost`, 127.0.0.0/8, `::1` (bracketed or not), or 127.0.0.0/8 mapped into IPv6.
 */
export function isLoopbackName(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  switch (isIP(name)) {
    case 4:
      return name.startsWith("127.");
    case 6: {
      const written = URL.parse(`http://[${name}]/`)?.hostname ?? "";
      return written === "[::1]" || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(written);
    }
    default:
      return false;
  }
}

/** Whether `host` (`name[:port]`, as in a URL or a `Host` header) names the loopback interface. */
function isLoopbackHost(host: string): boolean {
  // Parsed as a browser would: 127.1 is 127.0.0.1, and a user@ or a path is no part of a host.
  const url = URL.parse(`http://${host}`);
  return url !== null && url.username === "" && url.password === "" && url.pathname === "/" && url.search === "" &&
    url.hash === "" && isLoopbackName(url.hostname);
}

/** Whether `origin` is srsr's own: the scheme srsr (or a proxy before it) serves, then `host`. */
function isOwnOrigin(origin: string, host: string): boolean {
  const hostAt = origin.indexOf("://") + 3;
  return hostAt > 2 && origin.length - hostAt === host.length && origin.slice(hostAt).toLowerCase() === host.toLowerCase();
}

/** The `host[:port]` of an absolute URL, as it is written there. */
function hostOf(url: string): string {
  const start = url.indexOf("//") + 2;
  const end = url.indexOf("/", start);
  return url.slice(start, end === -1 ? undefined : end);
}

const refusal = (error: string) =>
  new Response(JSON.stringify({ error }), { status: 403, headers: { "content-type": "application/json" } });

/** Starts guarding `app`'s requests. Call it before measureRequests, so refusals are counted. */
export function guardBrowsers(app: Hono, { corsOrigins = [], loopbackOnly = false }: BrowserGuardOptions = {}): void {
  const listed = new Set(corsOrigins);
  // `scheme://host/` of the last request that passed the host check: nearly every request
  // starts with the one before's, which costs one comparison.
  let lastLoopbackPrefix = "\0";

  const fetch = app.fetch;
  app.fetch = (request, env, executionCtx) => {
    const url = request.url;
    let host: string | undefined;
    if (loopbackOnly && !url.startsWith(lastLoopbackPrefix)) {
      host = hostOf(url);
      if (!isLoopbackHost(host)) {
        return refusal(
          `host: ${host} is not a loopback name; srsr bound to a loopback address answers only localhost, ` +
            "127.0.0.1 and [::1] (a page elsewhere may have rebound its name to this machine)",
        );
      }
      lastLoopbackPrefix = url.slice(0, url.indexOf(host) + host.length + 1);
    }
    const origin = request.headers.get("origin");
    if (origin === null || isOwnOrigin(origin, host ?? hostOf(url))) return fetch(request, env, executionCtx);
    if (!listed.has(origin)) {
      return refusal(
        `origin: ${origin} may not call srsr: only pages srsr serves itself may, and those --cors-origin lists`,
      );
    }
    if (request.method === "OPTIONS" && request.headers.has("access-control-request-method")) {
      return new Response(null, {
        status: 204,
        headers: {
          "access-control-allow-origin": origin,
          "access-control-allow-methods": CORS_METHODS,
          "access-control-allow-headers": CORS_HEADERS,
          "access-control-max-age": "600",
          vary: "Origin",
        },
      });
    }
    const allow = (response: Response) => {
      response.headers.set("access-control-allow-origin", origin);
      response.headers.set("access-control-expose-headers", EXPOSED_HEADERS);
      response.headers.append("vary", "Origin");
      return response;
    };
    const response = fetch(request, env, executionCtx);
    return response instanceof Promise ? response.then(allow) : allow(response);
  };
}
