/**
 * The compiled binary of the machine running the tests, as a user gets it: built by
 * `scripts/build.ts` and copied alone into an empty folder.
 *
 * @module
 */

import { afterAll, beforeAll } from "bun:test";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileNameOf, TARGETS } from "../../scripts/build.ts";
import { hostTarget } from "../../src/version.ts";
import { BUN, ROOT, type RunningServer, runToExit, srsrCommand, startServer } from "./server.ts";

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

/** Every way srsr runs: from source on Bun and on Deno, and the host's compiled binary. */
export const EVERY_RUNTIME = ["bun", "deno", ...(HAS_HOST_BINARY ? ["binary"] : [])] as const;

export interface EveryRuntimeOptions {
  /** Flags for every server, computed when they start (after other beforeAll hooks ran). */
  args?: () => string[];
  /** Passed to startServer: a CA the servers' certificate is signed by. */
  ca?: () => string | undefined;
  /** @default 180_000: compiling takes seconds, more on a busy machine. */
  startTimeoutMs?: number;
}

/**
 * Starts srsr on every runtime before the tests of the current `describe` (at once: the binary
 * builds meanwhile), and stops them all afterwards, even when one failed to start. Returns the
 * running server of a runtime, for use inside tests.
 */
export function serversOnEveryRuntime(
  { args = () => [], ca = () => undefined, startTimeoutMs = 180_000 }: EveryRuntimeOptions = {},
): (runtime: string) => RunningServer {
  const servers = new Map<string, RunningServer>();
  const folders: string[] = [];
  beforeAll(async () => {
    const options = { ca: ca() };
    const starting: [string, Promise<RunningServer>][] = [
      ["bun", startServer(srsrCommand("bun"), args(), options)],
      ["deno", startServer(srsrCommand("deno"), args(), options)],
    ];
    if (HAS_HOST_BINARY) {
      const [buildDir, runDir] = [await mkdtemp(join(tmpdir(), "srsr-build-")), await mkdtemp(join(tmpdir(), "srsr-run-"))];
      folders.push(buildDir, runDir);
      starting.push(["binary", buildHostBinary(buildDir, runDir).then((binary) => startServer([binary], args(), { ...options, cwd: runDir }))]);
    }
    // Every server that started is kept for afterAll to stop, even when another failed.
    const started = await Promise.allSettled(starting.map(([, server]) => server));
    started.forEach((result, i) => result.status === "fulfilled" && servers.set(starting[i][0], result.value));
    const failed = started.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
  }, startTimeoutMs);
  afterAll(async () => {
    for (const server of servers.values()) server.process.kill("SIGKILL");
    await Promise.all([...servers.values()].map((server) => server.process.exited));
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });
  return (runtime) => {
    const server = servers.get(runtime);
    if (!server) throw new Error(`no ${runtime} server: it did not start (see beforeAll)`);
    return server;
  };
}
