/**
 * The fields every API surface shares, as zod schemas: what a service name, an instance id, an
 * address, meta and a TTL may be. Messages are written to follow "<field>: ".
 *
 * @module
 */

import { z } from "zod";
import { FORMAT_CHARACTER, NO_FORMAT_CHARACTERS, NO_WHITESPACE_OR_CONTROL, NOT_IN_NAMES } from "../address.ts";

export const MAX_NAME_LENGTH = 253;
export const MAX_ID_LENGTH = 128;
export const META_LIMITS = { keys: 32, keyLength: 64, valueLength: 256 } as const;

const requiredString = () =>
  z.string({ error: (issue) => (issue.input === undefined ? "is required" : "must be a string") })
    .min(1, { error: "must not be empty" });

export const serviceName = requiredString()
  .max(MAX_NAME_LENGTH, { error: `must be at most ${MAX_NAME_LENGTH} characters` })
  .refine((name) => !NOT_IN_NAMES.test(name), {
    error: (issue) => (FORMAT_CHARACTER.test(String(issue.input)) ? NO_FORMAT_CHARACTERS : NO_WHITESPACE_OR_CONTROL),
  })
  .meta({
    description: `1–${MAX_NAME_LENGTH} characters, no whitespace, control or format characters (Unicode Cf)`,
    example: "billing",
  });

export const instanceId = requiredString()
  .max(MAX_ID_LENGTH, { error: `must be at most ${MAX_ID_LENGTH} characters` })
  .meta({ description: "The id srsr gave the instance when it registered", example: "0b7e6f0e-3a4e-4c43-9d1c-2f0f7c1a9b61" });

export const address = z.string({ error: "must be a string" })
  .meta({
    description: "An absolute URI (`http://10.0.0.5:8080`) or host:port (`10.0.0.5:8080`), at most 2048 characters. " +
      "Omitted or empty: srsr uses the IP the request came from, as `http://<ip>[:<port>]`.",
    example: "http://10.0.0.5:8080",
  });

const META_KEY = new RegExp(`^[A-Za-z0-9_.-]{1,${META_LIMITS.keyLength}}$`);
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const metaValue = z.string({ error: "must be a string" })
  .max(META_LIMITS.valueLength, { error: `must be at most ${META_LIMITS.valueLength} characters` })
  .refine((value) => !CONTROL.test(value), { error: "must not contain control characters" });

/** Why `key` cannot be a meta key, or `undefined`. */
export function metaKeyProblem(key: string): string | undefined {
  return META_KEY.test(key) ? undefined : `key must be 1–${META_LIMITS.keyLength} characters of A–Z, a–z, 0–9, _, . or -`;
}

/** The key limit, for meta as registered and as a patch leaves it. */
export function metaSizeProblem(meta: Readonly<Record<string, unknown>>): string | undefined {
  const keys = Object.keys(meta).length;
  return keys > META_LIMITS.keys ? `must have at most ${META_LIMITS.keys} keys (has ${keys})` : undefined;
}

function checkKeys(meta: Record<string, unknown>, ctx: z.RefinementCtx): void {
  for (const key of Object.keys(meta)) {
    const problem = metaKeyProblem(key);
    if (problem) ctx.addIssue({ code: "custom", path: [key], message: problem });
  }
}

export const meta = z.record(z.string(), metaValue, { error: "must be an object of string values" })
  .superRefine((value, ctx) => {
    checkKeys(value, ctx);
    const problem = metaSizeProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .meta({
    // Checked in superRefine above, so zod cannot derive them for the JSON Schema itself.
    propertyNames: { pattern: META_KEY.source },
    maxProperties: META_LIMITS.keys,
    description: `Labels: at most ${META_LIMITS.keys} keys of 1–${META_LIMITS.keyLength} characters of ` +
      `[A-Za-z0-9_.-], string values of at most ${META_LIMITS.valueLength} characters without control characters`,
    example: { zone: "eu-west-1a", version: "2.4.1" },
  });

/** A JSON merge patch of meta (RFC 7396): a string sets a key, `null` removes it. */
export const metaPatch = z.record(z.string(), metaValue.nullable(), {
  error: (issue) => (issue.input === undefined ? "is required" : "must be an object of string or null values"),
})
  .superRefine(checkKeys)
  .meta({ propertyNames: { pattern: META_KEY.source }, description: "Required. A JSON merge patch (RFC 7396): a string sets the key, null removes it", example: { version: "2.4.2", canary: null } });

export const ttl = z.number({ error: "must be a number of seconds" })
  .positive({ error: "must be greater than 0" })
  .meta({ description: "Seconds the instance lives after registering or its last heartbeat; fractions allowed", example: 30 });
