/**
 * What a valid instance address is, and how one is deduced from the client's IP when a
 * service registers with only a port (or nothing).
 *
 * @module
 */

import { isIP } from "node:net";

export const MAX_ADDRESS_LENGTH = 2048;

// A hostname, an IPv4 address or a bracketed IPv6 address, then a port.
const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+(?:%[\w.-]+)?\]|[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?):(\d{1,5})$/;
// Scheme, colon, then at least one character: `http://10.0.0.5:8080`, `grpc://svc:9000`, and
// the original's `localhost:5000` (scheme "localhost") all parse as absolute URIs.
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:.+$/;
/**
 * Whitespace and control characters (C0, DEL, C1), allowed in no name or address; `\s` covers
 * Unicode spaces.
 */
export const WHITESPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f-\u009f]/;

/** Why `address` cannot be registered, or `undefined` when it can. */
export function addressProblem(address: string): string | undefined {
  if (address.length > MAX_ADDRESS_LENGTH) return `must be at most ${MAX_ADDRESS_LENGTH} characters`;
  if (WHITESPACE_OR_CONTROL.test(address)) return "must not contain whitespace or control characters";
  const hostPort = HOST_PORT.exec(address);
  if (hostPort) {
    return isPort(Number(hostPort[1])) ? undefined : "port must be an integer from 1 to 65535";
  }
  if (ABSOLUTE_URI.test(address) && URL.canParse(address)) return undefined;
  return "must be an absolute URI (http://10.0.0.5:8080) or host:port (10.0.0.5:8080)";
}

export function isPort(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 65535;
}

/**
 * The IP a request came from as it belongs in a URL: IPv4-mapped IPv6 (`::ffff:10.1.2.3`)
 * becomes plain IPv4, real IPv6 is bracketed. `undefined` when `ip` is not an IP address.
 */
export function urlHost(ip: string): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  switch (isIP(ip)) {
    case 4:
      return ip;
    case 6:
      return `[${ip}]`;
    default:
      return undefined;
  }
}

/** `host:port` as a URL and a reader write it: an IPv6 host in brackets (`[::1]:4214`). */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `http://<client-ip>[:<port>]`, the address of a service that registered without one. */
export function addressFromClientIp(ip: string, port?: number): string | undefined {
  const host = urlHost(ip);
  if (host === undefined) return undefined;
  return port === undefined ? `http://${host}` : `http://${host}:${port}`;
}
