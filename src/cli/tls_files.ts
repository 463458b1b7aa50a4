/**
 * `readTlsFiles(paths)`: the `--tls-cert` and `--tls-key` files as PEM text, checked before
 * the runtime sees them. Bun and Deno both refuse a bad certificate or key when serving starts,
 * but in their TLS libraries' words ("NO_START_LINE", "KeyMismatch") and without naming a
 * file; this names the file and what is wrong with it, in one line.
 *
 * @module
 */

import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { TlsPem } from "../runtime/types.ts";

/** A `--tls-cert` or `--tls-key` file that cannot be used: srsr does not start (exit 1). */
export class TlsFileError extends Error {
  override name = "TlsFileError";
}

/** Every complete PEM block in `text`: its label (`CERTIFICATE`, `EC PRIVATE KEY`, …) and itself. */
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;
// PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`) and SEC1 (`EC PRIVATE KEY`) keys.
const PRIVATE_KEY_LABEL = /^(?:[A-Z]+ )?PRIVATE KEY$/;
/** The keys both Bun's TLS library (BoringSSL) and Deno's (rustls) serve with. */
const SERVABLE_KEYS = "an RSA, ECDSA (P-256, P-384 or P-521) or Ed25519 key";
const SERVABLE_CURVES = ["prime256v1", "secp384r1", "secp521r1"];

/**
 * Reads the certificate and key files; throws {@link TlsFileError} naming the flag and the file
 * when one is missing or unreadable, is not PEM, holds a key neither runtime serves with, or the
 * key does not belong to the certificate. One file may hold both, as Bun and Deno allow.
 *
 * @example
 * ```ts
 * const tls = config.tls && (await readTlsFiles(config.tls));
 * runtime.serve(app, { port, hostname, maxBodyBytes, tls });
 * ```
 */
export async function readTlsFiles(paths: { cert: string; key: string }): Promise<TlsPem> {
  const cert = await readPem("--tls-cert", paths.cert);
  const key = await readPem("--tls-key", paths.key);
  const certificate = parseCertificate(cert, paths.cert);
  const privateKey = parseKey(key, paths.key);
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new TlsFileError(
      `--tls-key ${quote(paths.key)}: this key does not belong to the certificate in --tls-cert ${quote(paths.cert)}`,
    );
  }
  return { cert, key };
}

/** The text of the PEM file `path` given to `flag`; a {@link TlsFileError} naming both when it cannot be read. */
export async function readPem(flag: string, path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    const problems: Record<string, string> = {
      ENOENT: "no such file",
      EACCES: "permission denied: srsr's user cannot read it",
      EISDIR: "is a directory, not a PEM file",
    };
    throw new TlsFileError(`${flag} ${quote(path)}: cannot read it: ${problems[code ?? ""] ?? message}`);
  }
}

/** The first block whose label `isWanted`, or `undefined`. */
function findBlock(text: string, isWanted: (label: string) => boolean): string | undefined {
  for (const [block, label] of text.matchAll(PEM_BLOCK)) if (isWanted(label)) return block;
  return undefined;
}

function parseCertificate(cert: string, path: string): X509Certificate {
  const problem = `--tls-cert ${quote(path)}: not a PEM certificate`;
  // The first certificate is the server's; any after it are its chain.
  const block = findBlock(cert, (label) => label === "CERTIFICATE");
  if (block === undefined) throw new TlsFileError(`${problem} (no complete "-----BEGIN CERTIFICATE-----" block)`);
  try {
    return new X509Certificate(block);
  } catch {
    throw new TlsFileError(`${problem} (its "-----BEGIN CERTIFICATE-----" block does not decode)`);
  }
}

function parseKey(key: string, path: string): KeyObject {
  const problem = `--tls-key ${quote(path)}: not a PEM private key`;
  const block = findBlock(key, (label) => PRIVATE_KEY_LABEL.test(label));
  if (block === undefined) throw new TlsFileError(`${problem} (no complete "-----BEGIN PRIVATE KEY-----" block)`);
  if (/^-----BEGIN ENCRYPTED |^Proc-Type: 4,ENCRYPTED/m.test(block)) {
    throw new TlsFileError(`--tls-key ${quote(path)}: the key is encrypted; srsr needs it unencrypted (openssl pkey -in KEY -out PLAIN_KEY)`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(block);
  } catch {
    // Bun's createPrivateKey also refuses here the kinds it does not know (secp256k1, RSA-PSS).
    throw new TlsFileError(`${problem} (its "-----BEGIN … PRIVATE KEY-----" block does not decode as ${SERVABLE_KEYS})`);
  }
  const { asymmetricKeyType: type, asymmetricKeyDetails: details } = privateKey;
  const servable = type === "rsa" || type === "ed25519" || (type === "ec" && SERVABLE_CURVES.includes(details?.namedCurve ?? ""));
  if (!servable) {
    const kind = type === "ec" ? `an EC key on ${details?.namedCurve}` : `a key of type ${type}`;
    throw new TlsFileError(`--tls-key ${quote(path)}: ${kind}; srsr serves HTTPS with ${SERVABLE_KEYS}`);
  }
  return privateKey;
}

/** The path in quotes, with any control character escaped so the message stays one line. */
const quote = (path: string) => JSON.stringify(path);
