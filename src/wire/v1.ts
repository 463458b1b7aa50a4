/**
 * The v1 API's bodies, requests and answers, and its query parameters, as zod schemas; the
 * routes validate with them, the OpenAPI document is generated from them, and the TypeScript
 * client takes its types from them. Times are RFC 3339 UTC strings with milliseconds.
 *
 * @module
 */

import { z } from "zod";
import type { Change, Instance } from "../../stores/store.ts";
import { address, instanceId, meta, metaPatch, serviceName, ttl } from "./fields.ts";

const port = z.number({ error: "must be a number" })
  .int({ error: "must be an integer from 1 to 65535" })
  .min(1, { error: "must be an integer from 1 to 65535" })
  .max(65535, { error: "must be an integer from 1 to 65535" })
  .meta({ description: "Appended to the address as `:port`" });

export const registerRequest = z.object({
  address: address.optional(),
  port: port.optional(),
  meta: meta.optional(),
  ttl: ttl.optional().meta({ description: "Seconds; default the server's --timeout, at most its --max-ttl" }),
});

export const patchRequest = z.object({ meta: metaPatch });

const index = z.number().int().min(1).meta({ description: "The catalog index the answer was read at" });
const time = z.iso.datetime({ offset: false }).meta({ description: "RFC 3339, UTC, milliseconds", example: "2026-11-28T10:22:59.123Z" });

export const instance = z.object({
  id: instanceId,
  name: serviceName,
  address: z.string(),
  meta: z.record(z.string(), z.string()),
  ttl: z.number().meta({ description: "Seconds" }),
  registeredAt: time,
  expiresAt: time,
});

export const instanceList = z.object({ name: serviceName, index, instances: z.array(instance) });

export const serviceList = z.object({
  index,
  services: z.array(z.object({ name: serviceName, instances: z.number().int().nonnegative().meta({ description: "Live instances" }) })),
});

export const changeTypes = ["register", "deregister", "expire", "update"] as const;

/** `data` of the `snapshot` event. */
export const snapshotEvent = z.object({ index, instances: z.array(instance) });
/** `data` of the `register`, `deregister`, `expire` and `update` events. */
export const changeEvent = z.object({ type: z.enum(changeTypes), instance });

const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a Go-style duration (`500ms`, `30s`, `5m`, `1m30s`), or `undefined`. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(amount) * UNIT_MS[unit];
  return ms;
}

export const MAX_WAIT_MS = 10 * 60_000;
export const DEFAULT_WAIT_MS = 5 * 60_000;

export const indexQuery = z.string()
  .regex(/^\d{1,15}$/, { error: "must be a non-negative integer" })
  .transform(Number)
  .meta({ description: "Hold the answer until its index differs from this one (a long-poll); 0 or absent answers at once" });

export const waitQuery = z.string()
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.issues.push({ code: "custom", input: text, message: "must be a duration such as 500ms, 30s or 5m" });
      return z.NEVER;
    }
    return Math.min(ms, MAX_WAIT_MS);
  })
  .meta({ description: "How long a long-poll may be held: 500ms, 30s, 5m (default 5m; more than 10m is taken as 10m), plus a jitter of up to 1/16" });

export type WireInstance = z.infer<typeof instance>;
export type InstanceListResponse = z.infer<typeof instanceList>;
export type ServiceListResponse = z.infer<typeof serviceList>;
export type SnapshotEvent = z.infer<typeof snapshotEvent>;
export type ChangeEvent = z.infer<typeof changeEvent>;

const iso = (ms: number) => new Date(ms).toISOString();

/** An instance as the v1 API shows it. */
export function wireInstance({ id, name, address, meta, ttl, registeredAt, expiresAt }: Instance): WireInstance {
  return { id, name, address, meta, ttl, registeredAt: iso(registeredAt), expiresAt: iso(expiresAt) };
}

export function wireChange({ type, instance }: Change): ChangeEvent {
  return { type, instance: wireInstance(instance) };
}
