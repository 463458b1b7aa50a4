// The document served at /v1/openapi.json: valid OpenAPI 3.1, and true to the app's routes and
// to the wire contract it is generated from.

import { describe, expect, test } from "bun:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import type { z } from "zod";
import { MemoryStore } from "../stores/memory/store.ts";
import { createApp } from "../src/app.ts";
import { Metrics } from "../src/metrics/metrics.ts";
import { Registry } from "../src/registry.ts";
import * as legacy from "../src/wire/legacy.ts";
import * as v1 from "../src/wire/v1.ts";

interface JsonSchema {
  type?: string | string[];
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
}

interface Operation {
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
}

interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

const METHODS = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);
const INSTANCE_FIELDS = ["id", "name", "address", "meta", "ttl", "registeredAt", "expiresAt"];

// With metrics on, as srsr serves by default: /metrics is documented too.
const app = createApp({ registry: new Registry(new MemoryStore()), metrics: new Metrics() });
const served = await app.request("/v1/openapi.json");
const document = (await served.json()) as Document;

/** Every operation of the document as `METHOD /path`, with the operation. */
const operations = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item).filter(([method]) => METHODS.has(method))
    .map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, path, operation }))
);
const operation = (route: string) => {
  const found = operations.find((candidate) => candidate.route === route);
  if (!found) throw new Error(`the document has no operation ${route}`);
  return found.operation;
};

/** The app's routes as `METHOD /path` in OpenAPI's form (`/v1/instances/{id}`); "ALL" entries are middleware. */
const routes = [
  ...new Set(app.routes.filter(({ method }) => method !== "ALL").map(({ method, path }) => `${method} ${path.replace(/:(\w+)/g, "{$1}")}`)),
];

const jsonSchemaOf = (content: Record<string, { schema?: JsonSchema }> | undefined) => content?.["application/json"]?.schema;

describe("GET /v1/openapi.json", () => {
  test("answers JSON", () => {
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toStartWith("application/json");
  });

  test("validates against the official OpenAPI 3.1 schema", async () => {
    const validator = new Validator();
    // An object, not the text: the validator takes a string without a newline for a file name.
    const { valid, errors } = await validator.validate(structuredClone(document) as unknown as Record<string, unknown>);
    expect(errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  test("the validator rejects a document that breaks the schema, so the check above can fail", async () => {
    const broken = structuredClone(document);
    // A Response Object must have a description.
    delete (broken.paths["/v1/services"].get.responses["200"] as { description?: string }).description;
    expect((await new Validator().validate(broken as unknown as Record<string, unknown>)).valid).toBe(false);
  });

  test("has every route the app serves", () => {
    expect(routes.length).toBeGreaterThan(0);
    const documented = new Set(operations.map(({ route }) => route));
    expect(routes.filter((route) => !documented.has(route))).toEqual([]);
  });

  test("has no operation the app does not serve", () => {
    expect(operations.map(({ route }) => route).filter((route) => !routes.includes(route))).toEqual([]);
  });

  // The official schema cannot check this: OpenAPI requires each {name} of a path to be declared.
  test("declares each path's {parameters} as required path parameters, and no others", () => {
    for (const { route, path, operation } of operations) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name).sort();
      const declared = (operation.parameters ?? []).filter((parameter) => parameter.in === "path");
      expect({ route, names: declared.map(({ name }) => name).sort() }).toEqual({ route, names: inPath });
      for (const parameter of declared) expect({ route, required: parameter.required }).toEqual({ route, required: true });
    }
  });

  const bodies: [string, z.ZodObject][] = [
    ["POST /v1/services/{name}/instances", v1.registerRequest],
    ["PATCH /v1/instances/{id}", v1.patchRequest],
    ["POST /register", legacy.registerRequest],
    ["POST /lookup", legacy.lookupRequest],
    ["POST /heartbeat", legacy.idRequest],
    ["POST /deregister", legacy.idRequest],
  ];

  test.each(bodies)("%s takes a required JSON body with its wire schema's fields", (route, schema) => {
    const { requestBody } = operation(route);
    expect(requestBody?.required).toBe(true);
    const body = jsonSchemaOf(requestBody?.content);
    expect(body?.type).toBe("object");
    expect(Object.keys(body?.properties ?? {}).sort()).toEqual(Object.keys(schema.shape).sort());
  });

  test("only the operations that read a body document one", () => {
    const withBody = operations.filter(({ operation }) => operation.requestBody).map(({ route }) => route);
    expect(withBody.sort()).toEqual(bodies.map(([route]) => route).sort());
  });

  test.each([
    ["POST /v1/services/{name}/instances", "201"],
    ["GET /v1/services/{name}/pick", "200"],
    ["GET /v1/instances/{id}", "200"],
    ["PUT /v1/instances/{id}/heartbeat", "200"],
    ["PATCH /v1/instances/{id}", "200"],
  ])("%s answers %s with an Instance: its 7 fields, times as date-time", (route, status) => {
    const instance = jsonSchemaOf(operation(route).responses[status]?.content);
    expect(Object.keys(instance?.properties ?? {})).toEqual(INSTANCE_FIELDS);
    expect(instance?.required).toEqual(INSTANCE_FIELDS);
    expect(instance?.properties?.registeredAt).toMatchObject({ type: "string", format: "date-time" });
    expect(instance?.properties?.expiresAt).toMatchObject({ type: "string", format: "date-time" });
  });

  test("GET /v1/services/{name} answers a list of those same Instances", () => {
    const list = jsonSchemaOf(operation("GET /v1/services/{name}").responses["200"]?.content);
    expect(list?.properties?.instances?.items).toEqual(jsonSchemaOf(operation("GET /v1/instances/{id}").responses["200"]?.content));
  });

  test("every error answer is the {error} body, except a readiness probe's", () => {
    // 503 from /readyz is the probe's answer, {status, store}, as orchestrators and people read it.
    const errors = operations.flatMap(({ route, operation }) =>
      Object.entries(operation.responses).filter(([status]) => Number(status) >= 400 && `${route} ${status}` !== "GET /readyz 503")
        .map(([status, response]) => ({ answer: `${route} ${status}`, schema: jsonSchemaOf(response.content) }))
    );
    expect(errors.length).toBeGreaterThan(0);
    for (const { answer, schema } of errors) {
      expect({ answer, schema }).toMatchObject({
        answer,
        schema: { type: "object", properties: { error: { type: "string" } }, required: ["error"] },
      });
    }
  });
});
