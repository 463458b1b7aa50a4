/**
 * The flags every client subcommand takes — which registry (`--server`, `SRSR_URL`), with which
 * bearer token (`--token-file`, `SRSR_TOKEN`) and trusting which CA (`--ca-file`) — read purely
 * into {@link ClientSettings}, and {@link connect}, which reads the files they name and makes the
 * {@link RegistryClient}.
 *
 * @module
 */

import { BEARER_TOKEN_FORM, isBearerToken, loadTokens } from "../auth_tokens.ts";
import { RegistryClient } from "../client/registry_client.ts";
import { UsageError } from "../config.ts";
import type { Runtime } from "../runtime/types.ts";
import type { Flags } from "./args.ts";
import { readPem, TlsFileError } from "./tls_files.ts";

export const DEFAULT_SERVER = "http://127.0.0.1:4214";

export const CLIENT_FLAGS = {
  server: { type: "string", expected: "the registry's URL, such as http://127.0.0.1:4214" },
  "token-file": { type: "string", expected: "the path of a file of tokens, one per line" },
  "ca-file": { type: "string", expected: "the path of a PEM CA certificate" },
  help: { type: "boolean", short: "h" },
} as const;

export const CLIENT_FLAGS_HELP = `Client options:
      --server <url>      the registry (default ${DEFAULT_SERVER}; env SRSR_URL)
      --token-file <path> send the first token in this file as the bearer token
                          (env SRSR_TOKEN_FILE; or the token itself in SRSR_TOKEN)
      --ca-file <path>    trust this PEM CA certificate for an https:// registry
                          (env SRSR_CA_FILE)
  -h, --help              show this usage

Exit codes: 0 done; 1 what was asked for is not so (none live, timed out, the
registry refused); 2 bad usage; 3 the registry could not be reached.`;

/** Where the registry is and how to talk to it. */
export interface ClientSettings {
  /** The registry's URL, as given. @default "http://127.0.0.1:4214" */
  server: string;
  /** A file of bearer tokens; the first is sent. */
  tokenFile: string | undefined;
  /** A bearer token, from `SRSR_TOKEN`. */
  token: string | undefined;
  /** A PEM file of CA certificates to trust. */
  caFile: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The client settings from the flags and the environment; a flag wins over its variable, and
 * `SRSR_TOKEN` over `SRSR_TOKEN_FILE`. An empty variable counts as unset.
 */
export function clientSettings(command: string, flags: Flags<typeof CLIENT_FLAGS>, env: Env): ClientSettings {
  const server = flags.server ?? (env.SRSR_URL || DEFAULT_SERVER);
  const source = flags.server !== undefined ? "--server" : "SRSR_URL";
  let url: URL | undefined;
  try {
    url = new URL(server);
  } catch {
    // Reported below, with the flag or variable that gave it.
  }
  // The URL parser drops tabs and newlines where a person would see a mistake.
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "" || /[\s\u0000-\u001f]/.test(server)) {
    throw new UsageError(`${command}: ${source}: invalid URL "${server}": expected http://HOST:PORT or https://HOST:PORT`);
  }
  const token = flags["token-file"] === undefined ? env.SRSR_TOKEN?.trim() || undefined : undefined;
  if (token !== undefined && !isBearerToken(token)) throw new UsageError(`SRSR_TOKEN: is not a bearer token: use ${BEARER_TOKEN_FORM}`);
  return {
    server,
    tokenFile: token === undefined ? flags["token-file"] ?? (env.SRSR_TOKEN_FILE || undefined) : undefined,
    token,
    caFile: flags["ca-file"] ?? (env.SRSR_CA_FILE || undefined),
  };
}

/**
 * The client the settings describe: reads the token file and the CA file. Throws
 * `TokenFileError` or `TlsFileError` naming a file that cannot be used.
 */
export async function connect({ server, tokenFile, token, caFile }: ClientSettings, runtime: Runtime): Promise<RegistryClient> {
  const tokens = tokenFile === undefined ? undefined : await loadTokens({ tokenFile, token: undefined });
  const ca = caFile === undefined ? undefined : await readPem("--ca-file", caFile);
  if (ca !== undefined && !ca.includes("-----BEGIN CERTIFICATE-----")) {
    throw new TlsFileError(`--ca-file ${JSON.stringify(caFile)}: not a PEM certificate (no "-----BEGIN CERTIFICATE-----" block)`);
  }
  return new RegistryClient({ server, token: token ?? tokens?.[0], fetch: ca === undefined ? undefined : runtime.fetchTrustingCa(ca) });
}
