/**
 * Where the READMEs' commands run: a reader's shell on a machine with Node.js and npm but no Bun
 * or Deno on the PATH, in a scratch copy of the repository.
 *
 * @module
 */

import { accessSync, constants, cpSync, mkdtempSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { ROOT } from "./server.ts";
import { type ShellProcess, startShell } from "./shell_process.ts";

const isExecutable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/**
 * A reader's environment: this one's PATH without the folders that hold a `bun` or a `deno`
 * (npm's node_modules/.bin among them), no npm_* (an outer `npm test` sets them, and they would
 * point the reader's npm at this checkout) and no SRSR_*.
 */
export const READER_ENV: Record<string, string> = {
  ...(Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(npm_|srsr_|init_cwd$)/i.test(name))) as Record<string, string>),
  PATH: (process.env.PATH ?? "")
    .split(":")
    .filter((dir) => dir !== "" && !isExecutable(join(dir, "bun")) && !isExecutable(join(dir, "deno")))
    .join(":"),
};

/** The README's ports mapped to free ones: 4214 (srsr's default) and 8080 (its examples' services). */
export type Ports = { 4214: number; 8080: number };

/**
 * `text` with the README's ports, which another server on this machine may hold, replaced by
 * free ones; used alike on commands, files and the answers shown.
 */
export const withPorts = (text: string, ports: Ports) =>
  text.replace(/\b(4214|8080)\b/g, (port) => String(ports[Number(port) as keyof Ports]));

/** Starts reader shells and scratch copies, and removes every one of them in {@link cleanUp}. */
export class ReaderShells {
  readonly #started: ShellProcess[] = [];
  readonly #folders: string[] = [];

  /** Runs `command` in `cwd` with {@link READER_ENV} plus `env`. */
  run(command: string, cwd: string, env: Record<string, string> = {}): ShellProcess {
    const shell = startShell(command, { cwd, env: { ...READER_ENV, ...env } });
    this.#started.push(shell);
    return shell;
  }

  /** A copy of the working tree that shares node_modules, where commands may write (reg.db, hello.ts). */
  scratchCheckout(): string {
    const folder = mkdtempSync(join(tmpdir(), "srsr-readme-"));
    this.#folders.push(folder);
    const left = /^(node_modules|\.git|dist|\.bench)$|\.db(-wal|-shm)?$/;
    cpSync(ROOT, folder, { recursive: true, filter: (source) => !left.test(relative(ROOT, source)) });
    symlinkSync(join(ROOT, "node_modules"), join(folder, "node_modules"));
    return folder;
  }

  cleanUp(): void {
    for (const shell of this.#started) shell.kill();
    for (const folder of this.#folders) rmSync(folder, { recursive: true, force: true });
  }
}

/** Whether srsr answers at `url`. */
export const answers = (url: string) => fetch(`${url}/v1/services`).then((response) => response.ok, () => false);
