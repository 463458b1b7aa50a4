/**
 * The dashboard: `GET /ui` (every service), `GET /ui/services/NAME` (one), their script and
 * stylesheet under `/ui/assets/` (named by content hash, so cached for good), and `GET /`
 * redirecting to `/ui`. All open (see routeAccess): the pages hold no data, and read it through
 * the API with the tab's token. Everything is embedded (src/ui/assets.ts): no file, no CDN.
 *
 * @module
 */

import { type Context, Hono } from "hono";
import { gzipSync } from "node:zlib";
import { httpError, readParam } from "../http.ts";
import { SCRIPT, SCRIPT_HASH, STYLESHEET, STYLESHEET_HASH } from "../ui/assets.ts";
import { renderShell, type View } from "../ui/shell.ts";
import { serviceName } from "../wire/fields.ts";

export const SCRIPT_PATH = `/ui/assets/app-${SCRIPT_HASH}.js`;
export const STYLESHEET_PATH = `/ui/assets/app-${STYLESHEET_HASH}.css`;

/**
 * The page may load only its own script and stylesheet and talk only to srsr: no inline
 * script or style, no other origin, no framing (clickjacking of the deregister button).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  // Revalidated on every visit: a new srsr names new assets.
  "cache-control": "no-cache",
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

interface Asset {
  type: string;
  body: string;
  gzipped?: Uint8Array<ArrayBuffer>;
}

const ASSETS: Record<string, Asset> = {
  [SCRIPT_PATH]: { type: "text/javascript; charset=utf-8", body: SCRIPT },
  [STYLESHEET_PATH]: { type: "text/css; charset=utf-8", body: STYLESHEET },
};

function serveAsset(c: Context): Response {
  const asset = ASSETS[c.req.path];
  if (!asset) throw httpError(404, `not found: ${c.req.path} (this srsr serves ${Object.keys(ASSETS).join(" and ")})`);
  const headers: Record<string, string> = {
    "content-type": asset.type,
    "cache-control": "public, max-age=31536000, immutable",
    "x-content-type-options": "nosniff",
    vary: "Accept-Encoding",
  };
  if (!/\bgzip\b/.test(c.req.header("accept-encoding") ?? "")) return c.body(asset.body, 200, headers);
  asset.gzipped ??= new Uint8Array(gzipSync(asset.body));
  return c.body(asset.gzipped, 200, { ...headers, "content-encoding": "gzip" });
}

async function servePage(c: Context, view: View): Promise<Response> {
  const page = await renderShell(view, { script: SCRIPT_PATH, stylesheet: STYLESHEET_PATH });
  return c.body(String(page), 200, PAGE_HEADERS);
}

export function uiRoutes(): Hono {
  return new Hono()
    .get("/", (c) => c.redirect("/ui", 302))
    .get("/ui", (c) => servePage(c, { kind: "services" }))
    .get("/ui/services/:name", (c) => servePage(c, { kind: "service", name: readParam(c, "name", 3, serviceName) }))
    .get("/ui/assets/:file", serveAsset);
}
