/**
 * A throwaway certificate authority and a server certificate it signed, for 127.0.0.1, ::1 and
 * localhost, made with `openssl` in a temporary folder. Clients trust the CA, as they would a
 * private CA in production; nothing skips verification.
 *
 * @module
 */

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runToExit } from "./server.ts";

export interface TestCertificates {
  /** The folder holding every file below; `remove()` deletes it. */
  dir: string;
  /** The CA's certificate, PEM: what clients trust. */
  caFile: string;
  ca: string;
  /** The server's certificate and its unencrypted key, PEM: what `--tls-cert` and `--tls-key` take. */
  certFile: string;
  keyFile: string;
  remove(): Promise<void>;
}

// Everything spelled out rather than left to the system's openssl.cnf, which differs between
// machines. Python 3.13 and Go verify strictly: the CA needs keyCertSign, the leaf its SANs and
// an authority key id.
const CONFIG = `[req]
distinguished_name = name
prompt = no
[name]
CN = srsr test
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

const NEW_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/** Runs `openssl args` in `cwd`; throws with its output when it fails. */
export async function openssl(args: string[], cwd: string): Promise<void> {
  if (!Bun.which("openssl")) throw new Error("the TLS tests need openssl: install it (Debian: apt-get install openssl)");
  const { code, stderr } = await runToExit(["openssl", ...args], { cwd });
  if (code !== 0) throw new Error(`openssl ${args.join(" ")} failed (${code}): ${stderr}`);
}

/** Makes a CA and a server certificate signed by it, valid for two days. */
export async function makeTestCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), "srsr-tls-"));
  try {
    await writeFile(join(dir, "openssl.cnf"), CONFIG);
    const common = ["-config", "openssl.cnf", ...NEW_KEY];
    await openssl(["req", "-x509", ...common, "-extensions", "ca", "-subj", "/CN=srsr test CA", "-days", "2", "-keyout", "ca.key", "-out", "ca.pem"], dir);
    await openssl(["req", "-new", ...common, "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr"], dir);
    await openssl([
      "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
      "-extfile", "openssl.cnf", "-extensions", "server", "-days", "2", "-out", "server.pem",
    ], dir);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const caFile = join(dir, "ca.pem");
  return {
    dir,
    caFile,
    ca: await readFile(caFile, "utf8"),
    certFile: join(dir, "server.pem"),
    keyFile: join(dir, "server.key"),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
