/**
 * `npm ci` warns about no dependency of ours, and the install scripts we depend on still run.
 *
 * npm 11 runs a dependency's install script with a warning unless package.json's `allowScripts`
 * reviews it. bun and deno need theirs: bun's package ships a placeholder that only prints an
 * error until its postinstall links the native binary in, and deno's falls back to a Node
 * wrapper. esbuild (under drizzle-kit) only checks and links its binary.
 *
 * The full check is a clean install in a scratch clone, which fails on any unreviewed script:
 * `git clone . /tmp/srsr-ci && cd /tmp/srsr-ci && npm ci --strict-allow-scripts`. It takes ~10 s
 * and the registry or npm's cache, so here the installed tree is checked instead.
 */
import { describe, expect, test } from "bun:test";
import { closeSync, openSync, readSync, realpathSync } from "node:fs";
import { BUN, DENO, runToExit } from "./support/server.ts";

/** The first bytes of every native executable format bun and deno ship for. */
const NATIVE_MAGIC = [
  [0x7f, 0x45, 0x4c, 0x46], // ELF
  [0xcf, 0xfa, 0xed, 0xfe], // Mach-O, 64-bit
  [0x4d, 0x5a], // PE (MZ)
];

function isNativeExecutable(path: string): boolean {
  const head = new Uint8Array(4);
  const fd = openSync(realpathSync(path), "r");
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  return NATIVE_MAGIC.some((magic) => magic.every((byte, i) => head[i] === byte));
}

const npmVersion = (await runToExit(["npm", "--version"])).stdout.trim();
// npm before 11.1x has neither the policy nor the warning.
const hasScriptPolicy = (await runToExit(["npm", "install-scripts", "--help"])).code === 0;

describe("npm install", () => {
  const reviewed = "allowScripts reviews every installed package that has an install script";
  test.skipIf(!hasScriptPolicy)(
    hasScriptPolicy ? reviewed : `${reviewed} (skipped: npm ${npmVersion} has no install-script policy to warn by)`,
    async () => {
      const listed = await runToExit(["npm", "install-scripts", "ls", "--json"], { env: { NO_COLOR: "1" } });
      expect({ code: listed.code, stderr: listed.stderr }).toEqual({ code: 0, stderr: "" });
      expect(JSON.parse(listed.stdout)).toEqual({ allowScripts: [] });
    },
  );

  test("bun's and deno's install scripts ran: node_modules/.bin has their native binaries", () => {
    expect({ bun: isNativeExecutable(BUN), deno: isNativeExecutable(DENO) }).toEqual({ bun: true, deno: true });
  });
});
