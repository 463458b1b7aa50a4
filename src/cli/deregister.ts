/**
 * `srsr deregister ID`: removes one instance; exit 1 when the registry does not know it (it
 * expired, was removed already, or never was).
 *
 * @module
 */

import { UsageError } from "../config.ts";
import { MAX_ID_LENGTH } from "../wire/fields.ts";
import { expectPositionals, readFlags } from "./args.ts";
import { type ClientCommand, EXIT } from "./client_command.ts";
import { CLIENT_FLAGS, CLIENT_FLAGS_HELP, type ClientSettings, clientSettings, connect } from "./client_flags.ts";

export interface DeregisterOptions {
  client: ClientSettings;
  id: string;
}

export const deregister: ClientCommand<DeregisterOptions> = {
  name: "deregister",
  summary: "remove one instance by its id",
  usage: `Usage: srsr deregister ID [client options]

Removes the instance registered as ID (the id that register printed, or that
srsr list NAME shows) and exits 0; exits 1 when the registry has no such
instance (it expired, was removed already, or never was).

${CLIENT_FLAGS_HELP}`,

  parse(args, env) {
    const { flags, positionals } = readFlags("deregister", args, CLIENT_FLAGS);
    const [id] = expectPositionals("deregister", positionals, ["ID"]);
    if (id === "" || id!.length > MAX_ID_LENGTH) throw new UsageError(`deregister: ID "${id}": expected an instance id of 1 to ${MAX_ID_LENGTH} characters`);
    return { client: clientSettings("deregister", flags, env), id: id! };
  },

  async run({ client, id }, { runtime, err }) {
    const registry = await connect(client, runtime);
    if (await registry.registration.deregister(id)) return EXIT.ok;
    err(`srsr: no live instance ${id} (it expired, was deregistered, or never was)`);
    return EXIT.notSo;
  },
};
