/**
 * README's "The command line" and "In CI" say what srsr does: every `srsr …` command line it shows
 * (in shell and console blocks, and in the GitHub Actions job's `run` steps) is one srsr
 * accepts; the job downloads the file the build makes, starts the registry in the background,
 * registers two API instances, waits for them with `srsr wait-for api --count 2 --timeout 60s`
 * and finds them with `srsr lookup`; the tables name every subcommand and client variable; and
 * the messages it quotes are the ones srsr prints. The subcommands themselves run in
 * cli_e2e.test.ts and cli_register_e2e.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileNameOf } from "../scripts/build.ts";
import { CLIENT_COMMANDS, parseCommandLine } from "../src/cli/commands.ts";
import { codeBlocks, shellCommands } from "./support/markdown_commands.ts";
import { ROOT } from "./support/server.ts";

const README = readFileSync(join(ROOT, "README.md"), "utf8");
const section = (heading: string) => {
  const start = README.indexOf(`\n## ${heading}\n`);
  expect(start).toBeGreaterThan(-1);
  const end = README.indexOf("\n## ", start + 1);
  return README.slice(start, end === -1 ? undefined : end);
};

/** Sample values for the shell variables the job uses, so its command lines can be read. */
const VARIABLES: Record<string, string> = { port: "8081", RUNNER_TEMP: "/home/runner/work/_temp" };

/** The words of a shell command line: quotes removed, `$VAR` and `${VAR}` replaced by a sample. */
function words(text: string): string[] {
  const expanded = text.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => VARIABLES[name] ?? whole);
  return [...expanded.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2] ?? match[3]!);
}

/** The arguments of every `srsr` a shell line runs: at its start, after `;`, `&&`, `|`, or in `$(…)`. */
function srsrInvocations(line: string): string[][] {
  return [...line.matchAll(/(?:^\s*|[;&|(]\s*)srsr\b([^;&|()<>\n]*)/g)].map((match) => words(match[1]!));
}

const shown = shellCommands(README, "README.md").map((command) => command.text).filter((text) => /(^|\$\()srsr\b/.test(text));

interface Step {
  name?: string;
  uses?: string;
  run?: string;
}
const job = codeBlocks(README, "README.md").find((block) => block.lang === "yaml" && block.lines.some((line) => line.startsWith("jobs:")));
const workflow = Bun.YAML.parse(job?.lines.join("\n") ?? "") as { jobs?: Record<string, { "runs-on"?: string; steps?: Step[] }> };
const steps = Object.values(workflow.jobs ?? {})[0]?.steps ?? [];
/** Each step's script, its continuation lines joined. */
const scripts = steps.map((step) => (step.run ?? "").replace(/\\\n\s*/g, " "));
const stepRunning = (pattern: RegExp) => scripts.find((script) => pattern.test(script));

describe("README: the command line and In CI", () => {
  test("every srsr command line shown, in shell and console blocks and in the job, is one srsr accepts", () => {
    const lines = [...shown, ...scripts.flatMap((script) => script.split("\n"))];
    const invocations = lines.flatMap(srsrInvocations);
    expect(invocations.length).toBeGreaterThanOrEqual(14);
    const refused = invocations.flatMap((args) => {
      try {
        parseCommandLine(args, {});
        return [];
      } catch (error) {
        return [`srsr ${args.join(" ")}: ${(error as Error).message}`];
      }
    });
    expect(refused).toEqual([]);
    // Shown for each subcommand but deregister, whose id no reader can know in advance.
    const used = new Set(invocations.map(([first]) => first));
    for (const client of CLIENT_COMMANDS) if (client.name !== "deregister") expect(used).toContain(client.name);
  });

  test("the job downloads the file the build makes, serves it in the background, registers two API instances, waits for them and looks them up", () => {
    expect(Object.values(workflow.jobs ?? {})[0]?.["runs-on"]).toBe("ubuntu-latest");
    expect(stepRunning(new RegExp(`curl -fsSL -o "\\$RUNNER_TEMP/bin/srsr" https://github\\.com/[^/]+/[^/]+/releases/latest/download/${fileNameOf("linux-amd64")}\n`))).toBeDefined();
    expect(stepRunning(/^srsr > \S+ 2>&1 &\n/m)).toBeDefined();
    const api = stepRunning(/for port in 8081 8082; do\n/);
    expect(api).toMatch(/srsr register api --port "\$port" .* -- .*&\ndone/);
    const waiting = stepRunning(/srsr wait-for api/)!;
    expect(waiting.split("\n")).toContain("srsr wait-for api --count 2 --timeout 60s");
    // The waits come after every start, and the lookups after the waits.
    const order = (pattern: RegExp) => scripts.findIndex((script) => pattern.test(script));
    expect(order(/srsr register db /)).toBeLessThan(order(/srsr wait-for /));
    expect(order(/srsr wait-for /)).toBeLessThan(order(/\$\(srsr lookup api\)/));
    expect(order(/\$\(srsr lookup db\)/)).toBe(order(/\$\(srsr lookup api\)/));
  });

  test("the tables name every subcommand and every client flag's variable", () => {
    const commandLine = section("The command line");
    for (const client of CLIENT_COMMANDS) expect(commandLine).toContain(`| \`srsr ${client.name}`);
    for (const variable of ["SRSR_URL", "SRSR_TOKEN_FILE", "SRSR_TOKEN", "SRSR_CA_FILE"]) expect(commandLine).toContain(`\`${variable}\``);
    for (const client of CLIENT_COMMANDS) expect(client.usage).toContain("SRSR_URL");
  });

  test("the usage error it quotes is the one srsr prints", () => {
    const quoted = /`srsr: (wait-for: --count: [^`]+)`/.exec(section("The command line"))?.[1];
    expect(quoted).toBeDefined();
    expect(() => parseCommandLine(["wait-for", "api", "--count", "two"], {})).toThrow(quoted!);
  });
});
