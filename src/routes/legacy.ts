/**
 * The original srsr API, wire-compatible with the Go server and its clients: four POST
 * endpoints taking and answering JSON, in the key order of the original (src/wire/legacy.ts).
 * Registrations get the server's `--timeout` as TTL and no meta.
 *
 * @module
 */

import { Hono } from "hono";
import { readJson } from "../http.ts";
import type { RequestIp } from "../middleware/client_ip.ts";
import type { Registry } from "../registry.ts";
import { idRequest, lookupRequest, type LookupResponse, registerRequest, type RegisterResponse, type SuccessResponse } from "../wire/legacy.ts";
import { registrationAddress } from "./registration.ts";

/** The paths, for the 405 check and the OpenAPI document. */
export const LEGACY_PATHS = ["/register", "/deregister", "/lookup", "/heartbeat"] as const;

export function legacyRoutes(registry: Registry, { requestIp }: { requestIp: RequestIp }): Hono {
  return new Hono()
    .post("/register", async (c) => {
      const body = await readJson(c, registerRequest);
      const address = registrationAddress(c, requestIp, body);
      const instance = await registry.register({ name: body.name, address });
      return c.json({ id: instance.id, success: true } satisfies RegisterResponse);
    })
    .post("/deregister", async (c) => {
      const { id } = await readJson(c, idRequest);
      return c.json({ success: (await registry.deregister(id)) !== undefined } satisfies SuccessResponse);
    })
    .post("/lookup", async (c) => {
      const { name } = await readJson(c, lookupRequest);
      const instance = await registry.pick(name);
      return c.json({ success: instance !== undefined, address: instance?.address ?? "" } satisfies LookupResponse);
    })
    .post("/heartbeat", async (c) => {
      const { id } = await readJson(c, idRequest);
      return c.json({ success: (await registry.heartbeat(id)) !== undefined } satisfies SuccessResponse);
    });
}
