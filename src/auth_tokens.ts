/**
 * The bearer tokens srsr accepts, read once at start from `--token-file` (one per line, for
 * rotation) and `SRSR_TOKEN`. A file srsr cannot use is a {@link TokenFileError}: `main.ts`
 * prints it as one line and exits 1. No message here ever quotes a token.
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import type { Config } from "./config.ts";

/** A `--token-file` that cannot be read, holds no token, or holds a line that is not one. */
export class TokenFileError extends Error {
  override name = "TokenFileError";
}

/**
 * RFC 6750's b64token: the only tokens an `Authorization: Bearer` header can carry, and the
 * only ones Hono's `bearerAuth` will compare; any other would be refused on every request.
 */
const BEARER_TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;

/** What a token may be made of, for errors that cannot show the token itself. */
export const BEARER_TOKEN_FORM = "letters, digits and - . _ ~ + / with = only at the end";

export function isBearerToken(text: string): boolean {
  return BEARER_TOKEN.test(text);
}

const errorCode = (error: unknown) => (error as { code?: string }).code;

/** A path as it goes into a one-line message: control characters escaped. */
const shown = (path: string) => path.replace(/[\u0000-\u001f\u007f]/g, (char) => JSON.stringify(char).slice(1, -1));

function unreadable(path: string, error: unknown): TokenFileError {
  const why = {
    ENOENT: "no such file",
    EACCES: "permission denied (srsr's user must be able to read it)",
    EISDIR: "it is a folder, not a file",
  }[errorCode(error) ?? ""] ?? (error as Error).message;
  return new TokenFileError(`--token-file ${shown(path)}: cannot read it: ${why}`);
}

/** The tokens of a token file's text: each line trimmed; blank lines and `#` comments skipped. */
function parseTokenFile(path: string, text: string): string[] {
  const tokens: string[] = [];
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (!isBearerToken(line)) {
      throw new TokenFileError(`--token-file ${shown(path)}: line ${index + 1} is not a bearer token: use ${BEARER_TOKEN_FORM}`);
    }
    tokens.push(line);
  }
  if (tokens.length === 0) {
    throw new TokenFileError(`--token-file ${shown(path)}: holds no token: put one per line (lines starting with # are comments)`);
  }
  return tokens;
}

/**
 * The tokens to require, or `undefined` when neither `tokenFile` nor `token` is set (auth off).
 * Throws {@link TokenFileError} for a file that cannot be used.
 *
 * @example
 * ```ts
 * await loadTokens({ tokenFile: "/etc/srsr/tokens", token: undefined }); // ["t0k3n-a", "t0k3n-b"]
 * ```
 */
export async function loadTokens({ tokenFile, token }: Pick<Config, "tokenFile" | "token">): Promise<string[] | undefined> {
  if (tokenFile === undefined && token === undefined) return undefined;
  const tokens: string[] = [];
  if (tokenFile !== undefined) {
    let text;
    try {
      text = await readFile(tokenFile, "utf8");
    } catch (error) {
      throw unreadable(tokenFile, error);
    }
    tokens.push(...parseTokenFile(tokenFile, text));
  }
  if (token !== undefined) tokens.push(token);
  return [...new Set(tokens)];
}
