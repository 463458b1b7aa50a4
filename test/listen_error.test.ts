import { describe, expect, test } from "bun:test";
import { listenError } from "../src/runtime/listen_error.ts";

/** Errors shaped as each runtime throws them. */
const bun = (code: string, message = `${code}: listen`) => Object.assign(new Error(message), { code });
const deno = (name: string, message = name) => Object.assign(new Error(message), { name });

describe("listenError()", () => {
  test.each([
    ["Bun EADDRINUSE", "127.0.0.1", "cannot listen on 127.0.0.1:4214: the port is already in use (choose another with --port)", bun("EADDRINUSE")],
    ["Deno AddrInUse", "::1", "cannot listen on [::1]:4214: the port is already in use (choose another with --port)", deno("AddrInUse")],
    ["Bun EACCES", "0.0.0.0", "cannot listen on 0.0.0.0:4214: permission denied (ports below 1024 need privileges)", bun("EACCES")],
    ["Bun EADDRNOTAVAIL", "::2", "cannot listen on [::2]:4214: the address is not on this machine (see --host)", bun("EADDRNOTAVAIL")],
    ["Deno AddrNotAvailable", "fe80::1%lo", "cannot listen on [fe80::1%lo]:4214: the address is not on this machine (see --host)", deno("AddrNotAvailable")],
    ["Bun EINVAL", "nosuch.invalid", "cannot listen on nosuch.invalid:4214: the host name does not resolve (see --host)", bun("EINVAL")],
    [
      "Deno's getaddrinfo failure",
      "nosuch.invalid",
      "cannot listen on nosuch.invalid:4214: the host name does not resolve (see --host)",
      deno("Error", "failed to lookup address information: Name or service not known"),
    ],
    ["Bun EINVAL", "10.0.0.1", "cannot listen on 10.0.0.1:4214: EINVAL: invalid argument, listen", bun("EINVAL", "EINVAL: invalid argument, listen")],
  ] as [string, string, string, Error][])("%s on %s -> %s", (_, hostname, message, error) => {
    expect(listenError(error, { hostname, port: 4214 }).message).toBe(message);
  });

  test("serving HTTPS, an error it does not know is the TLS library refusing the certificate or key", () => {
    const tls = { cert: "-----BEGIN CERTIFICATE-----", key: "-----BEGIN PRIVATE KEY-----" };
    expect(listenError(bun("ERR_SSL_UNSUPPORTED", "unsupported key type"), { hostname: "127.0.0.1", port: 4214, tls }).message)
      .toBe("cannot serve HTTPS on 127.0.0.1:4214: unsupported key type (see --tls-cert and --tls-key)");
    expect(listenError(bun("EADDRINUSE"), { hostname: "127.0.0.1", port: 4214, tls }).message)
      .toBe("cannot listen on 127.0.0.1:4214: the port is already in use (choose another with --port)");
  });
});
