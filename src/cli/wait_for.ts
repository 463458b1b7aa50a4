/**
 * `srsr wait-for NAME [--count N] [--timeout 60s] [--meta KEY=VALUE]…`: blocks until at least N
 * instances of NAME are live, then prints their addresses, one per line. It waits through the
 * v1 long-poll, so it answers as soon as the registration that satisfies it is made, and keeps
 * waiting while the registry is unreachable or restarting (a CI job may start both at once).
 *
 * @module
 */

import { checkServiceName, durationFlag, expectPositionals, integerFlag, META_FORM, metaFlags, readFlags } from "./args.ts";
import { type ClientCommand, EXIT, unreachableLine } from "./client_command.ts";
import { CLIENT_FLAGS, CLIENT_FLAGS_HELP, type ClientSettings, clientSettings, connect } from "./client_flags.ts";
import { describeMeta } from "./lookup.ts";

export interface WaitForCliOptions {
  client: ClientSettings;
  name: string;
  /** @default 1 */
  count: number;
  /** @default 60_000 */
  timeoutMs: number;
  /** The timeout as given (`60s`), for the message when it passes. */
  timeoutText: string;
  meta: Record<string, string> | undefined;
}

const FLAGS = {
  ...CLIENT_FLAGS,
  count: { type: "string", expected: "an integer from 1 to 10000" },
  timeout: { type: "string", expected: "a duration such as 60s or 5m" },
  meta: { type: "string", multiple: true, expected: META_FORM },
} as const;

const instances = (count: number) => `${count} instance${count === 1 ? "" : "s"}`;

export const waitFor: ClientCommand<WaitForCliOptions> = {
  name: "wait-for",
  summary: "block until a service has N live instances, then print their addresses",
  usage: `Usage: srsr wait-for NAME [--count N] [--timeout 60s] [--meta KEY=VALUE]... [client options]

Blocks until at least N instances of NAME are live, then prints the address of
every live one, one per line, and exits 0. It is woken by the registry as soon
as NAME changes (a long-poll, not a polling loop), and keeps waiting while the
registry cannot be reached or restarts. When the time runs out it exits 1
("srsr: timed out after 60s waiting for 2 instances of NAME (1 live)"), or 3
when the registry could not be reached at the end.

Options:
      --count N           how many live instances are enough (default 1)
      --timeout DURATION  how long to wait: 500ms, 60s, 5m, 1m30s or seconds
                          (default 60s)
      --meta KEY=VALUE    count only instances with this meta (repeat: all
                          must match)

${CLIENT_FLAGS_HELP}`,

  parse(args, env) {
    const { flags, positionals } = readFlags("wait-for", args, FLAGS);
    const [name] = expectPositionals("wait-for", positionals, ["NAME"]);
    const timeoutText = flags.timeout ?? "60s";
    return {
      client: clientSettings("wait-for", flags, env),
      name: checkServiceName("wait-for", name!),
      count: flags.count === undefined ? 1 : integerFlag("wait-for", "--count", flags.count, 1, 10_000),
      timeoutMs: durationFlag("wait-for", "--timeout", timeoutText),
      timeoutText,
      meta: metaFlags("wait-for", flags.meta),
    };
  },

  async run({ client, name, count, timeoutMs, timeoutText, meta }, { runtime, out, err }) {
    const registry = await connect(client, runtime);
    const result = await registry.instances.waitFor(name, { count, timeout: timeoutMs, meta });
    if (result.satisfied) {
      for (const instance of result.instances) out(instance.address);
      return EXIT.ok;
    }
    if (result.unreachable) {
      err(`srsr: ${unreachableLine(result.unreachable, client.server)}; waited ${timeoutText} for ${instances(count)} of ${name}`);
      return EXIT.unreachable;
    }
    err(`srsr: timed out after ${timeoutText} waiting for ${instances(count)} of ${name}${describeMeta(meta)} (${result.instances.length} live)`);
    return EXIT.notSo;
  },
};
