/**
 * srsr, the Really Simple Service Registry: reads the command line and runs one command,
 * `serve` (the default: no command, or only flags) or a client subcommand (`lookup`, `list`,
 * `register`, `deregister`, `wait-for`, `watch`; see src/cli/commands.ts).
 *
 * Exit codes of serve: 0 after a clean shutdown, 1 when the server cannot start or run, 2 for
 * bad usage. Of the subcommands: 0 done, 1 what was asked for is not so, 2 bad usage, 3 the
 * registry could not be reached (`register -- COMMAND`: the COMMAND's).
 *
 * @module
 */

import process from "node:process";
import { StoreSpecError } from "./stores/errors.ts";
import { TokenFileError } from "./src/auth_tokens.ts";
import { parseCommandLine } from "./src/cli/commands.ts";
import { serve } from "./src/cli/serve.ts";
import { TlsFileError } from "./src/cli/tls_files.ts";
import { UsageError } from "./src/config.ts";
import { detectRuntime } from "./src/runtime/detect.ts";
import { ListenError } from "./src/runtime/listen_error.ts";
import { versionLine } from "./src/version.ts";

async function main(args: string[]): Promise<number | undefined> {
  let command;
  try {
    command = parseCommandLine(args, process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`srsr: ${error.message}`);
    return 2;
  }
  switch (command.kind) {
    case "help":
      console.log(command.text);
      return 0;
    case "version":
      console.log(versionLine());
      return 0;
    case "client":
      return await command.run({
        runtime: await detectRuntime(),
        out: (line) => console.log(line),
        err: (line) => console.error(line),
      });
    case "serve":
      try {
        await serve(command.config, await detectRuntime());
        return undefined; // keep serving until a signal
      } catch (error) {
        if (
          error instanceof ListenError || error instanceof StoreSpecError || error instanceof TlsFileError ||
          error instanceof TokenFileError
        ) {
          console.error(`srsr: ${error.message}`);
          return 1;
        }
        console.error(`srsr: failed to start: ${(error as Error).stack ?? error}`);
        return 1;
      }
  }
}

const code = await main(process.argv.slice(2));
if (code !== undefined) process.exit(code);
