/**
 * The original srsr API, wire-compatible with the Go server and its clients: four POST
 * endpoints taking and answering JSON. Keys come in the order the original's Go structs
 * declare them (`id, success`; `success, address`), so answers match it byte for byte.
 *
 * @module
 */

import { type Context, Hono } from "hono";
import { z } from "zod";
import { addressFromClientIp, addressProblem, isPort, urlHost, WHITESPACE_OR_CONTROL } from "../address.ts";
import { httpError, readJson } from "../http.ts";
import type { Registry } from "../registry.ts";

export const MAX_NAME_LENGTH = 253;
const MAX_ID_LENGTH = 128;

const requiredString = () =>
  z.string({ error: (issue) => (issue.input === undefined ? "is required" : "must be a string") })
    .min(1, { error: "must not be empty" });

const serviceName = requiredString()
  .max(MAX_NAME_LENGTH, { error: `must be at most ${MAX_NAME_LENGTH} characters` })
  .refine((name) => !WHITESPACE_OR_CONTROL.test(name), { error: "must not contain whitespace or control characters" });

const instanceId = requiredString().max(MAX_ID_LENGTH, { error: `must be at most ${MAX_ID_LENGTH} characters` });

// The original Python client sends `"port": ""` and `"address": ""` for "not given".
const port = z.union([z.number(), z.string(), z.null()], { error: "must be a number or a numeric string" })
  .optional()
  .transform((value, ctx) => {
    if (value === undefined || value === null || value === "") return undefined;
    const number = typeof value === "number" ? value : /^\d+$/.test(value) ? Number(value) : NaN;
    if (!isPort(number)) {
      ctx.issues.push({ code: "custom", input: value, message: "must be an integer from 1 to 65535" });
      return z.NEVER;
    }
    return number;
  });

const address = z.string({ error: "must be a string" }).nullable().optional();

export const registerBody = z.object({ name: serviceName, address, port });
export const nameBody = z.object({ name: serviceName });
export const idBody = z.object({ id: instanceId });

export interface LegacyRoutesOptions {
  /** The IP the request came from, as the runtime reports it; `undefined` when unknown. */
  clientIp: (c: Context) => string | undefined;
  /** Take the client IP from the first `X-Forwarded-For` entry. @default false */
  trustProxy?: boolean;
}

export function legacyRoutes(registry: Registry, { clientIp, trustProxy = false }: LegacyRoutesOptions): Hono {
  // The first X-Forwarded-For entry is the original client; one that is not an IP is ignored.
  const requestIp = (c: Context): string | undefined => {
    const forwarded = trustProxy ? c.req.header("x-forwarded-for")?.split(",", 1)[0].trim() : undefined;
    return forwarded && urlHost(forwarded) !== undefined ? forwarded : clientIp(c);
  };

  return new Hono()
    .post("/register", async (c) => {
      const body = await readJson(c, registerBody);
      let registered: string | undefined;
      if (body.address) {
        registered = body.port === undefined ? body.address : `${body.address}:${body.port}`;
        const problem = addressProblem(registered);
        if (problem) throw httpError(400, `address: ${problem}`);
      } else {
        const ip = requestIp(c);
        registered = ip === undefined ? undefined : addressFromClientIp(ip, body.port);
        if (registered === undefined) {
          throw httpError(400, "address: is required: the client's IP address could not be determined");
        }
      }
      const instance = await registry.register({ name: body.name, address: registered });
      return c.json({ id: instance.id, success: true });
    })
    .post("/deregister", async (c) => {
      const { id } = await readJson(c, idBody);
      return c.json({ success: await registry.deregister(id) });
    })
    .post("/lookup", async (c) => {
      const { name } = await readJson(c, nameBody);
      const instance = await registry.lookup(name);
      return c.json({ success: instance !== undefined, address: instance?.address ?? "" });
    })
    .post("/heartbeat", async (c) => {
      const { id } = await readJson(c, idBody);
      return c.json({ success: await registry.heartbeat(id) });
    });
}
