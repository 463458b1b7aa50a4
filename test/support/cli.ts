/**
 * Running the `srsr` subcommands as a user does, for end-to-end tests: from source on Bun and as
 * the compiled binary alone in an empty folder (built once per test file), to completion or as a
 * long-running process whose output the test reads while it runs.
 *
 * @module
 */

import { afterAll, beforeAll } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildHostBinary, HAS_HOST_BINARY } from "./binary.ts";
import { eventually } from "./eventually.ts";
import { DENO, ROOT, type RunningServer, runToExit, srsrCommand } from "./server.ts";

export type Cli = "bun" | "binary" | "deno";
/** Every way the subcommands are run here: from source on Bun, and the host's binary. */
export const CLIS: readonly Cli[] = ["bun", ...(HAS_HOST_BINARY ? (["binary"] as const) : [])];

export interface CliRunner {
  /** The command that runs srsr on `cli`, before its arguments, and the folder to run it in. */
  command(cli: Cli): { command: string[]; cwd: string };
  /** Runs `srsr args…` to completion. */
  run(cli: Cli, args: string[], env?: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Starts `srsr args…`, to read its output while it runs and signal it. */
  spawn(cli: Cli, args: string[], env?: Record<string, string>): CliProcess;
}

export interface CliProcess {
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves to the exit code. */
  exited: Promise<number>;
  kill(signal: NodeJS.Signals): void;
  /** Waits until its stderr (or stdout) includes `text`; fails early, with its output, if it exits first. */
  waitFor(text: string, stream?: "stdout" | "stderr"): Promise<void>;
}

/**
 * Builds the host's binary before the file's tests (into a temporary folder, run from an empty
 * one) and removes both afterwards; every process spawned through the runner is killed too.
 */
export function cliRunner(): CliRunner {
  const folders: string[] = [];
  const spawned: CliProcess[] = [];
  let binary: string | undefined;
  let runDir = ROOT;
  beforeAll(async () => {
    if (!HAS_HOST_BINARY) return;
    const buildDir = await mkdtemp(join(tmpdir(), "srsr-build-"));
    runDir = await mkdtemp(join(tmpdir(), "srsr-run-"));
    folders.push(buildDir, runDir);
    binary = await buildHostBinary(buildDir, runDir);
  }, 180_000);
  afterAll(async () => {
    for (const child of spawned) child.kill("SIGKILL");
    await Promise.all(spawned.map((child) => child.exited));
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  const command = (cli: Cli) => {
    if (cli === "bun") return { command: srsrCommand("bun"), cwd: ROOT };
    if (cli === "deno") return { command: [DENO, "run", "-A", join(ROOT, "main.ts")], cwd: ROOT };
    if (!binary) throw new Error("no binary: it did not build (see beforeAll)");
    return { command: [binary], cwd: runDir };
  };
  return {
    command,
    run: (cli, args, env = {}) => {
      const { command: prefix, cwd } = command(cli);
      return runToExit([...prefix, ...args], { cwd, env });
    },
    spawn: (cli, args, env = {}) => {
      const { command: prefix, cwd } = command(cli);
      const child = startCli([...prefix, ...args], cwd, env);
      spawned.push(child);
      return child;
    },
  };
}

function startCli(command: string[], cwd: string, env: Record<string, string>): CliProcess {
  const child = Bun.spawn(command, { cwd, env: { ...process.env, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const output = { stdout: "", stderr: "" };
  const read = async (stream: ReadableStream<Uint8Array>, into: "stdout" | "stderr") => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) output[into] += decoder.decode(chunk, { stream: true });
  };
  const drained = Promise.all([read(child.stdout, "stdout"), read(child.stderr, "stderr")]);
  const exited = Promise.all([child.exited, drained]).then(([code]) => code);
  return {
    pid: child.pid,
    stdout: () => output.stdout,
    stderr: () => output.stderr,
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    async waitFor(text, stream = "stderr") {
      try {
        await eventually(() => {
          if (output[stream].includes(text)) return true;
          if (child.exitCode !== null) throw new Error(`it exited (${child.exitCode}) before printing ${JSON.stringify(text)}`);
          return false;
        }, `${command.join(" ")} printed ${JSON.stringify(text)}`);
      } catch (error) {
        throw new Error(`${(error as Error).message}; its output:\n${output.stdout}${output.stderr}`);
      }
    },
  };
}

/** A gauge's value in a server's /metrics. */
export async function gauge(server: RunningServer, name: string): Promise<number> {
  const text = await (await server.fetch(`${server.url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)`, "m").exec(text)?.[1] ?? NaN);
}

/** The live instances of `name` on `server`. */
export async function liveInstances(server: RunningServer, name: string, headers: Record<string, string> = {}): Promise<{ id: string; address: string }[]> {
  const answer = await server.fetch(`${server.url}/v1/services/${encodeURIComponent(name)}`, { headers });
  return ((await answer.json()) as { instances: { id: string; address: string }[] }).instances;
}
