/**
 * The COMMAND of `srsr register … -- COMMAND ARGS…`: run with srsr's stdin, stdout, stderr and
 * environment, and its end reported the way a shell reports it — its exit code, 128 + the
 * signal's number when a signal killed it, 127 when it could not be found, 126 when it could
 * not be run.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { constants } from "node:os";

export interface Child {
  /** Resolves once it has exited: the exit code as a shell reports it, and why it never ran. */
  exited: Promise<{ code: number; problem?: string }>;
  /** Passes `signal` on to it; nothing when it has exited already. */
  kill(signal: NodeJS.Signals): void;
}

/** The exit code a shell reports for a process that ended with `code` or by `signal`. */
export function shellExitCode(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const number = signal === null ? undefined : (constants.signals as Record<string, number | undefined>)[signal];
  return 128 + (number ?? 0);
}

/** Starts `command` (its first element the program, looked up on PATH). */
export function startChild([program, ...args]: readonly string[]): Child {
  const child = spawn(program!, args, { stdio: "inherit" });
  let exited = false;
  const ended = new Promise<{ code: number; problem?: string }>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = true;
      resolve({ code: shellExitCode(code, signal) });
    });
    child.once("error", (error: Error & { code?: string }) => {
      // Spawning failed: no "exit" follows.
      if (exited) return;
      exited = true;
      const notFound = error.code === "ENOENT";
      const why = notFound ? "no such program (is it on PATH?)" : error.code === "EACCES" ? "permission denied" : error.message;
      resolve({ code: notFound ? 127 : 126, problem: `cannot run ${JSON.stringify(program)}: ${why}` });
    });
  });
  return {
    exited: ended,
    kill(signal) {
      if (!exited) child.kill(signal);
    },
  };
}
