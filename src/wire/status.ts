/** The answer of `GET /v1/status`: the server's own facts, as the dashboard shows them. @module */

import { z } from "zod";

export const statusResponse = z.object({
  version: z.string().meta({ description: "srsr's version", example: "0.1.0" }),
  store: z.string().meta({ description: "What --store said, secrets redacted", example: "sqlite:./srsr.db" }),
  timeout: z.number().meta({ description: "The default TTL in seconds (--timeout)" }),
  startedAt: z.iso.datetime({ offset: false }).meta({ description: "When this process began serving: RFC 3339, UTC" }),
  uptime: z.number().meta({ description: "Seconds since startedAt" }),
  services: z.number().int().nonnegative().meta({ description: "Services with a live instance" }),
  instances: z.number().int().nonnegative().meta({ description: "Live instances, of every service" }),
  index: z.number().int().min(1).meta({ description: "The catalog index the totals were read at" }),
});

export type StatusResponse = z.infer<typeof statusResponse>;
