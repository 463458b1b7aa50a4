/**
 * The README's examples run against one srsr, in the order the README shows them, each checked
 * against what the README shows it answering. A mismatch is collected in `failures` with where
 * it is, so one run reports every stale example.
 *
 * @module
 */

import { eventually } from "./eventually.ts";
import type { ShellCommand } from "./markdown_commands.ts";
import { type Ports, type ReaderShells, withPorts } from "./reader_shell.ts";
import type { ShellProcess } from "./shell_process.ts";
import { applyBindings, type Binding, bindingsFrom, matchesShown, outputMatches, shownJson } from "./shown_output.ts";

export const where = (command: ShellCommand) => `${command.file}:${command.line}: ${command.text}`;

export class ReadmeExamples {
  readonly failures: string[] = [];
  readonly #bindings: Binding[] = [];
  #client: { shell: ShellProcess; id: string; where: string } | undefined;

  /** `url` is the srsr they run against, on `ports[4214]`; they run in `cwd`. */
  constructor(
    readonly shells: ReaderShells,
    readonly cwd: string,
    readonly url: string,
    readonly ports: Ports,
  ) {}

  #start(command: ShellCommand): ShellProcess {
    return this.shells.run(applyBindings(withPorts(command.text, this.ports), this.#bindings), this.cwd);
  }

  async #serviceNames(): Promise<string[]> {
    const { services } = (await (await fetch(`${this.url}/v1/services`)).json()) as { services: { name: string }[] };
    return services.map((service) => service.name);
  }

  /** Runs to completion; prints one of the answers shown under it, and what its note shows. */
  async answer(command: ShellCommand): Promise<void> {
    const shell = this.#start(command);
    await shell.waitFinished(where(command));
    const output = shell.stdout();
    const shown = command.shown.map((line) => withPorts(line, this.ports));
    const note = withPorts(command.note, this.ports);
    const matching = shown.find((line) => outputMatches(output, line, { wholeText: true }));
    const printed = `${where(command)}: printed ${JSON.stringify(output)}`;
    if (shell.exitCode() !== 0) this.failures.push(`${where(command)}: exit code ${shell.exitCode()}: ${shell.output()}`);
    else if (shown.length > 0 && !matching) this.failures.push(`${printed}; the README shows one of ${JSON.stringify(shown)}`);
    else if (!outputMatches(output, note, { wholeText: false })) this.failures.push(`${printed}; the README shows # ${note}`);
    else this.#bindings.push(...bindingsFrom(output, note), ...(matching ? bindingsFrom(output, matching) : []));
  }

  /** A long-poll waits for the next change to its name: make one, and see it in the answer. */
  async longPoll(command: ShellCommand): Promise<void> {
    const shell = this.#start(command);
    const name = /\/v1\/services\/([^?'/]+)\?/.exec(command.text)![1]!;
    const change = await fetch(`${this.url}/v1/services/${name}/instances`, { method: "POST", body: '{"address": "10.9.9.9:9"}' });
    const { id } = (await change.json()) as { id: string };
    await shell.waitFinished(where(command));
    const answer = JSON.parse(shell.stdout() || "null") as { instances?: { id: string }[] } | null;
    if (!answer?.instances?.some((instance) => instance.id === id)) this.failures.push(`${where(command)}: answered ${shell.stdout()}, without the change`);
    await fetch(`${this.url}/v1/instances/${id}`, { method: "DELETE" });
  }

  /** An event stream: its first event is the first one the README's transcript shows. */
  async firstEvent(command: ShellCommand): Promise<void> {
    const shell = this.#start(command);
    await eventually(() => shell.stdout().includes("\n\n"), `${where(command)} printed its first event`);
    shell.interrupt();
    await shell.waitFinished(where(command));
    const printed = shell.stdout().split("\n\n")[0]!.split("\n");
    const shown = command.shown.slice(0, command.shown.indexOf(""));
    const fieldMatches = (line: string | undefined, shownLine: string) => {
      const colon = shownLine.indexOf(": ");
      const [field, value] = [shownLine.slice(0, colon), shownLine.slice(colon + 2)];
      if (!line?.startsWith(`${field}: `)) return false;
      const actual = line.slice(field.length + 2);
      if (field === "id") return /^\d+$/.test(actual); // the index it was read at
      const json = shownJson(value);
      return json === undefined ? actual === value : matchesShown(JSON.parse(actual), json);
    };
    if (printed.length !== shown.length || !shown.every((line, i) => fieldMatches(printed[i], line))) {
      this.failures.push(`${where(command)}: its first event is ${JSON.stringify(printed)}; the README shows ${JSON.stringify(shown)}`);
    }
  }

  /**
   * A service that registers itself: up once it printed the id it registered under (by then it
   * handles Ctrl-C), and it keeps running for the commands after it until {@link stopClient}.
   */
  async startClient(command: ShellCommand): Promise<void> {
    await this.stopClient();
    const shell = this.#start(command);
    let id: string | undefined;
    const printedItsId = async () => {
      if (shell.finished()) throw new Error(`${where(command)} exited:\n${shell.output()}`);
      for (const name of await this.#serviceNames()) {
        const { instances } = (await (await fetch(`${this.url}/v1/services/${name}`)).json()) as { instances: { id: string }[] };
        id ??= instances.find((instance) => shell.stdout().includes(instance.id))?.id;
      }
      return id !== undefined;
    };
    await eventually(printedItsId, `${where(command)} registered a service and printed its id`, { deadlineMs: 30_000 }).catch((error: Error) => {
      throw new Error(`${error.message}; it printed:\n${shell.output()}`);
    });
    this.#client = { shell, id: id!, where: where(command) };
  }

  /** The reader's Ctrl-C on the running client: it exits, and it deregistered first. */
  async stopClient(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.#client = undefined;
    client.shell.interrupt();
    await client.shell.waitFinished(`${client.where} stopped on Ctrl-C`);
    const { status } = await fetch(`${this.url}/v1/instances/${client.id}`);
    if (status !== 404) this.failures.push(`${client.where}: still registered after Ctrl-C (GET /v1/instances/${client.id}: ${status})`);
  }
}
