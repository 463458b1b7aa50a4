/**
 * `srsr watch [NAME…] [--json]`: prints the live instances, then one line per change, until
 * SIGINT or SIGTERM (exit 0). It follows the v1 event stream and, when the connection drops,
 * reconnects and resumes with `Last-Event-ID`, so no change is missed or printed twice.
 *
 * @module
 */

import process from "node:process";
import type { RegistryEvent } from "../client/events.ts";
import type { RegistryError } from "../client/request.ts";
import type { WireInstance } from "../wire/v1.ts";
import { checkServiceName, readFlags } from "./args.ts";
import { type ClientCommand, describeFailure, EXIT } from "./client_command.ts";
import { CLIENT_FLAGS, CLIENT_FLAGS_HELP, type ClientSettings, clientSettings, connect } from "./client_flags.ts";

export interface WatchCliOptions {
  client: ClientSettings;
  /** Every name when empty. */
  names: string[];
  json: boolean;
}

const FLAGS = { ...CLIENT_FLAGS, json: { type: "boolean" } } as const;

/** Waits between reconnections: short, since an operator is watching. */
const BACKOFF = { initial: 250, max: 5_000 };

/** `TYPE NAME ADDRESS ID [KEY=VALUE…]`: `live` for each instance of a snapshot. */
function instanceLine(type: string, { name, address, id, meta }: WireInstance): string {
  return [type, name, address, id, ...Object.entries(meta).map(([key, value]) => `${key}=${value}`)].join(" ");
}

/** The lines an event prints: one per instance of a snapshot, one per change. */
export function eventLines(event: RegistryEvent, json: boolean): string[] {
  if (json) return [JSON.stringify(event)];
  if (event.type === "snapshot") return event.instances.map((instance) => instanceLine("live", instance));
  return [instanceLine(event.type, event.instance)];
}

export const watch: ClientCommand<WatchCliOptions> = {
  name: "watch",
  summary: "print every change to some services (or all) as it happens",
  usage: `Usage: srsr watch [NAME...] [--json] [client options]

Prints a line for each live instance of the NAMEs (every name without one):
  live NAME ADDRESS ID [KEY=VALUE...]
then one line per change as it happens, until SIGINT or SIGTERM (exit 0):
  register|deregister|expire|update NAME ADDRESS ID [KEY=VALUE...]
When the connection drops it reconnects and carries on where it left off.

Options:
      --json              one JSON object per line instead:
                          {"type":"snapshot","index":N,"instances":[...]} or
                          {"type":"register","index":N,"instance":{...}}

${CLIENT_FLAGS_HELP}`,

  parse(args, env) {
    const { flags, positionals } = readFlags("watch", args, FLAGS);
    return {
      client: clientSettings("watch", flags, env),
      names: positionals.map((name) => checkServiceName("watch", name)),
      json: flags.json === true,
    };
  },

  async run({ client, names, json }, { runtime, out, err }) {
    const registry = await connect(client, runtime);
    const stop = new AbortController();
    const interrupt = () => stop.abort();
    process.on("SIGINT", interrupt);
    process.on("SIGTERM", interrupt);
    let connected = false;
    let unreachable: RegistryError | undefined;
    const onError = (error: RegistryError, { retryIn }: { retryIn: number | undefined }) => {
      if (connected) {
        err(`srsr: ${describeFailure(error, client.server).line}; reconnecting in ${((retryIn ?? 0) / 1000).toFixed(1)} s`);
        return;
      }
      // Never connected: a wrong URL or a registry that is down, said at once rather than retried.
      unreachable = error;
      stop.abort();
    };
    try {
      for await (const event of registry.events.watch({ names, signal: stop.signal, backoff: BACKOFF, onError })) {
        connected = true;
        for (const line of eventLines(event, json)) out(line);
      }
    } finally {
      process.off("SIGINT", interrupt);
      process.off("SIGTERM", interrupt);
    }
    if (unreachable) throw unreachable;
    return EXIT.ok;
  },
};
