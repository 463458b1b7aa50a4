/**
 * IP address ranges in CIDR notation (`10.0.0.0/8`, `fd00::/8`, or one address), for
 * `--trusted-proxy`. An IPv4-mapped IPv6 address (`::ffff:10.1.2.3`, as a dual-stack socket
 * reports an IPv4 peer) is the IPv4 address it maps.
 *
 * @module
 */

import { isIP } from "node:net";

interface Range {
  version: 4 | 6;
  network: bigint;
  mask: bigint;
}

/** An address as a number, with its version; `undefined` when `ip` is not an IP address. */
function parseIp(ip: string): { version: 4 | 6; value: bigint } | undefined {
  const address = ip.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  const version = isIP(address);
  if (version === 4) return { version: 4, value: ipv4Value(address) };
  if (version !== 6) return undefined;
  // The URL parser writes every IPv6 form out the same way: compressed, hex, no embedded IPv4.
  const groups = expandIpv6(URL.parse(`http://[${address}]/`)!.hostname.slice(1, -1));
  const value = groups.reduce((sum, group) => (sum << 16n) | BigInt(group), 0n);
  if (value >> 32n === 0xffffn) return { version: 4, value: value & 0xffffffffn };
  return { version: 6, value };
}

const ipv4Value = (address: string) => address.split(".").reduce((sum, octet) => (sum << 8n) | BigInt(Number(octet)), 0n);

function expandIpv6(compressed: string): number[] {
  const [head, tail] = compressed.split("::");
  const parse = (part: string | undefined) => (part ? part.split(":").map((group) => parseInt(group, 16)) : []);
  const before = parse(head);
  const after = parse(tail);
  return tail === undefined ? before : [...before, ...new Array(8 - before.length - after.length).fill(0), ...after];
}

function parseRange(text: string): Range | undefined {
  const [address, bits, extra] = text.trim().split("/");
  if (extra !== undefined) return undefined;
  const ip = parseIp(address);
  if (ip === undefined) return undefined;
  // A mapped address's prefix counts IPv6 bits: ::ffff:10.0.0.0/104 is 10.0.0.0/8.
  const mappedBits = ip.version === 4 && isIP(address.replace(/^\[(.*)\]$/, "$1")) === 6 ? 96 : 0;
  const width = ip.version === 4 ? 32 : 128;
  const prefix = bits === undefined ? width : /^\d{1,3}$/.test(bits) ? Number(bits) - mappedBits : NaN;
  if (!(prefix >= 0 && prefix <= width)) return undefined;
  const mask = ((1n << BigInt(width)) - 1n) ^ ((1n << BigInt(width - prefix)) - 1n);
  return { version: ip.version, network: ip.value & mask, mask };
}

/** Why `text` is not an IP address or a CIDR range, or `undefined` when it is one. */
export function cidrProblem(text: string): string | undefined {
  return parseRange(text) === undefined ? "is not an IP address or a CIDR range" : undefined;
}

/**
 * Whether an address is in any of `ranges` (each an address or CIDR range, already checked
 * with {@link cidrProblem}; others are ignored).
 *
 * @example
 * ```ts
 * const trusted = cidrMatcher(["10.0.0.0/8", "::1"]);
 * trusted("10.1.2.3"); // true
 * trusted("::ffff:10.1.2.3"); // true
 * ```
 */
export function cidrMatcher(ranges: readonly string[]): (ip: string) => boolean {
  const parsed = ranges.map(parseRange).filter((range) => range !== undefined);
  return (ip) => {
    const address = parseIp(ip);
    return address !== undefined &&
      parsed.some((range) => range.version === address.version && (address.value & range.mask) === range.network);
  };
}
