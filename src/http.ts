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

/** Parses the request body as JSON and validates it, or throws a 400 that names the field. */
export async function readJson<Schema extends z.ZodType>(c: Context, schema: Schema): Promise<z.output<Schema>> {
  const text = await c.req.text();
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
