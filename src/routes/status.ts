/**
 * `GET /v1/status`: the server's own facts (version, store, default TTL, uptime) and the
 * catalog's totals, for the dashboard and for people with curl. A read, like every GET.
 *
 * @module
 */

import { Hono } from "hono";
import type { Registry } from "../registry.ts";
import { VERSION } from "../version.ts";
import type { StatusResponse } from "../wire/status.ts";

export interface StatusRoutesOptions {
  /** When the server began serving, in epoch ms. @default Date.now() when the routes are made */
  startedAt?: number;
  /** Epoch ms now. @default Date.now */
  now?: () => number;
}

export function statusRoutes(registry: Registry, { startedAt = Date.now(), now = Date.now }: StatusRoutesOptions = {}): Hono {
  return new Hono().get("/", async (c) => {
    const { index, services } = await registry.services();
    const instances = services.reduce((total, service) => total + service.instances, 0);
    const uptime = Math.max(0, Math.floor((now() - startedAt) / 1000));
    return c.json({
      version: VERSION,
      store: registry.storeDescription,
      timeout: registry.defaultTtl,
      startedAt: new Date(startedAt).toISOString(),
      uptime,
      services: services.length,
      instances,
      index,
    } satisfies StatusResponse, 200, { "cache-control": "no-store" });
  });
}
