/**
 * Why a runtime could not listen, in one sentence: both adapters map their own error shapes
 * (Node-style codes on Bun, error names on Deno) to it.
 *
 * @module
 */

import { isIP } from "node:net";
import { joinHostPort } from "../address.ts";
import type { ServeOptions } from "./types.ts";

/** The server could not listen: port in use, no permission, no such address. */
export class ListenError extends Error {
  override name = "ListenError";
}

export function listenError(error: unknown, { hostname, port, tls }: Pick<ServeOptions, "hostname" | "port" | "tls">): ListenError {
  const { code, name, message } = error as { code?: string; name?: string; message?: string };
  const where = joinHostPort(hostname, port);
  if (code === "EADDRINUSE" || name === "AddrInUse") {
    return new ListenError(`cannot listen on ${where}: the port is already in use (choose another with --port)`);
  }
  if (code === "EACCES" || name === "PermissionDenied") {
    return new ListenError(`cannot listen on ${where}: permission denied (ports below 1024 need privileges)`);
  }
  if (code === "EADDRNOTAVAIL" || name === "AddrNotAvailable") {
    return new ListenError(`cannot listen on ${where}: the address is not on this machine (see --host)`);
  }
  // Bun says EINVAL, Deno names getaddrinfo, when a hostname does not resolve.
  if ((code === "EINVAL" && isIP(hostname) === 0) || message?.startsWith("failed to lookup address")) {
    return new ListenError(`cannot listen on ${where}: the host name does not resolve (see --host)`);
  }
  // The composition root checks the PEM files first; this is for what it let through and the
  // runtime still refused (a key type its TLS library does not take).
  if (tls) return new ListenError(`cannot serve HTTPS on ${where}: ${message ?? String(error)} (see --tls-cert and --tls-key)`);
  return new ListenError(`cannot listen on ${where}: ${message ?? String(error)}`);
}
