/**
 * Replays the shared wire fixture (test/fixtures/client_cases.json), which the Go and Python
 * client suites replay too, through the TypeScript RegistryClient against a real srsr process.
 * A case's steps run in order; a failing step names its case and its position.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RegistryClient, RegistryError } from "../src/client.ts";
import { ROOT, type RunningServer, srsrCommand, startServer } from "./support/server.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface CallStep {
  call: "register" | "get" | "list" | "pick" | "services" | "heartbeat" | "deregister" | "update_meta";
  args: Record<string, Json>;
  result?: Json;
  error?: { status: number; contains: string };
  capture?: string;
}
interface RequestStep {
  request: { method: string; path: string; body?: Json; rawBody?: string };
  response: { status: number; body?: Json };
  capture?: string;
}
type Step = CallStep | RequestStep;

const fixture = JSON.parse(readFileSync(join(ROOT, "test", "fixtures", "client_cases.json"), "utf8")) as {
  cases: { name: string; steps: Step[] }[];
};

/** Replaces every `{name.path}` in strings of `value` by the captured value (whole-string placeholders keep its type). */
function substitute(value: Json, captured: Map<string, Json>): Json {
  if (typeof value === "string") {
    const lookup = (reference: string): Json => {
      const [name, ...path] = reference.split(".");
      if (!captured.has(name)) throw new Error(`nothing captured as "${name}" (in "${value}")`);
      let found: Json | undefined = captured.get(name);
      for (const key of path) found = (found as Record<string, Json> | null | undefined)?.[key];
      if (found === undefined) throw new Error(`captured "${name}" has no ${path.join(".")}`);
      return found;
    };
    const whole = /^\{([A-Za-z_][\w.]*)\}$/.exec(value);
    if (whole) return lookup(whole[1]);
    return value.replace(/\{([A-Za-z_][\w.]*)\}/g, (_, reference: string) => String(lookup(reference)));
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, captured));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, captured)]));
  }
  return value;
}

/** Why `actual` does not match `expected` (subset objects, exact-length arrays, `$type`), or `undefined`. */
function mismatch(expected: Json, actual: unknown, at = "result"): string | undefined {
  if (expected !== null && typeof expected === "object" && !Array.isArray(expected) && typeof expected.$type === "string") {
    const type = Array.isArray(actual) ? "array" : actual === null ? "null" : typeof actual;
    return type === expected.$type ? undefined : `${at}: expected a ${expected.$type}, got ${JSON.stringify(actual)}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${at}: expected an array, got ${JSON.stringify(actual)}`;
    if (actual.length !== expected.length) return `${at}: expected ${expected.length} items, got ${actual.length}: ${JSON.stringify(actual)}`;
    for (const [i, item] of expected.entries()) {
      const problem = mismatch(item, actual[i], `${at}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) return `${at}: expected an object, got ${JSON.stringify(actual)}`;
    for (const [key, item] of Object.entries(expected)) {
      const problem = mismatch(item, (actual as Record<string, unknown>)[key], `${at}.${key}`);
      if (problem) return problem;
    }
    return undefined;
  }
  return Object.is(expected, actual) ? undefined : `${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

/** One fixture call through RegistryClient, answered as the fixture's language-neutral value. */
async function call(registry: RegistryClient, { call, args }: CallStep): Promise<unknown> {
  const meta = args.meta as Record<string, string> | undefined;
  switch (call) {
    case "register":
      return await registry.registration.register(args.name as string, {
        address: args.address as string | undefined,
        meta,
        ttl: args.ttl as number | undefined,
      });
    case "get":
      return await registry.instances.get(args.id as string);
    case "list":
      return (await registry.instances.list(args.name as string, { meta })).instances;
    case "pick":
      return await registry.instances.pick(args.name as string, { meta });
    case "services":
      return (await registry.instances.services()).services;
    case "heartbeat":
      return (await registry.registration.heartbeat(args.id as string)) !== null;
    case "deregister":
      return await registry.registration.deregister(args.id as string);
    case "update_meta":
      return await registry.registration.updateMeta(args.id as string, args.meta as Record<string, string | null>);
    default:
      throw new Error(`the fixture calls ${JSON.stringify(call)}, which this replayer does not know`);
  }
}

let srsr: RunningServer;
let registry: RegistryClient;
beforeAll(async () => {
  srsr = await startServer(srsrCommand("bun"), ["-t", "30"]);
  registry = new RegistryClient({ server: srsr.url });
});
afterAll(async () => {
  await srsr?.stop();
});

describe("the shared wire fixture, replayed through RegistryClient", () => {
  test("the fixture has cases, each using names of its own (fx-<case number>), and every call", () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(10);
    const owners = new Map<string, string>();
    for (const { name, steps } of fixture.cases) {
      const used = new Set<string>();
      for (const step of steps) {
        const text = "call" in step ? String(step.args.name ?? "") : step.request.path;
        const prefix = /\bfx-\d+/.exec(text)?.[0];
        if (prefix) used.add(prefix);
      }
      expect({ name, prefixes: used.size }).toEqual({ name, prefixes: 1 });
      const [prefix] = used;
      expect({ prefix, owner: owners.get(prefix) ?? name }).toEqual({ prefix, owner: name });
      owners.set(prefix, name);
    }
    const calls = new Set(fixture.cases.flatMap(({ steps }) => steps.flatMap((step) => ("call" in step ? [step.call] : []))));
    expect([...calls]).toEqual(expect.arrayContaining(["deregister", "get", "heartbeat", "list", "pick", "register", "services", "update_meta"]));
  });

  for (const testCase of fixture.cases) {
    test(testCase.name, async () => {
      const captured = new Map<string, Json>();
      for (const [i, raw] of testCase.steps.entries()) {
        const where = `step ${i + 1} (${"call" in raw ? raw.call : `${raw.request.method} ${raw.request.path}`})`;
        let actual: unknown;
        if ("call" in raw) {
          const step = { ...raw, args: substitute(raw.args, captured) as Record<string, Json> };
          if (raw.error) {
            const error = await call(registry, step).then((value) => ({ resolved: value }), (caught: unknown) => caught);
            expect(error, where).toBeInstanceOf(RegistryError);
            const { status, message } = error as RegistryError;
            expect({ where, status }).toEqual({ where, status: raw.error.status });
            expect(message, where).toContain(raw.error.contains);
            continue;
          }
          actual = await call(registry, step);
          if (raw.result !== undefined) expect(mismatch(substitute(raw.result, captured), actual), where).toBeUndefined();
        } else {
          const { method, path, body, rawBody } = raw.request;
          const sent = rawBody ?? (body === undefined ? undefined : JSON.stringify(substitute(body, captured)));
          const response = await fetch(new URL((substitute(path, captured) as string).replace(/^\//, ""), registry.server), {
            method,
            headers: sent === undefined ? {} : { "content-type": "application/json" },
            body: sent,
          });
          const text = await response.text();
          expect({ where, status: response.status }).toEqual({ where, status: raw.response.status });
          actual = text === "" ? null : JSON.parse(text);
          if (raw.response.body !== undefined) expect(mismatch(substitute(raw.response.body, captured), actual, "body"), where).toBeUndefined();
        }
        if (raw.capture) captured.set(raw.capture, actual as Json);
      }
    });
  }
});
