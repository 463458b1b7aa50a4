/**
 * The OpenAPI 3.1 document of every route, generated from the zod schemas in `wire/` that the
 * routes validate with (zod's own JSON Schema output is draft 2020-12, which OpenAPI 3.1
 * uses). Served at `GET /v1/openapi.json`; a test checks every route of the app is in it.
 *
 * @module
 */

import { z } from "zod";
import { VERSION } from "./version.ts";
import { errorResponse } from "./wire/errors.ts";
import * as health from "./wire/health.ts";
import { instanceId, serviceName } from "./wire/fields.ts";
import * as legacy from "./wire/legacy.ts";
import { statusResponse } from "./wire/status.ts";
import * as v1 from "./wire/v1.ts";

type Schema = z.ZodType;
type JsonObject = Record<string, unknown>;

interface Answer {
  description: string;
  schema?: Schema;
  /** `text/event-stream` instead of JSON. */
  eventStream?: boolean;
  /** `text/plain` (the Prometheus text format) instead of JSON. */
  plainText?: boolean;
  /** Text of these media types (the dashboard's page and assets) instead of JSON. */
  media?: string[];
  headers?: Record<string, string>;
}

interface Operation {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** OpenAPI's form: `/v1/services/{name}`. */
  path: string;
  tag: "v1" | "legacy" | "events" | "operations" | "dashboard";
  summary: string;
  description?: string;
  pathParameters?: Record<string, Schema>;
  query?: Record<string, { schema: Schema; description?: string; repeatable?: boolean }>;
  headers?: Record<string, { schema: Schema; description: string }>;
  body?: Schema;
  answers: Record<number, Answer>;
}

const INDEX_HEADER = "The index the answer was read at: the name's for one service, the global one otherwise";
const problem = (description: string): Answer => ({ description, schema: errorResponse });
const BAD_REQUEST = problem("A field is missing or wrong: the error names it");
const NOT_FOUND = problem("No live instance with that id (it expired or was deregistered: register again)");
const LIMIT = problem("The registry (--max-instances) or the name (--max-instances-per-name) is full: nothing was stored");
const metaFilter = {
  schema: z.string(),
  description: "`meta.KEY=VALUE`: only instances whose meta has KEY equal to VALUE; repeat with other keys (all must match)",
};
const longPoll = {
  index: { schema: v1.indexQuery },
  wait: { schema: v1.waitQuery },
};

const operations: Operation[] = [
  {
    method: "post", path: "/v1/services/{name}/instances", tag: "v1", summary: "Register an instance",
    description: "Address rules and deduction from the caller's IP are those of the legacy /register.",
    pathParameters: { name: serviceName }, body: v1.registerRequest,
    answers: {
      201: { description: "Registered", schema: v1.instance, headers: { Location: "/v1/instances/{id}" } },
      400: BAD_REQUEST,
      429: LIMIT,
    },
  },
  {
    method: "get", path: "/v1/services", tag: "v1", summary: "Every service with a live instance, sorted",
    query: longPoll,
    answers: { 200: { description: "The services", schema: v1.serviceList, headers: { "X-Srsr-Index": INDEX_HEADER } }, 400: BAD_REQUEST },
  },
  {
    method: "get", path: "/v1/services/{name}", tag: "v1", summary: "The live instances of a service",
    description: "An unknown name answers 200 with no instances.",
    pathParameters: { name: serviceName }, query: { ...longPoll, "meta.KEY": metaFilter },
    answers: { 200: { description: "The instances", schema: v1.instanceList, headers: { "X-Srsr-Index": INDEX_HEADER } }, 400: BAD_REQUEST },
  },
  {
    method: "get", path: "/v1/services/{name}/pick", tag: "v1", summary: "One live instance, chosen uniformly at random",
    pathParameters: { name: serviceName }, query: { "meta.KEY": metaFilter },
    answers: {
      200: { description: "An instance", schema: v1.instance, headers: { "X-Srsr-Index": INDEX_HEADER } },
      400: BAD_REQUEST,
      404: problem("No live instance of that name (with that meta)"),
    },
  },
  {
    method: "get", path: "/v1/instances/{id}", tag: "v1", summary: "One instance",
    pathParameters: { id: instanceId },
    answers: { 200: { description: "The instance", schema: v1.instance }, 404: NOT_FOUND },
  },
  {
    method: "put", path: "/v1/instances/{id}/heartbeat", tag: "v1", summary: "Renew an instance for its own TTL",
    pathParameters: { id: instanceId },
    answers: { 200: { description: "Renewed: a new expiresAt", schema: v1.instance }, 404: NOT_FOUND },
  },
  {
    method: "patch", path: "/v1/instances/{id}", tag: "v1", summary: "Change an instance's meta (JSON merge patch)",
    description: "A patch that changes nothing is not a change: the index does not move and no watcher wakes.",
    pathParameters: { id: instanceId }, body: v1.patchRequest,
    answers: { 200: { description: "The instance as patched", schema: v1.instance }, 400: BAD_REQUEST, 404: NOT_FOUND },
  },
  {
    method: "delete", path: "/v1/instances/{id}", tag: "v1", summary: "Deregister an instance",
    pathParameters: { id: instanceId },
    answers: { 204: { description: "Deregistered" }, 404: NOT_FOUND },
  },
  {
    method: "get", path: "/v1/events", tag: "events", summary: "Changes as Server-Sent Events",
    description: "First a `snapshot` event (data: " + JSON.stringify(Object.keys(v1.snapshotEvent.shape)) +
      ", id: the global index), then `register`, `deregister`, `expire` and `update` events (data: {type, instance}, " +
      "id: the change's index). Reconnecting with Last-Event-ID (or ?since) resumes after it when the history still " +
      "holds it, else starts with a fresh snapshot. A `: ping` comment every 15 s.",
    query: {
      name: { schema: serviceName, description: "A name to watch; repeat for more; every name when absent", repeatable: true },
      since: { schema: v1.indexQuery, description: "Resume after this index (Last-Event-ID wins when both are given)" },
    },
    headers: { "Last-Event-ID": { schema: v1.indexQuery, description: "Resume after this index" } },
    answers: { 200: { description: "The event stream", eventStream: true }, 400: BAD_REQUEST },
  },
  {
    method: "get", path: "/v1/openapi.json", tag: "v1", summary: "This document",
    answers: { 200: { description: "OpenAPI 3.1" } },
  },
  {
    method: "post", path: "/register", tag: "legacy", summary: "Register (the original protocol)",
    description: "The TTL is the server's --timeout; no meta.",
    body: legacy.registerRequest,
    answers: { 200: { description: "Registered", schema: legacy.registerResponse }, 400: BAD_REQUEST, 429: LIMIT },
  },
  {
    method: "post", path: "/lookup", tag: "legacy", summary: "A live instance's address, chosen at random",
    body: legacy.lookupRequest,
    answers: { 200: { description: "success false and an empty address when none is live", schema: legacy.lookupResponse }, 400: BAD_REQUEST },
  },
  {
    method: "post", path: "/heartbeat", tag: "legacy", summary: "Renew an instance",
    body: legacy.idRequest,
    answers: { 200: { description: "success false: register again", schema: legacy.successResponse }, 400: BAD_REQUEST },
  },
  {
    method: "post", path: "/deregister", tag: "legacy", summary: "Deregister an instance",
    body: legacy.idRequest,
    answers: { 200: { description: "success false: unknown, removed or expired", schema: legacy.successResponse }, 400: BAD_REQUEST },
  },
  {
    method: "get", path: "/healthz", tag: "operations", summary: "Liveness: 200 while the process serves",
    answers: { 200: { description: "Serving", schema: health.healthResponse } },
  },
  {
    method: "get", path: "/readyz", tag: "operations", summary: "Readiness: whether the store takes a real round trip",
    answers: {
      200: { description: "Ready", schema: health.readyResponse },
      503: { description: "The store cannot take writes (or did not answer within 5 s): why", schema: health.unavailableResponse },
    },
  },
  {
    method: "get", path: "/metrics", tag: "operations", summary: "Prometheus metrics (not served with --metrics off)",
    answers: { 200: { description: "The Prometheus text format, version 0.0.4", plainText: true } },
  },
  {
    method: "get", path: "/v1/status", tag: "operations", summary: "The server's facts and the catalog's totals",
    answers: { 200: { description: "Version, store, default TTL, uptime, totals", schema: statusResponse } },
  },
  {
    method: "get", path: "/", tag: "dashboard", summary: "Redirects to the dashboard",
    answers: { 302: { description: "To /ui", headers: { Location: "/ui" } } },
  },
  {
    method: "get", path: "/ui", tag: "dashboard", summary: "The dashboard: every service, live",
    answers: { 200: { description: "The page (no token needed: it reads the API with the tab's)", media: ["text/html"] } },
  },
  {
    method: "get", path: "/ui/services/{name}", tag: "dashboard", summary: "The dashboard: one service's instances, live",
    pathParameters: { name: serviceName },
    answers: { 200: { description: "The page", media: ["text/html"] }, 400: BAD_REQUEST },
  },
  {
    method: "get", path: "/ui/assets/{file}", tag: "dashboard", summary: "The dashboard's script and stylesheet",
    description: "Named by content hash (the page links the current ones), so cached for good; gzip when accepted.",
    pathParameters: { file: z.string() },
    answers: { 200: { description: "The asset", media: ["text/javascript", "text/css"] }, 404: problem("No such asset") },
  },
];

function jsonSchema(schema: Schema, io: "input" | "output"): JsonObject {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonObject;
  return rest;
}

function operationObject(operation: Operation): JsonObject {
  const parameters: JsonObject[] = [];
  for (const [name, schema] of Object.entries(operation.pathParameters ?? {})) {
    parameters.push({ name, in: "path", required: true, schema: jsonSchema(schema, "input") });
  }
  for (const [name, { schema, description, repeatable }] of Object.entries(operation.query ?? {})) {
    const input = jsonSchema(schema, "input");
    parameters.push({
      name,
      in: "query",
      required: false,
      description: description ?? input.description,
      schema: repeatable ? { type: "array", items: input } : input,
      ...(repeatable ? { style: "form", explode: true } : {}),
    });
  }
  for (const [name, { schema, description }] of Object.entries(operation.headers ?? {})) {
    parameters.push({ name, in: "header", required: false, description, schema: jsonSchema(schema, "input") });
  }
  const responses: JsonObject = {
    default: {
      description: "Any other failure, as {error}: 405 wrong method, 413 body over 64 KiB, 503 store unavailable (nothing changed), 500",
      content: { "application/json": { schema: jsonSchema(errorResponse, "output") } },
    },
  };
  for (const [status, answer] of Object.entries(operation.answers)) {
    const content = answer.eventStream
      ? { "text/event-stream": { schema: { type: "string" } } }
      : answer.plainText
      ? { "text/plain": { schema: { type: "string" } } }
      : answer.media
      ? Object.fromEntries(answer.media.map((type) => [type, { schema: { type: "string" } }]))
      : answer.schema
      ? { "application/json": { schema: jsonSchema(answer.schema, "output") } }
      : undefined;
    const headers = answer.headers &&
      Object.fromEntries(Object.entries(answer.headers).map(([name, description]) => [name, { description, schema: { type: "string" } }]));
    responses[status] = { description: answer.description, ...(headers ? { headers } : {}), ...(content ? { content } : {}) };
  }
  return {
    tags: [operation.tag],
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(operation.body
      ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(operation.body, "input") } } } }
      : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of the whole API. */
export function openApiDocument(): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const operation of operations) (paths[operation.path] ??= {})[operation.method] = operationObject(operation);
  return {
    openapi: "3.1.0",
    info: {
      title: "srsr, the Really Simple Service Registry",
      version: VERSION,
      description: "The v1 API, Server-Sent Events, the original srsr protocol (legacy), and probes and metrics for operators.",
    },
    tags: [
      { name: "v1", description: "Services and instances as JSON resources, with long-polls" },
      { name: "events", description: "Changes as Server-Sent Events" },
      { name: "legacy", description: "The original srsr protocol, byte for byte" },
      { name: "operations", description: "Health, readiness, status and Prometheus metrics, for operators and orchestrators" },
      { name: "dashboard", description: "The live web dashboard srsr serves itself (open: its pages read the API with the tab's token)" },
    ],
    paths,
  };
}
