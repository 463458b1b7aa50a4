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

/**
 * Most bytes a runtime buffers for one request body, declared or chunked, before refusing it
 * itself (a bare 413, see src/runtime/<bun|deno>/serve.ts): what a half-sent body can hold.
 * Twice {@link MAX_BODY_BYTES}, so a body somewhat over the limit still gets srsr's JSON 413
 * naming it.
 */
export const RUNTIME_BODY_CAP_BYTES = 2 * MAX_BODY_BYTES;

/** The error of a body whose connection closed before it all arrived. */
export const BODY_CUT_SHORT = "body: the connection closed before the whole body arrived";

/** The error of a body whose bytes are not UTF-8, answered with 400. */
export const BODY_NOT_UTF8 = "body: is not valid UTF-8 (a literal U+FFFD is refused too: send it as \\ufffd)";

/**
 * The body as text; a 413 past {@link MAX_BODY_BYTES}; a 400 when it is not UTF-8. The limit
 * is checked on the text read rather than on `Content-Length` or in Hono's bodyLimit
 * middleware: on Bun, touching `request.headers` or `request.body` makes the runtime build a
 * Headers object or a ReadableStream for every request (~1 µs and 13% of a lookup's CPU in
 * profiles), and the runtime already caps how much it buffers ({@link RUNTIME_BODY_CAP_BYTES}).
 *
 * A body that is not UTF-8 must be refused rather than stored with U+FFFD in place of its bad
 * bytes. The runtime's own decoding (which puts U+FFFD there) and a look for U+FFFD cost
 * nothing measurable; reading bytes and decoding them strictly cost ~0.2 µs a request (2% of a
 * heartbeat over HTTP). The price: a literal U+FFFD is refused too, and must come as the JSON
 * escape `\ufffd`, which no decoder produces.
 */
async function readBody(c: Context): Promise<string> {
  let text: string;
  try {
    text = await c.req.raw.text();
  } catch (cause) {
    // The client went away mid-body (Bun throws an error with no message, Deno a BadResource):
    // its doing, not a server failure to log; no one reads this answer.
    throw new HTTPException(400, { message: BODY_CUT_SHORT, cause });
  }
  // UTF-8 takes 1 to 3 bytes per UTF-16 unit, so only a long text needs counting in bytes.
  if (text.length > MAX_BODY_BYTES / 3 && new TextEncoder().encode(text).byteLength > MAX_BODY_BYTES) {
    throw httpError(413, BODY_TOO_LARGE);
  }
  if (text.includes("\uFFFD")) throw httpError(400, BODY_NOT_UTF8);
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

/** Keys as errors name a field: `meta.zone`, an empty key as `""`. */
const fieldPath = (keys: readonly PropertyKey[]) => keys.map((key) => (key === "" ? '""' : String(key))).join(".");

/** A zod failure as `400 {"error": "<field>: <problem>"}`, the field prefixed with `prefix`. */
function invalid(error: z.ZodError, prefix: string): HTTPException {
  const issue = error.issues[0];
  const path = fieldPath(prefix === "" ? issue.path : [prefix, ...issue.path]);
  return httpError(400, `${path || "body"}: ${issue.message}`);
}

/**
 * A UTF-16 surrogate without its pair: no character, and SQLite stores it as U+FFFD, so two
 * names would become one after a restart. Strictly decoded UTF-8 has none; only a JSON escape
 * (`"\ud800"`) makes one.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATE_PROBLEM = "must not contain a lone UTF-16 surrogate (\\ud800-\\udfff without its pair)";

interface Visit {
  value: object;
  key?: string;
  parent?: Visit;
}

/**
 * A key or string in a parsed body with a lone surrogate, as the error to answer, or
 * `undefined`. Iterative, and paths are built only for the one reported: a 64 KiB body can
 * nest ten thousand deep.
 */
function loneSurrogateProblem(body: object): string | undefined {
  const pathOf = (visit: Visit | undefined) => {
    const keys: string[] = [];
    for (; visit?.key !== undefined; visit = visit.parent) keys.push(visit.key);
    return keys.reverse();
  };
  const pending: Visit[] = [{ value: body }];
  for (let visit = pending.pop(); visit !== undefined; visit = pending.pop()) {
    for (const [key, item] of Object.entries(visit.value)) {
      if (LONE_SURROGATE.test(key)) return `${fieldPath(pathOf(visit)) || "body"}: keys ${LONE_SURROGATE_PROBLEM}`;
      if (typeof item === "string" && LONE_SURROGATE.test(item)) {
        return `${fieldPath([...pathOf(visit), key])}: ${LONE_SURROGATE_PROBLEM}`;
      }
      if (typeof item === "object" && item !== null) pending.push({ value: item, key, parent: visit });
    }
  }
  return undefined;
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
  // Names, ids, addresses and meta all arrive here; a lone surrogate needs a `\u` escape.
  const surrogateProblem = text.includes("\\u") ? loneSurrogateProblem(body) : undefined;
  if (surrogateProblem) throw httpError(400, surrogateProblem);
  const result = schema.safeParse(body);
  if (!result.success) throw invalid(result.error, "");
  return result.data;
}

const NOT_PERCENT_UTF8 = "is not valid percent-encoded UTF-8 (a literal % is %25)";

/** Whether `raw`, still percent-encoded, decodes to UTF-8. */
function decodes(raw: string): boolean {
  try {
    decodeURIComponent(raw.replaceAll("+", " "));
    return true;
  } catch {
    return false;
  }
}

/**
 * The path parameter `key`, which is the `segment`th part of the path (`/v1/services/:name`:
 * 3). Hono keeps a segment it cannot decode as the text it was (`%FF` stays "%FF"), which
 * would register a name the client never meant: that is a 400. Only a value that still holds
 * a `%` (rare) costs a look at the raw URL.
 */
export function readParam<Schema extends z.ZodType>(c: Context, key: string, segment: number, schema: Schema): z.output<Schema> {
  const value = c.req.param(key);
  if (value?.includes("%") && !decodes(new URL(c.req.url).pathname.split("/")[segment] ?? "")) {
    throw httpError(400, `${key}: ${NOT_PERCENT_UTF8}`);
  }
  return readValue(key, value, schema);
}

/** Every value of the query parameter `key`, or `undefined`; refused as {@link readParam} does. */
export function readQueries<Schema extends z.ZodType>(c: Context, key: string, schema: Schema): z.output<Schema>[] | undefined {
  const values = c.req.queries(key);
  if (values?.some((value) => value.includes("%"))) {
    for (const pair of new URL(c.req.url).search.slice(1).split("&")) {
      const [rawKey, rawValue = ""] = pair.split("=", 2);
      if (decodes(rawKey) && decodeURIComponent(rawKey) === key && !decodes(rawValue)) {
        throw httpError(400, `${key}: ${NOT_PERCENT_UTF8}`);
      }
    }
  }
  return values?.map((value) => readValue(key, value, schema));
}

/** Validates one path or query value; a failure is a 400 naming `field`. */
export function readValue<Schema extends z.ZodType>(field: string, value: unknown, schema: Schema): z.output<Schema> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalid(result.error, field);
  return result.data;
}
