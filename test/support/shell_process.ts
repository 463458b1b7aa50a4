/**
 * A shell command line run as a reader runs it in a terminal: `sh -c` in a process group of its
 * own, so Ctrl-C (SIGINT to the whole group) reaches every process it starts (npm, the shell npm
 * runs, bun or deno), and the test can end all of them by the group's id.
 *
 * @module
 */

import { eventually } from "./eventually.ts";

export interface ShellProcess {
  /** The process group's id (the `sh` that leads it). */
  pgid: number;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stdout and stderr so far, interleaved as it arrived. */
  output(): string;
  /** True once `sh` has exited and every process in the group has closed stdout and stderr: all of them have exited. */
  finished(): boolean;
  /** The exit code of `sh`, once it exited. */
  exitCode(): number | null;
  /** What a terminal's Ctrl-C does: SIGINT to every process in the group. */
  interrupt(): void;
  /** SIGKILL to every process in the group, for cleaning up after a failed test. */
  kill(): void;
  /** Waits until every process in the group has exited (see {@link finished}). */
  waitFinished(what: string): Promise<void>;
}

/** Runs `command` with `sh -c` in `cwd`, with exactly the environment `env`. */
export function startShell(command: string, { cwd, env }: { cwd: string; env: Record<string, string> }): ShellProcess {
  const child = Bun.spawn(["sh", "-c", command], { cwd, env, stdout: "pipe", stderr: "pipe", detached: true });
  let stdout = "";
  let output = "";
  const read = async (stream: ReadableStream<Uint8Array>, isStdout: boolean) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      const text = decoder.decode(chunk, { stream: true });
      if (isStdout) stdout += text;
      output += text;
    }
  };
  let finished = false;
  // A pipe reaches its end only when every process holding it has exited or closed it.
  Promise.all([read(child.stdout, true), read(child.stderr, false), child.exited]).finally(() => (finished = true));
  const signal = (name: "SIGINT" | "SIGKILL") => {
    try {
      process.kill(-child.pid, name);
    } catch {
      // ESRCH: the group is gone already.
    }
  };
  return {
    pgid: child.pid,
    stdout: () => stdout,
    output: () => output,
    finished: () => finished,
    exitCode: () => child.exitCode,
    interrupt: () => signal("SIGINT"),
    kill: () => signal("SIGKILL"),
    waitFinished: async (what) => {
      try {
        await eventually(() => finished, `${what} (${JSON.stringify(command)}) exited`, { deadlineMs: 30_000 });
      } catch (error) {
        throw new Error(`${(error as Error).message}; its output so far:\n${output}`);
      }
    },
  };
}
