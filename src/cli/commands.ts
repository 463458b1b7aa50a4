/**
 * The command line -> one command: `serve` (the default: no command, or only flags, serves
 * exactly as srsr always has), a client subcommand, help or the version. Pure, so it is
 * table-tested; `main.ts` runs what it answers.
 *
 * @module
 */

import { type Config, HELP, parseFlags, UsageError } from "../config.ts";
import { type ClientCommand, type CliContext, runClientCommand } from "./client_command.ts";
import type { ClientSettings } from "./client_flags.ts";
import { deregister } from "./deregister.ts";
import { list } from "./list.ts";
import { lookup } from "./lookup.ts";
import { register } from "./register.ts";
import { waitFor } from "./wait_for.ts";
import { watch } from "./watch.ts";

/** A client subcommand with its arguments read, ready to run. */
export interface ClientRun {
  kind: "client";
  name: string;
  options: { client: ClientSettings };
  run(context: CliContext): Promise<number>;
}

export type CommandLine = { kind: "serve"; config: Config } | { kind: "help"; text: string } | { kind: "version" } | ClientRun;

type Env = Readonly<Record<string, string | undefined>>;

/** A subcommand whose options type has been checked where it was bound. */
interface AnyCommand {
  name: string;
  summary: string;
  usage: string;
  bind(args: readonly string[], env: Env): ClientRun;
}

function command<Options extends { client: ClientSettings }>(client: ClientCommand<Options>): AnyCommand {
  return {
    name: client.name,
    summary: client.summary,
    usage: client.usage,
    bind(args, env) {
      const options = client.parse(args, env);
      return { kind: "client", name: client.name, options, run: (context) => runClientCommand(client, options, context) };
    },
  };
}

export const CLIENT_COMMANDS: readonly AnyCommand[] = [
  command(lookup),
  command(list),
  command(register),
  command(deregister),
  command(waitFor),
  command(watch),
];

const NAMES = ["serve", ...CLIENT_COMMANDS.map((client) => client.name)];

/** `srsr --help`: the server's options, then the subcommands. */
export const TOP_HELP = `${HELP}

Commands:
  serve         serve the registry (the default)
${CLIENT_COMMANDS.map((client) => `  ${client.name.padEnd(12)}  ${client.summary}`).join("\n")}

srsr help COMMAND (or srsr COMMAND --help) shows a command's usage and options.`;

/** Whether `args` ask for help before any `--` (after which they belong to a COMMAND). */
function asksForHelp(args: readonly string[]): boolean {
  const split = args.indexOf("--");
  return (split === -1 ? args : args.slice(0, split)).some((arg) => arg === "--help" || arg === "-h");
}

function helpFor(args: readonly string[]): CommandLine {
  if (args.length > 1) throw new UsageError(`help: unexpected argument "${args[1]}": give one COMMAND`);
  const [name] = args;
  if (name === undefined || name === "serve") return { kind: "help", text: TOP_HELP };
  const client = CLIENT_COMMANDS.find((candidate) => candidate.name === name);
  if (!client) throw new UsageError(`help: unknown command "${name}": expected one of ${NAMES.join(", ")}`);
  return { kind: "help", text: client.usage };
}

function fromFlags(args: readonly string[], env: Env): CommandLine {
  const command = parseFlags(args, env);
  return command.kind === "help" ? { kind: "help", text: TOP_HELP } : command;
}

/**
 * What the command line asks for. Throws a one-line {@link UsageError} for anything it cannot
 * use, naming the command and the flag.
 *
 * @example
 * ```ts
 * parseCommandLine(["-p", "8080"], {}); // { kind: "serve", config: { port: 8080, … } }
 * parseCommandLine(["lookup", "billing"], {}); // { kind: "client", name: "lookup", … }
 * ```
 */
export function parseCommandLine(args: readonly string[], env: Env): CommandLine {
  const [first, ...rest] = args;
  if (first === undefined || first.startsWith("-")) return fromFlags(args, env);
  if (first === "serve") return fromFlags(rest, env);
  if (first === "help") return helpFor(rest);
  const client = CLIENT_COMMANDS.find((candidate) => candidate.name === first);
  if (!client) throw new UsageError(`unknown command "${first}": expected one of ${NAMES.join(", ")} (see --help)`);
  if (asksForHelp(rest)) return { kind: "help", text: client.usage };
  return client.bind(rest, env);
}
