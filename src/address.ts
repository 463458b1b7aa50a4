/**
 * What a valid instance address is, and how one is deduced from the client's IP when a
 * service registers with only a port (or nothing).
 *
 * @module
 */

import { isIP } from "node:net";

export const MAX_ADDRESS_LENGTH = 2048;

// A hostname, an IPv4 address or a bracketed IPv6 address, then a port.
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+(?:%[\w.-]+)?\]|[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?):(\d{1,5})$/;
// Scheme, colon, then at least one character: `http://10.0.0.5:8080`, `grpc://svc:9000`, and
// the original's `localhost:5000` (scheme "localhost") all parse as absolute URIs.
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:.+$/;
/**
 * Whitespace and control characters (C0, DEL, C1), allowed in no name or address; `\s` covers
 * Unicode spaces.
 */
export const WHITESPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f-\u009f]/;
/**
 * Unicode format characters (General_Category Cf): invisible ones (U+200B, U+00AD, U+180E) and
 * those that reorder text (U+202E, U+2066), with which `billing` plus a zero-width space passes
 * for `billing`. Allowed in no name or address.
 */
export const FORMAT_CHARACTER = /\p{Cf}/u;
/** {@link WHITESPACE_OR_CONTROL} and {@link FORMAT_CHARACTER} in one pass, for the names of every lookup. */
export const NOT_IN_NAMES = /[\s\u0000-\u001f\u007f-\u009f\p{Cf}]/u;

export const NO_WHITESPACE_OR_CONTROL = "must not contain whitespace or control characters";
export const NO_FORMAT_CHARACTERS =
  "must not contain invisible or bidirectional format characters (Unicode Cf, such as U+200B or U+202E)";

/**
 * Schemes a browser runs or reads locally: the dashboard renders addresses as links and lookups
 * hand them to every caller. `javascript` and `vbscript` are refused as a host:port's host too
 * (`javascript:80` runs as script in a link); `data` and `file` are real host names
 * (`data:5432`) and harmless in that form.
 */
const SCRIPT_HOSTS = new Set(["javascript", "vbscript"]);
const REFUSED_SCHEMES = new Set(["javascript:", "vbscript:", "data:", "file:"]);

/** Why `address` cannot be registered, or `undefined` when it can. */
export function addressProblem(address: string): string | undefined {
  if (address.length > MAX_ADDRESS_LENGTH) return `must be at most ${MAX_ADDRESS_LENGTH} characters`;
  if (WHITESPACE_OR_CONTROL.test(address)) return NO_WHITESPACE_OR_CONTROL;
  if (FORMAT_CHARACTER.test(address)) return NO_FORMAT_CHARACTERS;
  const hostPort = HOST_PORT.exec(address);
  if (hostPort) {
    if (SCRIPT_HOSTS.has(hostPort[1].toLowerCase())) return `must not be a ${hostPort[1].toLowerCase()}: URI`;
    return isPort(Number(hostPort[2])) ? undefined : "port must be an integer from 1 to 65535";
  }
  const url = ABSOLUTE_URI.test(address) ? URL.parse(address) : null;
  if (url === null) return "must be an absolute URI (http://10.0.0.5:8080) or host:port (10.0.0.5:8080)";
  if (REFUSED_SCHEMES.has(url.protocol)) return `must not be a ${url.protocol} URI`;
  // A bare user (ssh://git@host) is no secret; a password handed to every caller is one.
  if (url.password !== "") return "must not carry a password (user:password@): every lookup hands the address out";
  return undefined;
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
