import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { loadTokens, TokenFileError } from "../src/auth_tokens.ts";
import { parseFlags, UsageError } from "../src/config.ts";

const dir = mkdtempSync(join(tmpdir(), "srsr-tokens-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** A token file holding `text`, its path. */
function tokenFile(text: string): string {
  const path = join(dir, `tokens-${files++}`);
  writeFileSync(path, text);
  return path;
}

/** The message of the TokenFileError that loading `tokenFile` throws. */
async function failure(tokenFile: string): Promise<string> {
  const error = await loadTokens({ tokenFile, token: undefined }).then(() => undefined, (error: unknown) => error);
  expect(error).toBeInstanceOf(TokenFileError);
  return (error as Error).message;
}

describe("loadTokens()", () => {
  test("answers undefined without a file or SRSR_TOKEN: auth is off", async () => {
    expect(await loadTokens({ tokenFile: undefined, token: undefined })).toBeUndefined();
  });

  test("reads one token per line, trimmed, skipping blank lines and # comments", async () => {
    const path = tokenFile("# rotated 2024-05\n  t0k3n-old \n\n\tt0k3n-new\r\n#t0k3n-retired\n   # indented comment\nabc+/==\n");
    expect(await loadTokens({ tokenFile: path, token: undefined })).toEqual(["t0k3n-old", "t0k3n-new", "abc+/=="]);
  });

  test("reads a file without a final newline, with a byte-order mark, or with CRLF lines", async () => {
    expect(await loadTokens({ tokenFile: tokenFile("only"), token: undefined })).toEqual(["only"]);
    expect(await loadTokens({ tokenFile: tokenFile("\ufeffbom-token\n"), token: undefined })).toEqual(["bom-token"]);
    expect(await loadTokens({ tokenFile: tokenFile("a\r\nb\r\n"), token: undefined })).toEqual(["a", "b"]);
  });

  test("SRSR_TOKEN adds one token, alone or to the file's; duplicates count once", async () => {
    expect(await loadTokens({ tokenFile: undefined, token: "from-env" })).toEqual(["from-env"]);
    const path = tokenFile("from-file\nfrom-env\nfrom-file\n");
    expect(await loadTokens({ tokenFile: path, token: "from-env" })).toEqual(["from-file", "from-env"]);
  });

  test("a missing file names the path", async () => {
    const path = join(dir, "absent");
    expect(await failure(path)).toBe(`--token-file ${path}: cannot read it: no such file`);
  });

  test("a folder names the path", async () => {
    expect(await failure(dir)).toBe(`--token-file ${dir}: cannot read it: it is a folder, not a file`);
  });

  // root reads any file whatever its mode.
  test.skipIf(process.getuid?.() === 0)("a file srsr may not read names the path", async () => {
    const path = tokenFile("secret\n");
    chmodSync(path, 0o000);
    expect(await failure(path)).toBe(`--token-file ${path}: cannot read it: permission denied (srsr's user must be able to read it)`);
  });

  test.each([
    ["an empty file", ""],
    ["blank lines", "\n  \n\t\n"],
    ["only comments", "# tokens go here\n#\n"],
  ])("%s holds no token", async (_, text) => {
    const path = tokenFile(text);
    expect(await failure(path)).toBe(`--token-file ${path}: holds no token: put one per line (lines starting with # are comments)`);
  });

  test.each([
    ["a space inside", "good\n\nsecret token\n", 3],
    ["a quote", 'good\n"secret"\n', 2],
    ["= before the end", "secret=x\n", 1],
    ["a non-ASCII letter", "sécret\n", 1],
    ["a comment after the token", "secret # ours\n", 1],
  ])("a line with %s is not a bearer token: the line is named, the token never shown", async (_, text, line) => {
    const message = await failure(tokenFile(text));
    expect(message).toEndWith(`: line ${line} is not a bearer token: use letters, digits and - . _ ~ + / with = only at the end`);
    expect(message).not.toContain("secret");
  });

  test("a path with a newline stays on one line", async () => {
    expect(await failure(join(dir, "a\nb"))).toContain("a\\nb: cannot read it");
  });
});

describe("parseFlags() and SRSR_TOKEN", () => {
  const token = (env: Record<string, string>) => {
    const command = parseFlags([], env);
    return command.kind === "serve" ? command.config.token : undefined;
  };

  test("is trimmed; empty or blank is unset", () => {
    expect(token({ SRSR_TOKEN: "  t0k3n \n" })).toBe("t0k3n");
    expect(token({ SRSR_TOKEN: "" })).toBeUndefined();
    expect(token({ SRSR_TOKEN: "  " })).toBeUndefined();
  });

  test.each(["two words", "quo\"te", "new\nline", "ünïcode"])("%j is a UsageError that does not show the value", (value) => {
    let error: unknown;
    try {
      parseFlags([], { SRSR_TOKEN: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe("SRSR_TOKEN: is not a bearer token: use letters, digits and - . _ ~ + / with = only at the end");
  });
});
