/**
 * The HTTP plumbing every API surface shares: one error type carrying a status, JSON request
 * bodies read and validated against a zod schema, with client mistakes answered as
 * `400 {"error": "<field>: <problem>"}`.
 *
 * @module
 */

import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { Buffer } from "node:buffer";
import type { z } from "zod";

/** Largest request body accepted; larger ones get 413. */
export const MAX_BODY_BYTES = 64 * 1024;

/** A client error: `status` and a message naming the field and the problem. */
export function httpError(status: ContentfulStatusCode, message: string): HTTPException {
  return new HTTPException(status, { message });
}

/** The error of a body over {@link MAX_BODY_BYTES}, answered with 413. */
export const BODY_TOO_LARGE = `body: must be at most ${MAX_BODY_BYTES} bytes`;

/**
 * Most bytes a runtime buffers for one request body before refusing it itself (a bare 413,
 * see src/runtime.ts). Bodies between {@link MAX_BODY_BYTES} and this get srsr's JSON 413.
 */
export const RUNTIME_BODY_CAP_BYTES = 1024 * 1024;

/**
 * The body as text, or a 413 past {@link MAX_BODY_BYTES}. The limit is checked on the text
 * read rather than on `Content-Length` or in Hono's bodyLimit middleware: on Bun, touching
 * `request.headers` or `request.body` makes the runtime build a Headers object or a
 * ReadableStream for every request (~1 µs and 13% of a lookup's CPU in profiles), and the
 * runtime already caps how much it buffers ({@link RUNTIME_BODY_CAP_BYTES}).
 */
async function readBody(c: Context): Promise<string> {
  const text = await c.req.text();
  // UTF-8 takes 1 to 3 bytes per UTF-16 unit, so only a long text needs counting in bytes.
  if (text.length > MAX_BODY_BYTES / 3 && Buffer.byteLength(text) > MAX_BODY_BYTES) {
    throw httpError(413, BODY_TOO_LARGE);
  }
  return text;
}

/** Whether a JSON text has an object key "__proto__" anywhere (not merely the word in a value). */
function hasProtoKey(text: string): boolean {
  let found = false;
  JSON.parse(text, (key, value) => {
    if (key === "__proto__") found = true;
    return value;
  });
  return found;
}

/** A zod failure as `400 {"error": "<field>: <problem>"}`, the field prefixed with `prefix`. */
function invalid(error: z.ZodError, prefix: string): HTTPException {
  const issue = error.issues[0];
  const keys = issue.path.map((key) => (key === "" ? '""' : String(key)));
  const path = (prefix === "" ? keys : [prefix, ...keys]).join(".");
  return httpError(400, `${path || "body"}: ${issue.message}`);
}

/** Parses the request body as JSON and validates it, or throws a 400 that names the field. */
export async function readJson<Schema extends z.ZodType>(c: Context, schema: Schema): Promise<z.output<Schema>> {
  const text = await readBody(c);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    // Told apart only on failure, so a good body is not scanned twice.
    if (text.trim() === "") throw httpError(400, "body: is empty; expected a JSON object");
    throw httpError(400, `body: malformed JSON (${(error as Error).message})`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw httpError(400, "body: must be a JSON object");
  }
  // JSON.parse makes "__proto__" an own key, which copying into a plain object (as a schema
  // does) would turn into a prototype: refused rather than silently dropped.
  if (text.includes("__proto__") && hasProtoKey(text)) throw httpError(400, 'body: "__proto__" is not allowed as a key');
  const result = schema.safeParse(body);
  if (!result.success) throw invalid(result.error, "");
  return result.data;
}

/** Validates one path or query value; a failure is a 400 naming `field`. */
export function readValue<Schema extends z.ZodType>(field: string, value: unknown, schema: Schema): z.output<Schema> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalid(result.error, field);
  return result.data;
}
