/** `GET /metrics`: everything {@link Metrics} measures, in the Prometheus text format. @module */

import { Hono } from "hono";
import type { Metrics } from "../metrics/metrics.ts";

export function metricsRoutes(metrics: Metrics): Hono {
  return new Hono().get("/metrics", async (c) => c.body(await metrics.scrape(), 200, { "content-type": metrics.contentType }));
}
