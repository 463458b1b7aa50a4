/** The client's IP and the idle timeout of one request, on Bun. @module */

import type { Context } from "hono";
import { getBunServer } from "hono/bun";
import type { GetClientIp, HoldOpen } from "../types.ts";
import { originalRequests } from "./serve.ts";

interface BunServer {
  requestIP(request: Request): { address: string } | null;
  timeout(request: Request, seconds: number): void;
}

// c.env is the server for requests Bun.serve hands in; in-process requests (app.request) have none.
const serverOf = (c: Context) => (c.env ? getBunServer<BunServer>(c) : undefined);

const bunRequest = (c: Context) => originalRequests.get(c.req.raw) ?? c.req.raw;

export const clientIp: GetClientIp = (c) => serverOf(c)?.requestIP(bunRequest(c))?.address;

export const holdOpen: HoldOpen = (c, seconds) => serverOf(c)?.timeout(bunRequest(c), seconds);
