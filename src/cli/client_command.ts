/**
 * What every client subcommand is (a name, its usage, a pure `parse`, and a `run` that answers
 * an exit code) and how a failure becomes its one line and exit code: the registry could not be
 * reached is 3, the registry refused is 1, a token or CA file that cannot be used is 2.
 *
 * @module
 */

import { TokenFileError } from "../auth_tokens.ts";
import { RegistryError } from "../client/request.ts";
import type { Runtime } from "../runtime/types.ts";
import type { ClientSettings } from "./client_flags.ts";
import { TlsFileError } from "./tls_files.ts";

/** The exit codes every client subcommand shares. */
export const EXIT = {
  ok: 0,
  /** What was asked for is not so: none live, timed out, the registry refused. */
  notSo: 1,
  usage: 2,
  unreachable: 3,
} as const;

/** Where a subcommand writes and what it runs on; tests may pass their own. */
export interface CliContext {
  runtime: Runtime;
  /** One line to stdout. */
  out(line: string): void;
  /** One line to stderr. */
  err(line: string): void;
}

export interface ClientCommand<Options extends { client: ClientSettings }> {
  name: string;
  /** One line for `srsr --help`. */
  summary: string;
  /** What `srsr help NAME` and `srsr NAME --help` print. */
  usage: string;
  /** Reads the arguments after the command's name; throws a `UsageError`. Pure. */
  parse(args: readonly string[], env: Readonly<Record<string, string | undefined>>): Options;
  /** Does it; answers the exit code. May throw; {@link runClientCommand} maps the error. */
  run(options: Options, context: CliContext): Promise<number>;
}

/** Runs `command`, turning a failure into its one line on stderr and its exit code. */
export async function runClientCommand<Options extends { client: ClientSettings }>(
  command: ClientCommand<Options>,
  options: Options,
  context: CliContext,
): Promise<number> {
  try {
    return await command.run(options, context);
  } catch (error) {
    const { code, line } = describeFailure(error, options.client.server);
    context.err(`srsr: ${line}`);
    return code;
  }
}

/** The exit code and the line for `error`; rethrows what is not a failure srsr knows (a bug). */
export function describeFailure(error: unknown, server: string): { code: number; line: string } {
  if (error instanceof TokenFileError || error instanceof TlsFileError) return { code: EXIT.usage, line: oneLine(error.message) };
  if (!(error instanceof RegistryError)) throw error;
  if (error.status === undefined) return { code: EXIT.unreachable, line: unreachableLine(error, server) };
  const hint = error.status === 401 ? " (give a token with --token-file or SRSR_TOKEN)" : "";
  return { code: EXIT.notSo, line: `${oneLine(error.message)}${hint}` };
}

/** `cannot reach the registry at URL: why`, in words rather than the runtime's. */
export function unreachableLine(error: RegistryError, server: string): string {
  return `cannot reach the registry at ${server}: ${networkProblem(error)}`;
}

function networkProblem(error: RegistryError): string {
  const cause = error.cause as { code?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  // Bun names the problem in `code`; Deno only in the message of the cause.
  const detail = [cause?.code, cause?.message, cause?.cause?.code, cause?.cause?.message].filter(Boolean).join(" ");
  if (/ECONNREFUSED|connection refused/i.test(detail)) return "connection refused (is it running there?)";
  if (/ENOTFOUND|EAI_AGAIN|dns error|failed to lookup/i.test(detail)) return "no such host";
  if (/CERT|certificate|UnknownIssuer|SELF_SIGNED/i.test(detail)) {
    return "its TLS certificate is not trusted (give the CA that signed it with --ca-file)";
  }
  // The message is "METHOD URL: why"; the why is what is left to say.
  return oneLine(error.message.replace(/^[A-Z]+ \S+: /, ""));
}

/** Text as one line: a registry's answer may hold newlines (an HTML error page). */
const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, " ");
