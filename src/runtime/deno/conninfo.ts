/** The client's IP and the idle timeout of one request, on Deno. @module */

import type { GetClientIp, HoldOpen } from "../types.ts";

interface DenoServeInfo {
  remoteAddr?: { hostname: string };
}

export const clientIp: GetClientIp = (c) => (c.env as DenoServeInfo | undefined)?.remoteAddr?.hostname;

/** Deno.serve has no idle timeout for a request that is waiting for its answer. */
export const holdOpen: HoldOpen = () => {};
