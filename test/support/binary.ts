/**
 * The compiled binary of the machine running the tests, as a user gets it: built by
 * `scripts/build.ts` and copied alone into an empty folder.
 *
 * @module
 */

import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import { fileNameOf, TARGETS } from "../../scripts/build.ts";
import { hostTarget } from "../../src/version.ts";
import { BUN, ROOT, runToExit } from "./server.ts";

export const HOST_TARGET = hostTarget();
/** Whether this machine is one srsr is built for; if not, there is no binary to test. */
export const HAS_HOST_BINARY = Object.hasOwn(TARGETS, HOST_TARGET);

/** Compiles the host's binary into `buildDir` and copies it alone into `runDir`; returns its path there. */
export async function buildHostBinary(buildDir: string, runDir: string): Promise<string> {
  const build = await runToExit([BUN, join(ROOT, "scripts", "build.ts"), "--target", HOST_TARGET, "--outdir", buildDir, "--no-archives"]);
  if (build.code !== 0) throw new Error(`build failed (${build.code}): ${build.stderr}`);
  const binary = join(runDir, fileNameOf(HOST_TARGET));
  await copyFile(join(buildDir, fileNameOf(HOST_TARGET)), binary);
  return binary;
}
