/**
 * `srsr register NAME (--address A | --port P) [--ttl S] [--meta KEY=VALUE]… [--check-http URL |
 * --check-tcp HOST:PORT [--check-every 2s]] [-- COMMAND ARGS…]`: keeps one instance registered,
 * heartbeating every third of its TTL, until SIGINT or SIGTERM; then deregisters it.
 *
 * With a COMMAND it runs it, keeps it registered while it runs, deregisters when it exits and
 * exits with its exit code (128 + n when signal n killed it, as a shell does). SIGINT and SIGTERM
 * deregister at once, so nothing is sent to a process on its way down, and are passed on to the
 * COMMAND; SIGHUP is passed on only. With a check, it registers only once the check passes,
 * heartbeats only while it passes, deregisters after it has failed for one TTL and registers
 * again when it passes again.
 *
 * @module
 */

import process from "node:process";
import type { RetryInfo } from "../client/options.ts";
import type { RegistryClient } from "../client/registry_client.ts";
import type { RegistryError } from "../client/request.ts";
import { UsageError } from "../config.ts";
import type { WireInstance } from "../wire/v1.ts";
import { checkServiceName, DURATION_FORM, durationFlag, expectPositionals, integerFlag, META_FORM, metaFlags, readFlags } from "./args.ts";
import { type ClientCommand, type CliContext, describeFailure, EXIT } from "./client_command.ts";
import { CLIENT_FLAGS, CLIENT_FLAGS_HELP, type ClientSettings, clientSettings, connect } from "./client_flags.ts";
import { describeCheck, type HealthCheck, parseHostPort, watchHealth } from "./health_check.ts";
import { type Child, startChild } from "./register_child.ts";

export interface RegisterCliOptions {
  client: ClientSettings;
  name: string;
  address: string | undefined;
  port: number | undefined;
  /** Seconds; the registry's --timeout when `undefined`. */
  ttl: number | undefined;
  meta: Record<string, string> | undefined;
  check: HealthCheck | undefined;
  /** @default 2_000 */
  checkEveryMs: number;
  /** The COMMAND and its arguments, after `--`. */
  command: string[] | undefined;
}

const FLAGS = {
  ...CLIENT_FLAGS,
  address: { type: "string", expected: "an address such as http://10.0.0.5:8080 or 10.0.0.5:8080" },
  port: { type: "string", expected: "an integer from 1 to 65535" },
  ttl: { type: "string", expected: DURATION_FORM },
  meta: { type: "string", multiple: true, expected: META_FORM },
  "check-http": { type: "string", expected: "an http:// or https:// URL" },
  "check-tcp": { type: "string", expected: "HOST:PORT" },
  "check-every": { type: "string", expected: DURATION_FORM },
} as const;

function parseCheck(http: string | undefined, tcp: string | undefined): HealthCheck | undefined {
  if (http !== undefined && tcp !== undefined) throw new UsageError("register: --check-http and --check-tcp: give one check, not both");
  if (http !== undefined) {
    if (!/^https?:\/\/[^/\s]/.test(http) || !URL.canParse(http)) throw new UsageError(`register: --check-http: invalid URL "${http}": expected an http:// or https:// URL`);
    return { kind: "http", url: http };
  }
  if (tcp === undefined) return undefined;
  const hostPort = parseHostPort(tcp);
  if (!hostPort) throw new UsageError(`register: --check-tcp: invalid address "${tcp}": expected HOST:PORT, such as 127.0.0.1:5432 or [::1]:5432`);
  return { kind: "tcp", ...hostPort };
}

export const register: ClientCommand<RegisterCliOptions> = {
  name: "register",
  summary: "keep a service registered while srsr (or a command it runs) runs",
  usage: `Usage: srsr register NAME (--address A | --port P) [--ttl S] [--meta KEY=VALUE]...
                     [--check-http URL | --check-tcp HOST:PORT [--check-every 2s]]
                     [client options] [-- COMMAND ARGS...]

Registers an instance of NAME and heartbeats every third of its TTL until
SIGINT or SIGTERM, then deregisters it and exits 0. It registers again by
itself when the registry has forgotten the instance (a restart).

With -- COMMAND ARGS..., runs COMMAND, keeps it registered while it runs,
deregisters when it exits, and exits with its exit code (128+N when signal N
killed it). SIGINT and SIGTERM deregister at once and are passed on to COMMAND;
SIGHUP is passed on.

With a check, registers only once the check passes, heartbeats only while it
passes, deregisters after it has failed for one TTL, and registers again when
it passes again: for a process that knows nothing of srsr (a database, a mock).

Options:
      --address A         where the service is reached: http://10.0.0.5:8080,
                          10.0.0.5:8080, or a host that --port completes
      --port P            the service's port; without --address the registry
                          uses http://<the IP it sees this machine at>:P
      --ttl S             seconds (or 30s, 2m) the instance lives after each
                          heartbeat (default: the registry's --timeout)
      --meta KEY=VALUE    a label (repeat for more)
      --check-http URL    heartbeat only while URL answers a 2xx
      --check-tcp H:P     heartbeat only while H:P accepts a TCP connection
      --check-every D     how often to check (default 2s)

${CLIENT_FLAGS_HELP}`,

  parse(args, env) {
    const split = args.indexOf("--");
    const command = split === -1 ? undefined : args.slice(split + 1);
    if (command?.length === 0) throw new UsageError("register: -- must be followed by the COMMAND to run");
    const { flags, positionals } = readFlags("register", split === -1 ? args : args.slice(0, split), FLAGS);
    const [name] = expectPositionals("register", positionals, ["NAME"]);
    if (flags.address === undefined && flags.port === undefined) throw new UsageError("register: needs --address or --port: where the service is reached");
    if (flags.address === "") throw new UsageError('register: --address: invalid address "": expected an address such as http://10.0.0.5:8080');
    const check = parseCheck(flags["check-http"], flags["check-tcp"]);
    if (!check && flags["check-every"] !== undefined) throw new UsageError("register: --check-every: needs --check-http or --check-tcp");
    return {
      client: clientSettings("register", flags, env),
      name: checkServiceName("register", name!),
      address: flags.address,
      port: flags.port === undefined ? undefined : integerFlag("register", "--port", flags.port, 1, 65535),
      ttl: flags.ttl === undefined ? undefined : durationFlag("register", "--ttl", flags.ttl) / 1000,
      meta: metaFlags("register", flags.meta),
      check,
      checkEveryMs: flags["check-every"] === undefined ? 2_000 : durationFlag("register", "--check-every", flags["check-every"]),
      command: command ? [...command] : undefined,
    };
  },

  async run(options, context) {
    return await new Registering(await connect(options.client, context.runtime), options, context).run();
  },
};

const seconds = (ms: number | undefined) => `${((ms ?? 0) / 1000).toFixed(1)} s`;

/** One run of `srsr register`: the kept registration, the check, the COMMAND and the signals. */
class Registering {
  readonly #kept;
  readonly #say: (line: string) => void;
  #passing = false;
  #checked = false;
  #lastPassAt = 0;
  /** A registration after a passing check, or a deregistration after a failing one, in flight. */
  #registering: Promise<unknown> | undefined;
  #lapsing: Promise<unknown> | undefined;
  #deregistering: Promise<boolean> | undefined;

  constructor(
    readonly registry: RegistryClient,
    readonly options: RegisterCliOptions,
    readonly context: CliContext,
  ) {
    this.#say = (line) => context.err(`srsr: ${line}`);
    const { name, address, port, meta, ttl, check, client } = options;
    this.#kept = registry.registration.keepAlive(name, {
      address,
      port,
      meta,
      ttl,
      renewIf: check ? () => this.#passing : undefined,
      onRegister: (instance: WireInstance) => this.#say(`registered ${name} at ${instance.address} as ${instance.id} (ttl ${instance.ttl}s)`),
      onError: (error: RegistryError, { retryIn }: RetryInfo) => this.#say(`${describeFailure(error, client.server).line}; retrying in ${seconds(retryIn)}`),
    });
  }

  async run(): Promise<number> {
    const { check, checkEveryMs, command, name } = this.options;
    // Before anything starts: a registry that cannot be reached, or refuses, is said at once.
    if (check) await this.registry.instances.list(name);
    else await this.#kept.start();
    const child = command ? startChild(command) : undefined;
    const health = check ? watchHealth(check, checkEveryMs, (problem) => this.#onCheck(check, problem)) : undefined;
    const stopRequested = Promise.withResolvers<void>();
    const onSignal = (signal: NodeJS.Signals) => {
      if (signal !== "SIGHUP" || !child) {
        health?.stop();
        void this.#deregister();
      }
      if (child) child.kill(signal);
      else stopRequested.resolve();
    };
    const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
    for (const signal of signals) process.on(signal, onSignal);
    // The heartbeat timers do not keep a process alive (a library's must not); this one does.
    const awake = setInterval(() => {}, 1 << 30);
    try {
      const exited = child ? await child.exited : undefined;
      if (exited?.problem) this.#say(exited.problem);
      if (!child) await stopRequested.promise;
      health?.stop();
      const deregistered = await this.#deregister();
      return exited?.code ?? (deregistered ? EXIT.ok : EXIT.notSo);
    } finally {
      clearInterval(awake);
      for (const signal of signals) process.off(signal, onSignal);
    }
  }

  /** Deregisters once, however many signals and exits ask; answers whether nothing failed. */
  #deregister(): Promise<boolean> {
    this.#deregistering ??= (async () => {
      await Promise.all([this.#registering, this.#lapsing]);
      const instance = this.#kept.instance;
      try {
        await this.#kept.stop();
        if (instance) this.#say(`deregistered ${this.options.name} (${instance.id})`);
        return true;
      } catch (error) {
        this.#say(`${describeFailure(error, this.options.client.server).line}; the registry will expire it after its TTL`);
        return false;
      }
    })();
    return this.#deregistering;
  }

  #onCheck(check: HealthCheck, problem: string | undefined): void {
    if (this.#deregistering) return;
    const [wasPassing, firstResult] = [this.#passing, !this.#checked];
    this.#passing = problem === undefined;
    this.#checked = true;
    if (problem !== undefined) {
      if (wasPassing || firstResult) this.#say(`${describeCheck(check)}: failing: ${problem}`);
      const ttlMs = (this.#kept.instance?.ttl ?? 0) * 1000;
      if (this.#kept.running && !this.#registering && Date.now() - this.#lastPassAt >= ttlMs) {
        this.#lapsing = this.#lapse(check).finally(() => (this.#lapsing = undefined));
      }
      return;
    }
    this.#lastPassAt = Date.now();
    if (!wasPassing) this.#say(`${describeCheck(check)}: passing`);
    if (this.#kept.running) {
      if (!wasPassing) this.#kept.renewNow();
    } else if (!this.#registering) {
      this.#registering = this.#kept.start()
        .catch((error) => this.#say(`${describeFailure(error, this.options.client.server).line}; trying again at the next passing check`))
        .finally(() => (this.#registering = undefined));
    }
  }

  /** The check has failed for a whole TTL: the instance goes until it passes again. */
  async #lapse(check: HealthCheck): Promise<void> {
    const instance = this.#kept.instance;
    try {
      await this.#kept.stop();
      this.#say(`${describeCheck(check)}: failing for ${instance?.ttl}s (one TTL): deregistered ${this.options.name} (${instance?.id})`);
    } catch (error) {
      this.#say(`${describeFailure(error, this.options.client.server).line}; the registry will expire it after its TTL`);
    }
  }
}
