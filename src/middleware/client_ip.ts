/**
 * The IP a request came from: the socket peer the runtime reports or, behind proxies srsr
 * trusts, the nearest hop in `X-Forwarded-For` that is not one of them. Computed only where a
 * route needs it (a registration without an address), never for every request.
 *
 * Proxies append the address they were reached from to `X-Forwarded-For`, after whatever the
 * client sent, so only entries from the right are true, and the leftmost is whatever the client
 * wrote. Walking from the right past the trusted proxies finds the first address no trusted
 * proxy vouches for: the client.
 *
 * @module
 */

import type { Context } from "hono";
import { isIP } from "node:net";
import { cidrMatcher } from "../cidr.ts";
import type { GetClientIp } from "../runtime/types.ts";

export interface RequestIpOptions {
  /** The runtime's socket peer address. @default () => undefined (in-process requests have none) */
  clientIp?: GetClientIp;
  /**
   * The socket peer is a proxy: the client is the last `X-Forwarded-For` entry, the one that
   * proxy added (`--trust-proxy`). @default false
   */
  trustProxy?: boolean;
  /**
   * The proxies trusted, as addresses or CIDR ranges (`--trusted-proxy`): a peer in them is a
   * proxy, and so is every hop in them from the right of `X-Forwarded-For`; the client is the
   * first that is not. Given, it replaces `trustProxy`'s one hop. @default []
   */
  trustedProxies?: readonly string[];
}

export type RequestIp = (c: Context) => string | undefined;

/** `X-Forwarded-For`'s entries, right to left (a repeated header counts as one list, in order). */
function forwardedHops(c: Context): string[] {
  const header = c.req.header("x-forwarded-for");
  return header === undefined ? [] : header.split(",").map((hop) => hop.trim()).reverse();
}

const isIpAddress = (text: string) => isIP(text) !== 0;

export function requestIpResolver({ clientIp = () => undefined, trustProxy = false, trustedProxies = [] }: RequestIpOptions = {}): RequestIp {
  if (trustedProxies.length > 0) {
    const trusted = cidrMatcher(trustedProxies);
    return (c) => {
      let client = clientIp(c);
      if (client === undefined || !trusted(client)) return client;
      for (const hop of forwardedHops(c)) {
        // A hop that is no address was not written by a trusted proxy: the peer's word stops there.
        if (!isIpAddress(hop)) return client;
        client = hop;
        if (!trusted(hop)) return hop;
      }
      return client;
    };
  }
  if (trustProxy) {
    return (c) => {
      const [last] = forwardedHops(c);
      return last !== undefined && isIpAddress(last) ? last : clientIp(c);
    };
  }
  return clientIp;
}
