/**
 * `srsr list [NAME] [--json]`: a table of the services with live instances, or of NAME's live
 * instances; `--json` prints the v1 API's answer as it is, for `jq`.
 *
 * @module
 */

import { UsageError } from "../config.ts";
import type { InstanceListResponse, ServiceListResponse } from "../wire/v1.ts";
import { checkServiceName, readFlags } from "./args.ts";
import { type ClientCommand, EXIT } from "./client_command.ts";
import { CLIENT_FLAGS, CLIENT_FLAGS_HELP, type ClientSettings, clientSettings, connect } from "./client_flags.ts";

export interface ListOptions {
  client: ClientSettings;
  /** List this service's instances; every service when `undefined`. */
  name: string | undefined;
  json: boolean;
}

const FLAGS = { ...CLIENT_FLAGS, json: { type: "boolean" } } as const;

/** Columns padded to their widest cell, two spaces apart; the last is not padded. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join("  "));
}

/** `27s`, `4m05s`, `1h02m`: how long until `expiresAt`, from `now`. */
export function expiresIn(expiresAt: string, now: number): string {
  const seconds = Math.max(0, Math.ceil((Date.parse(expiresAt) - now) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")}m`;
}

export function servicesTable({ services }: ServiceListResponse): string[] {
  return table([["NAME", "INSTANCES"], ...services.map(({ name, instances }) => [name, String(instances)])]);
}

export function instancesTable({ instances }: InstanceListResponse, now: number): string[] {
  const meta = (entries: Record<string, string>) => Object.entries(entries).map(([key, value]) => `${key}=${value}`).join(",") || "-";
  return table([
    ["ID", "ADDRESS", "META", "EXPIRES IN"],
    ...instances.map((instance) => [instance.id, instance.address, meta(instance.meta), expiresIn(instance.expiresAt, now)]),
  ]);
}

export const list: ClientCommand<ListOptions> = {
  name: "list",
  summary: "list the services, or the live instances of one",
  usage: `Usage: srsr list [NAME] [--json] [client options]

Without NAME, a table of every service with live instances and how many it has;
with NAME, a table of its live instances: id, address, meta, and how long until
each expires unless it heartbeats.

Options:
      --json              print the v1 API's JSON answer instead

${CLIENT_FLAGS_HELP}`,

  parse(args, env) {
    const { flags, positionals } = readFlags("list", args, FLAGS);
    if (positionals.length > 1) throw new UsageError(`list: unexpected argument "${positionals[1]}": list takes at most one NAME`);
    const name = positionals[0] === undefined ? undefined : checkServiceName("list", positionals[0]);
    return { client: clientSettings("list", flags, env), name, json: flags.json === true };
  },

  async run({ client, name, json }, { runtime, out }) {
    const registry = await connect(client, runtime);
    if (name === undefined) {
      const answer = await registry.instances.services();
      for (const line of json ? [JSON.stringify(answer)] : servicesTable(answer)) out(line);
    } else {
      const answer = await registry.instances.list(name);
      for (const line of json ? [JSON.stringify(answer)] : instancesTable(answer, Date.now())) out(line);
    }
    return EXIT.ok;
  },
};
