/**
 * `srsr lookup NAME [--meta KEY=VALUE]…`: prints the address of one live instance of NAME,
 * chosen at random by the registry; exit 1 when none is live.
 *
 * @module
 */

import { checkServiceName, expectPositionals, META_FORM, metaFlags, readFlags } from "./args.ts";
import { type ClientCommand, EXIT } from "./client_command.ts";
import { CLIENT_FLAGS, CLIENT_FLAGS_HELP, type ClientSettings, clientSettings, connect } from "./client_flags.ts";

export interface LookupOptions {
  client: ClientSettings;
  name: string;
  /** Only instances with all of these. */
  meta: Record<string, string> | undefined;
}

const FLAGS = { ...CLIENT_FLAGS, meta: { type: "string", multiple: true, expected: META_FORM } } as const;

/** ` with zone=eu-west-1a version=2`, or nothing without a filter. */
export const describeMeta = (meta: Record<string, string> | undefined) =>
  meta === undefined ? "" : ` with ${Object.entries(meta).map(([key, value]) => `${key}=${value}`).join(" ")}`;

export const lookup: ClientCommand<LookupOptions> = {
  name: "lookup",
  summary: "print the address of one live instance of a service",
  usage: `Usage: srsr lookup NAME [--meta KEY=VALUE]... [client options]

Prints the address of one live instance of NAME, chosen at random, and exits 0;
with none live, prints "srsr: no live instance of NAME" to stderr and exits 1.

Options:
      --meta KEY=VALUE    only instances with this meta (repeat: all must match)

${CLIENT_FLAGS_HELP}`,

  parse(args, env) {
    const { flags, positionals } = readFlags("lookup", args, FLAGS);
    const [name] = expectPositionals("lookup", positionals, ["NAME"]);
    return { client: clientSettings("lookup", flags, env), name: checkServiceName("lookup", name!), meta: metaFlags("lookup", flags.meta) };
  },

  async run({ client, name, meta }, { runtime, out, err }) {
    const registry = await connect(client, runtime);
    const instance = await registry.instances.pick(name, { meta });
    if (instance === null) {
      err(`srsr: no live instance of ${name}${describeMeta(meta)}`);
      return EXIT.notSo;
    }
    out(instance.address);
    return EXIT.ok;
  },
};
