/**
 * The legacy wire protocol's round trip, as one black-box scenario every way of running srsr
 * (Bun, Deno, the compiled binary) must pass: register, lookup, heartbeat, deregister, and the
 * answers once the instance is gone.
 *
 * @module
 */

import { expect } from "bun:test";
import type { RunningServer } from "./server.ts";

/** Runs the round trip for `name` against `server`; returns the id it registered. */
export async function expectWireRoundTrip(server: Pick<RunningServer, "post">, name = "billing"): Promise<string> {
  const registered = await server.post("/register", { name, address: "http://10.0.0.5", port: 8080 });
  expect(registered.status).toBe(200);
  expect(registered.json).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), success: true });
  const id = registered.json.id as string;
  expect((await server.post("/lookup", { name })).json).toEqual({ address: "http://10.0.0.5:8080", success: true });
  expect((await server.post("/heartbeat", { id })).json).toEqual({ success: true });
  expect((await server.post("/deregister", { id })).json).toEqual({ success: true });
  expect((await server.post("/lookup", { name })).json).toEqual({ address: "", success: false });
  expect((await server.post("/heartbeat", { id })).json).toEqual({ success: false });
  expect((await server.post("/deregister", { id })).json).toEqual({ success: false });
  return id;
}
