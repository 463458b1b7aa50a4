/** The answers of the health and readiness probes (`GET /healthz`, `GET /readyz`). @module */

import { z } from "zod";

export const healthResponse = z.object({ status: z.literal("ok") });
export const readyResponse = z.object({ status: z.literal("ready") });
export const unavailableResponse = z.object({
  status: z.literal("unavailable"),
  store: z.string().meta({ description: "Why the store cannot take writes", example: "sqlite:./reg.db: the database file was deleted" }),
});

export type HealthResponse = z.infer<typeof healthResponse>;
export type ReadyResponse = z.infer<typeof readyResponse>;
export type UnavailableResponse = z.infer<typeof unavailableResponse>;
