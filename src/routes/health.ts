/**
 * The probes: `GET /healthz` answers while the process serves; `GET /readyz` answers 200 when
 * the store takes a real round trip, and 503 saying why when it does not (a lost SQLite file,
 * a database out of reach), so a load balancer or an orchestrator stops sending traffic. Both
 * are cheap, log nothing below debug, and need no token.
 *
 * @module
 */

import { Hono } from "hono";
import type { Registry } from "../registry.ts";
import type { HealthResponse, ReadyResponse, UnavailableResponse } from "../wire/health.ts";

export interface HealthRoutesOptions {
  /** Milliseconds `/readyz` waits for the store before answering that it did not answer. @default 5_000 */
  readyTimeoutMs?: number;
}

/** Probes are about now: no cache may answer one. */
const NO_STORE = { "cache-control": "no-store" };

/** Why the store is not ready, or `undefined` when it is. */
async function storeProblem(registry: Registry, timeoutMs: number): Promise<string | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs / 1000} s`), timeoutMs);
  });
  try {
    return await Promise.race([registry.ready().then(() => undefined), timeout]);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(registry: Registry, { readyTimeoutMs = 5_000 }: HealthRoutesOptions = {}): Hono {
  return new Hono()
    .get("/healthz", (c) => c.json({ status: "ok" } satisfies HealthResponse, 200, NO_STORE))
    .get("/readyz", async (c) => {
      const problem = await storeProblem(registry, readyTimeoutMs);
      if (problem === undefined) return c.json({ status: "ready" } satisfies ReadyResponse, 200, NO_STORE);
      return c.json({ status: "unavailable", store: problem } satisfies UnavailableResponse, 503, NO_STORE);
    });
}
