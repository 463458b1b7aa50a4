/**
 * Every command the READMEs tell a reader to type works as written on a machine that has only
 * Node.js and npm. The commands are read from the READMEs' shell blocks, so what runs here is
 * what the READMEs say; each is run with a PATH that has no bun and no deno, in a scratch copy of
 * the repository, and checked against what the README shows it printing (test/support/
 * shown_output.ts says how an example is read). A command no rule below knows fails the test:
 * a new command in a README must be classified here, run or skipped with its reason.
 *
 * @module
 */

import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { eventually } from "./support/eventually.ts";
import { codeBlocks, namedFiles, type ShellCommand, shellCommands } from "./support/markdown_commands.ts";
import { answers, ReaderShells, withPorts } from "./support/reader_shell.ts";
import { ReadmeExamples, where } from "./support/readme_examples.ts";
import { freePort, ROOT } from "./support/server.ts";

const READMES = ["README.md", "clients/go/README.md", "clients/python/README.md"];

/**
 * How a command is checked. `server`: serves on a free port, answers, and stops on Ctrl-C.
 * `http`: runs to completion against one `npm start` and prints what the README shows.
 * `longpoll`: returns at the next change. `stream`: its first event is the one shown.
 * `client`: registers with that `npm start` while it runs, and deregisters on Ctrl-C.
 */
type Kind = "server" | "http" | "longpoll" | "stream" | "client" | "skip";

/** The first rule whose pattern matches a command decides; a named group `runs` is what is run. */
const RULES: { pattern: RegExp; kind: Kind; why: string }[] = [
  { pattern: /^npm install && (?<runs>npm start)$/, kind: "server", why: "npm install has been run: the tests run in an installed checkout" },
  {
    pattern: /^npm start -- --store postgres:\/\//,
    kind: "skip",
    why: "needs the PostgreSQL server the example names; test/postgres_nodes.test.ts runs nodes on a throwaway one (npm test -- --postgres)",
  },
  { pattern: /^npm start( -- .+)?$/, kind: "server", why: "srsr on Bun, from npm's node_modules/.bin" },
  { pattern: /^npm run start:deno( -- .+)?$/, kind: "server", why: "srsr on Deno, from npm's node_modules/.bin" },
  { pattern: /^curl -s '?localhost:4214\/v1\/services\/[^?']+\?index=\d+&wait=/, kind: "longpoll", why: "a long-poll" },
  { pattern: /^curl -sN '?localhost:4214\/v1\/events/, kind: "stream", why: "Server-Sent Events" },
  { pattern: /^curl -s .*localhost:4214\//, kind: "http", why: "an API example" },
  { pattern: /^npx .*\bhello\.(ts|js)$/, kind: "client", why: "the TypeScript client's example, on Bun, Deno or Node" },
  {
    pattern: /^(npm run build:client && cd clients\/typescript && npm pack|npm install \S*\/srsr-client-[\d.]+\.tgz)$/,
    kind: "skip",
    why: "builds, packs and installs the srsr-client package: test/client_package.test.ts does each in a scratch project, then runs it on Node, Bun and Deno",
  },
  {
    pattern: /^(git clone https:\/\/github\.com\/srsr-dev\/srsr \S+|cd ~\/src\/billing|go mod edit -require=github\.com\/srsr-dev\/srsr\/clients\/go@v0\.0\.0 -replace=\S+|go build \.\/\.\.\.)$/,
    kind: "skip",
    why: "the Go client from a checkout through a local replace: clients/go/client/readme_example_test.go builds the README's example that way in a scratch module, offline (the clone needs the network)",
  },
  { pattern: /^curl -fLO https:\/\/github\.com\//, kind: "skip", why: "downloads a release file from GitHub: no network here" },
  { pattern: /^chmod \+x srsr-linux-amd64$/, kind: "skip", why: "makes that download executable" },
  {
    pattern: /^\.\/srsr-linux-(amd64|arm64)( |$)/,
    kind: "skip",
    why: "runs the downloaded binary; test/binary.test.ts runs the one scripts/build.ts compiles, alone in an empty folder",
  },
  { pattern: /^sha256sum -c --ignore-missing SHA256SUMS$/, kind: "skip", why: "checks the downloaded files" },
  { pattern: /^(xattr -d com\.apple\.quarantine|chmod \+x) srsr-darwin-/, kind: "skip", why: "macOS only" },
  { pattern: /^(curl\.exe |\.\\srsr-windows-)/, kind: "skip", why: "Windows only" },
  { pattern: /^npm install$/, kind: "skip", why: "the tests run in an installed checkout; .ci/run installs one from scratch (npm ci)" },
  { pattern: /^npm ci$/, kind: "skip", why: "would reinstall node_modules under the tests that are running; .ci/run runs it on a clean checkout" },
  { pattern: /^npm test$/, kind: "skip", why: "the suite this test is part of" },
  {
    pattern: /^npm run build( -- .+)?$/,
    kind: "skip",
    why: "compiles for half a minute and rewrites dist/; test/binary.test.ts compiles the host's binary with the same script and runs it",
  },
  { pattern: /^\(cd dist && sha256sum -c SHA256SUMS\)$/, kind: "skip", why: "checks what npm run build wrote; test/binary.test.ts checks SHA256SUMS against the binary" },
  { pattern: /^go get github\.com\//, kind: "skip", why: "downloads the Go module from GitHub: no network here; npm test builds and tests clients/go" },
  {
    pattern: /^pip install \.\/clients\/python$/,
    kind: "skip",
    why: "needs pip, a virtual environment on Debian and Ubuntu (PEP 668) and setuptools from PyPI: no network here; npm test runs the client from clients/python",
  },
  { pattern: /^python3 -m unittest -v$/, kind: "skip", why: "npm test runs it (npm run test:python, in clients/python)" },
  {
    pattern: /^srsr (register|wait-for|list|lookup|watch) /,
    kind: "skip",
    why: "the subcommands of the binary, installed as srsr: test/cli_e2e.test.ts and test/cli_register_e2e.test.ts run each against a real srsr, " +
      "from source and as the binary, and test/readme_cli.test.ts checks every srsr command line the README shows is one srsr accepts",
  },
];

const commands: ShellCommand[] = READMES.flatMap((file) => shellCommands(readFileSync(join(ROOT, file), "utf8"), file));
const ruleOf = (command: ShellCommand) => RULES.find((rule) => rule.pattern.test(command.text));
const kindOf = (command: ShellCommand) => ruleOf(command)?.kind;

const shells = new ReaderShells();
afterAll(() => shells.cleanUp());

/**
 * Serves on a free port, answers, and stops on Ctrl-C. Each runs in its own copy, so two never
 * share a --store file. SRSR_PORT moves the default port off 4214, which another srsr here may
 * hold; a flag wins over SRSR_PORT, so the README's example port in `-p 8080` is replaced by the
 * same free port.
 */
async function checkServer(text: string): Promise<void> {
  const cwd = shells.scratchCheckout();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const shell = shells.run(withPorts(text, { 4214: port, 8080: port }), cwd, { SRSR_PORT: String(port) });
  await eventually(async () => {
    if (shell.finished()) throw new Error(`${text} exited before it served ${url}:\n${shell.output()}`);
    return shell.output().includes(`srsr listening on ${url} `) && (await answers(url));
  }, `${text} serves ${url}`, { deadlineMs: 30_000 });
  const file = / --store sqlite:(\S+)/.exec(text)?.[1];
  if (file && !isAbsolute(file)) expect(existsSync(join(cwd, file))).toBe(true); // npm runs scripts in the package's folder
  shell.interrupt();
  await shell.waitFinished(`${text} stopped on Ctrl-C`);
  expect({ text, shutDown: shell.output().includes(" info shutting down signal=SIGINT"), answers: await answers(url) })
    .toEqual({ text, shutDown: true, answers: false });
}

describe("the commands in the READMEs", () => {
  test("each one is run here or skipped for a stated reason, and every rule still matches one", () => {
    expect(commands.filter((command) => !ruleOf(command)).map(where)).toEqual([]);
    expect(RULES.filter((rule) => !commands.some((command) => rule.pattern.test(command.text))).map((rule) => String(rule.pattern))).toEqual([]);
  });

  test("every code block names its language, so no command hides in an unmarked one", () => {
    const bare = READMES.flatMap((file) => codeBlocks(readFileSync(join(ROOT, file), "utf8"), file))
      .filter((block) => block.lang === "")
      .map((block) => `${block.file}:${block.line}`);
    expect(bare).toEqual([]);
  });

  test("none runs a bare bun or deno, which npm does not put on the reader's PATH", () => {
    expect(commands.filter((command) => /^(bun|deno)\s/.test(command.text)).map(where)).toEqual([]);
  });

  test("they run with a PATH that has node, npm and curl but no bun or deno", async () => {
    const found = async (name: string) => {
      const shell = shells.run(`command -v ${name}`, ROOT);
      await shell.waitFinished(`command -v ${name}`);
      return shell.exitCode() === 0;
    };
    const names = ["bun", "deno", "node", "npm", "curl"];
    const present = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await found(name)])));
    expect(present).toEqual({ bun: false, deno: false, node: true, npm: true, curl: true });
    const node = shells.run(`node -e "process.exit(process.versions.bun || process.versions.deno ? 1 : 0)"`, ROOT);
    await node.waitFinished("node");
    expect(node.exitCode()).toBe(0); // node is Node.js, not a shim onto Bun
  });

  test("each server command serves on a free port, answers, and stops on Ctrl-C", async () => {
    const runs = (command: ShellCommand) => ruleOf(command)!.pattern.exec(command.text)!.groups?.runs ?? command.text;
    const servers = new Set(commands.filter((command) => kindOf(command) === "server").map(runs));
    expect(servers.size).toBeGreaterThan(0);
    await Promise.all([...servers].map(checkServer));
  }, 120_000); // a bound for a failing run; each step waits on its condition

  test("the API and client examples answer what the README shows, against one npm start", async () => {
    expect(commands.map((command) => command.text)).toContain("npm start");
    const cwd = shells.scratchCheckout();
    const ports = { 4214: await freePort(), 8080: await freePort() };
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    for (const file of namedFiles(readme, "README.md")) writeFileSync(join(cwd, file.name), withPorts(file.content, ports));
    const url = `http://127.0.0.1:${ports[4214]}`;
    const registry = shells.run("npm start", cwd, { SRSR_PORT: String(ports[4214]) });
    await eventually(() => answers(url), `npm start serves ${url}`, { deadlineMs: 30_000 });

    const examples = new ReadmeExamples(shells, cwd, url, ports);
    for (const [index, command] of commands.entries()) {
      const kind = kindOf(command);
      if (kind === "http") await examples.answer(command);
      else if (kind === "longpoll") await examples.longPoll(command);
      else if (kind === "stream") await examples.firstEvent(command);
      else if (kind === "client") await examples.startClient(command);
      // server: the test above runs each; skip: each has its reason.
      const next = commands[index + 1];
      if (next?.file !== command.file || next.block !== command.block) await examples.stopClient(); // a block ends: Ctrl-C
    }
    registry.interrupt();
    await registry.waitFinished("npm start stopped on Ctrl-C");
    expect(examples.failures).toEqual([]);
  }, 120_000); // a bound for a failing run; each step waits on its condition
});
