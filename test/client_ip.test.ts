/**
 * The client IP behind proxies (issue 10, item 10): `--trust-proxy` takes the entry the proxy
 * added (the last), and `--trusted-proxy CIDR…` the rightmost hop not among the proxies, so a
 * client's own `X-Forwarded-For` behind an appending proxy names nothing.
 */
import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { requestIpResolver, type RequestIpOptions } from "../src/middleware/client_ip.ts";

/** The IP the resolver finds for a request from `peer` with `forwardedFor` (undefined: no header). */
async function clientIpOf(options: RequestIpOptions & { peer?: string }, forwardedFor?: string | string[]) {
  const resolve = requestIpResolver({ ...options, clientIp: () => options.peer });
  const app = new Hono().get("/", (c) => c.json({ ip: resolve(c) ?? null }));
  const headers = new Headers();
  for (const value of [forwardedFor ?? []].flat()) headers.append("x-forwarded-for", value);
  return ((await (await app.request("/", { headers })).json()) as { ip: string | null }).ip;
}

describe("--trust-proxy: the peer is a proxy", () => {
  test.each([
    ["203.0.113.9", "203.0.113.9"],
    // A client behind an appending proxy (nginx's $proxy_add_x_forwarded_for) sent "6.6.6.6".
    ["6.6.6.6, 203.0.113.9", "203.0.113.9"],
    ["6.6.6.6,203.0.113.9 ", "203.0.113.9"],
    ["::ffff:203.0.113.9", "::ffff:203.0.113.9"],
    ["2001:db8::9", "2001:db8::9"],
    ["6.6.6.6, unknown", "10.0.0.1"],
    ["", "10.0.0.1"],
  ])("X-Forwarded-For %j -> %s", async (header, expected) => {
    expect(await clientIpOf({ trustProxy: true, peer: "10.0.0.1" }, header)).toBe(expected);
  });

  test("a repeated header counts as one list, in order", async () => {
    expect(await clientIpOf({ trustProxy: true, peer: "10.0.0.1" }, ["6.6.6.6", "203.0.113.9"])).toBe("203.0.113.9");
  });

  test("without it, X-Forwarded-For is ignored", async () => {
    expect(await clientIpOf({ peer: "198.51.100.4" }, "203.0.113.9")).toBe("198.51.100.4");
  });
});

describe("--trusted-proxy: the rightmost hop that is not a trusted proxy", () => {
  const trustedProxies = ["10.0.0.0/8", "fd00::/8"];

  test.each([
    // client -> CDN (10.1.1.1) -> load balancer (10.2.2.2) -> srsr
    ["203.0.113.9, 10.1.1.1", "10.2.2.2", "203.0.113.9"],
    // The client wrote its own entries first; the proxies appended after them.
    ["6.6.6.6, 10.9.9.9, 203.0.113.9, 10.1.1.1", "10.2.2.2", "203.0.113.9"],
    ["203.0.113.9", "::ffff:10.2.2.2", "203.0.113.9"],
    ["2001:db8::9, fd00::1", "fd00::2", "2001:db8::9"],
    // Every hop a proxy: the farthest is the best known.
    ["10.1.1.1, 10.3.3.3", "10.2.2.2", "10.1.1.1"],
    // A hop no proxy would write: the nearest proxy is as far as the word of trusted hops goes.
    ["203.0.113.9, junk, 10.1.1.1", "10.2.2.2", "10.1.1.1"],
    [undefined, "10.2.2.2", "10.2.2.2"],
  ])("X-Forwarded-For %j from %s -> %s", async (header, peer, expected) => {
    expect(await clientIpOf({ trustedProxies, peer }, header)).toBe(expected);
  });

  test("a peer that is not a trusted proxy is the client, whatever it claims", async () => {
    expect(await clientIpOf({ trustedProxies, peer: "198.51.100.4" }, "203.0.113.9")).toBe("198.51.100.4");
    expect(await clientIpOf({ trustedProxies, trustProxy: true, peer: "198.51.100.4" }, "203.0.113.9")).toBe("198.51.100.4");
  });

  test("a request with no known peer (in-process) has no client IP from the header", async () => {
    expect(await clientIpOf({ trustedProxies }, "203.0.113.9")).toBeNull();
  });
});
