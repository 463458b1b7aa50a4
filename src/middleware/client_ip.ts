/**
 * The IP a request came from: the socket peer the runtime reports, or with `--trust-proxy` the
 * first `X-Forwarded-For` entry. Computed only where a route needs it (a registration without
 * an address), never for every request.
 *
 * @module
 */

import type { Context } from "hono";
import { urlHost } from "../address.ts";
import type { GetClientIp } from "../runtime/types.ts";

export interface RequestIpOptions {
  /** The runtime's socket peer address. @default () => undefined (in-process requests have none) */
  clientIp?: GetClientIp;
  /** Take the first `X-Forwarded-For` entry instead; one that is not an IP is ignored. @default false */
  trustProxy?: boolean;
}

export type RequestIp = (c: Context) => string | undefined;

export function requestIpResolver({ clientIp = () => undefined, trustProxy = false }: RequestIpOptions = {}): RequestIp {
  return (c) => {
    const forwarded = trustProxy ? c.req.header("x-forwarded-for")?.split(",", 1)[0].trim() : undefined;
    return forwarded && urlHost(forwarded) !== undefined ? forwarded : clientIp(c);
  };
}
