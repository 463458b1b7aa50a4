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
import type { z } from "zod";

/** Largest request body accepted; larger ones get 413. */
export const MAX_BODY_BYTES = 64 * 1024;

/** A client error: `status` and a message naming the field and the problem. */
export function httpError(status: ContentfulStatusCode, message: string): HTTPException {
  return new HTTPException(status, { message });
}

/** The error of a body over {@link MAX_BODY_BYTES}, answered with 413. */
export const BODY_TOO_LARGE = `body: must be at most ${MAX_BODY_BYTES} bytes`;

/** Whether the declared `Content-Length` is over the limit; `undefined` when none is declared. */
export function declaredTooLarge(request: Request): boolean | undefined {
  const length = request.headers.get("content-length");
  if (length === null || request.headers.has("transfer-encoding")) return undefined;
  return Number.parseInt(length, 10) > MAX_BODY_BYTES;
}

/**
 * The body as text, or a 413 past {@link MAX_BODY_BYTES}. The limit is enforced here, where
 * bodies are read, rather than by Hono's bodyLimit middleware: that middleware touches
 * `request.body`, which makes the runtime build a ReadableStream for every request (13% of a
 * lookup's CPU in a profile), and as a middleware it also routes every request through
 * compose() instead of Hono's single-handler fast path.
 */
async function readBody(c: Context): Promise<string> {
  const declared = declaredTooLarge(c.req.raw);
  if (declared === false) return c.req.text();
  if (declared) throw httpError(413, BODY_TOO_LARGE);
  // No Content-Length (chunked): count while reading, so a huge body is never held whole.
  const body = c.req.raw.body;
  if (!body) return "";
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw httpError(413, BODY_TOO_LARGE);
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

/** Parses the request body as JSON and validates it, or throws a 400 that names the field. */
export async function readJson<Schema extends z.ZodType>(c: Context, schema: Schema): Promise<z.output<Schema>> {
  const text = await readBody(c);
  if (text.trim() === "") throw httpError(400, "body: is empty; expected a JSON object");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw httpError(400, `body: malformed JSON (${(error as Error).message})`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw httpError(400, "body: must be a JSON object");
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw httpError(400, `${issue.path.join(".") || "body"}: ${issue.message}`);
  }
  return result.data;
}
