/**
 * The command line, read without running anything: parseCommandLine() for serve (every existing
 * command line still serves), help, and each client subcommand's flags, variables and one-line
 * usage errors; and the small pure pieces the subcommands print with.
 */
import { describe, expect, test } from "bun:test";
import { parseDurationMs } from "../src/cli/args.ts";
import { type CommandLine, parseCommandLine, TOP_HELP } from "../src/cli/commands.ts";
import { parseHostPort } from "../src/cli/health_check.ts";
import { expiresIn, instancesTable, servicesTable } from "../src/cli/list.ts";
import { shellExitCode } from "../src/cli/register_child.ts";
import { eventLines } from "../src/cli/watch.ts";
import { DEFAULT_CONFIG, HELP, UsageError } from "../src/config.ts";

const client = (args: string[], env: Record<string, string> = {}): Record<string, unknown> => {
  const line = parseCommandLine(args, env);
  if (line.kind !== "client") throw new Error(`expected a client command, got ${line.kind}`);
  return { subcommand: line.name, ...(line.options as Record<string, unknown>) };
};

const DEFAULT_CLIENT = { server: "http://127.0.0.1:4214", tokenFile: undefined, token: undefined, caFile: undefined };

describe("parseCommandLine(): serve stays the default", () => {
  test.each([
    [[], {}],
    [["-p", "8080"], { port: 8080 }],
    [["serve"], {}],
    [["serve", "-p", "8080", "--store", "sqlite:./reg.db"], { port: 8080, store: "sqlite:./reg.db" }],
    [["--host", "0.0.0.0", "-t", "5"], { host: "0.0.0.0", timeout: 5 }],
  ] as [string[], object][])("%j serves with %j", (args, config) => {
    expect(parseCommandLine(args, {})).toEqual({ kind: "serve", config: { ...DEFAULT_CONFIG, ...config } });
  });

  test("SRSR_* variables still configure serve; a client's SRSR_URL does not", () => {
    expect(parseCommandLine([], { SRSR_PORT: "9000", SRSR_URL: "http://10.0.0.1:1" })).toEqual({
      kind: "serve",
      config: { ...DEFAULT_CONFIG, port: 9000 },
    });
  });

  test.each([
    [["--help"]],
    [["-h"]],
    [["serve", "--help"]],
    [["help"]],
    [["help", "serve"]],
  ])("%j prints the server's options and names every subcommand", (args) => {
    expect(parseCommandLine(args, {})).toEqual({ kind: "help", text: TOP_HELP });
    expect(TOP_HELP.startsWith(HELP)).toBe(true);
    for (const name of ["serve", "lookup", "list", "register", "deregister", "wait-for", "watch"]) expect(TOP_HELP).toContain(`\n  ${name} `);
  });

  test.each([[["-V"]], [["serve", "--version"]]])("%j prints the version", (args) => {
    expect(parseCommandLine(args, {})).toEqual({ kind: "version" });
  });
});

describe("parseCommandLine(): help for a subcommand", () => {
  test.each(["lookup", "list", "register", "deregister", "wait-for", "watch"])("srsr help %s and srsr %s --help print its usage", (name) => {
    const help = parseCommandLine(["help", name], {}) as Extract<CommandLine, { kind: "help" }>;
    expect(help.kind).toBe("help");
    expect(help.text).toStartWith(`Usage: srsr ${name} `);
    expect(help.text).toContain("--server <url>");
    expect(help.text).toContain("3 the registry could not be reached");
    expect(parseCommandLine([name, "--help"], {})).toEqual(help);
    expect(parseCommandLine([name, "x", "-h"], {})).toEqual(help);
  });

  test("--help after -- belongs to the COMMAND register runs", () => {
    expect(client(["register", "db", "--port", "5432", "--", "postgres", "--help"]).command).toEqual(["postgres", "--help"]);
  });
});

describe("parseCommandLine(): client subcommands", () => {
  test.each([
    [["lookup", "billing"], { subcommand: "lookup", client: DEFAULT_CLIENT, name: "billing", meta: undefined }],
    [["lookup", "billing", "--meta", "zone=eu", "--meta=v=2=3"], { subcommand: "lookup", meta: { zone: "eu", v: "2=3" } }],
    [["lookup", "team/billing"], { subcommand: "lookup", name: "team/billing" }],
    [["list"], { subcommand: "list", json: false }],
    [["list", "billing", "--json"], { subcommand: "list", json: true }],
    [["deregister", "0b7e6f0e-3a4e-4c43-9d1c-2f0f7c1a9b61"], { subcommand: "deregister", id: "0b7e6f0e-3a4e-4c43-9d1c-2f0f7c1a9b61" }],
    [["wait-for", "api"], { subcommand: "wait-for", count: 1, timeoutMs: 60_000, timeoutText: "60s", meta: undefined }],
    [["wait-for", "api", "--count", "2", "--timeout", "1m30s"], { count: 2, timeoutMs: 90_000, timeoutText: "1m30s" }],
    [["wait-for", "api", "--timeout", "2.5"], { timeoutMs: 2500, timeoutText: "2.5" }],
    [["watch"], { subcommand: "watch", names: [], json: false }],
    [["watch", "a", "b", "--json"], { names: ["a", "b"], json: true }],
  ] as [string[], object][])("%j -> %j", (args, expected) => {
    expect(client(args)).toMatchObject(expected);
  });

  test("register: its flags, a check, and the COMMAND after --", () => {
    expect(client(["register", "db", "--port", "5432", "--ttl", "15", "--meta", "role=primary", "--", "postgres", "-D", "/data", "--", "x"])).toEqual({
      subcommand: "register",
      client: DEFAULT_CLIENT,
      name: "db",
      address: undefined,
      port: 5432,
      ttl: 15,
      meta: { role: "primary" },
      check: undefined,
      checkEveryMs: 2000,
      command: ["postgres", "-D", "/data", "--", "x"],
    });
    expect(client(["register", "web", "--address", "http://10.0.0.5:8080", "--ttl", "500ms", "--check-http", "http://127.0.0.1:8080/health", "--check-every", "100ms"]))
      .toMatchObject({ address: "http://10.0.0.5:8080", port: undefined, ttl: 0.5, check: { kind: "http", url: "http://127.0.0.1:8080/health" }, checkEveryMs: 100 });
    expect(client(["register", "db", "--port", "5432", "--check-tcp", "[::1]:5432"])).toMatchObject({ check: { kind: "tcp", host: "::1", port: 5432 } });
    expect(client(["register", "db", "--address", "db.internal", "--port", "5432"])).toMatchObject({ address: "db.internal", port: 5432, command: undefined });
  });

  test("the client flags and their variables: a flag wins, SRSR_TOKEN wins over SRSR_TOKEN_FILE, empty is unset", () => {
    expect(client(["lookup", "a"], { SRSR_URL: "https://registry.internal:4214", SRSR_CA_FILE: "ca.pem", SRSR_TOKEN: " t0k3n " }).client).toEqual({
      server: "https://registry.internal:4214",
      tokenFile: undefined,
      token: "t0k3n",
      caFile: "ca.pem",
    });
    expect(client(["lookup", "a", "--server", "http://10.0.0.1:1", "--ca-file", "mine.pem"], { SRSR_URL: "http://x:2", SRSR_CA_FILE: "ca.pem" }).client)
      .toMatchObject({ server: "http://10.0.0.1:1", caFile: "mine.pem" });
    expect(client(["lookup", "a"], { SRSR_TOKEN_FILE: "tokens", SRSR_TOKEN: "t" }).client).toMatchObject({ token: "t", tokenFile: undefined });
    expect(client(["lookup", "a"], { SRSR_TOKEN_FILE: "tokens" }).client).toMatchObject({ token: undefined, tokenFile: "tokens" });
    expect(client(["lookup", "a", "--token-file", "mine"], { SRSR_TOKEN: "t" }).client).toMatchObject({ token: undefined, tokenFile: "mine" });
    expect(client(["lookup", "a"], { SRSR_URL: "", SRSR_TOKEN: "", SRSR_CA_FILE: "" }).client).toEqual(DEFAULT_CLIENT);
  });

  test.each([
    [["nope"], 'unknown command "nope": expected one of serve, lookup, list, register, deregister, wait-for, watch (see --help)'],
    [["help", "nope"], 'help: unknown command "nope"'],
    [["help", "lookup", "list"], 'help: unexpected argument "list"'],
    [["lookup"], "lookup: missing NAME (see srsr lookup --help)"],
    [["lookup", "a", "b"], 'lookup: unexpected argument "b" (see srsr lookup --help)'],
    [["lookup", "a b"], 'lookup: NAME "a b": must not contain whitespace or control characters'],
    [["lookup", "a", "--bogus"], "lookup: unknown option --bogus (see srsr lookup --help)"],
    [["lookup", "a", "--meta", "zone"], 'lookup: --meta: invalid "zone": expected KEY=VALUE'],
    [["lookup", "a", "--meta", "=x"], 'lookup: --meta: invalid "=x"'],
    [["lookup", "a", "--meta", "a b=x"], 'lookup: --meta: invalid "a b=x"'],
    [["lookup", "a", "--meta", "k=1", "--meta", "k=2"], "lookup: --meta: k is given twice"],
    [["lookup", "a", "--meta"], "lookup: --meta: missing value"],
    [["lookup", "a", "--server"], "lookup: --server: missing value"],
    [["lookup", "a", "--server", "x", "--server", "y"], "lookup: --server: given twice"],
    [["lookup", "a", "--server", "localhost:4214"], 'lookup: --server: invalid URL "localhost:4214": expected http://HOST:PORT or https://HOST:PORT'],
    [["lookup", "a", "--server", "ftp://x"], 'lookup: --server: invalid URL "ftp://x"'],
    [["list", "a", "b"], 'list: unexpected argument "b": list takes at most one NAME'],
    [["list", "--json=1"], "list: --json: takes no value"],
    [["deregister"], "deregister: missing ID"],
    [["deregister", "a", "b"], 'deregister: unexpected argument "b"'],
    [["wait-for", "api", "--count", "0"], 'wait-for: --count: invalid number "0": expected an integer from 1 to 10000'],
    [["wait-for", "api", "--count", "1.5"], 'wait-for: --count: invalid number "1.5"'],
    [["wait-for", "api", "--timeout", "soon"], 'wait-for: --timeout: invalid duration "soon": expected a duration such as 500ms, 30s, 2m or 1m30s, or seconds'],
    [["wait-for", "api", "--timeout", "0s"], 'wait-for: --timeout: invalid duration "0s"'],
    [["wait-for", "api", "--timeout", "-1"], 'wait-for: --timeout: invalid duration "-1"'],
    [["wait-for", "api", "--timeout", "--count"], "wait-for: --timeout: missing value"],
    [["watch", "ok", "not ok"], 'watch: NAME "not ok"'],
    [["register"], "register: missing NAME"],
    [["register", "db"], "register: needs --address or --port: where the service is reached"],
    [["register", "db", "--port", "0"], 'register: --port: invalid number "0": expected an integer from 1 to 65535'],
    [["register", "db", "--port", "5432", "--ttl", "0"], 'register: --ttl: invalid duration "0"'],
    [["register", "db", "--port", "5432", "--"], "register: -- must be followed by the COMMAND to run"],
    [["register", "db", "--port", "5432", "--check-every", "1s"], "register: --check-every: needs --check-http or --check-tcp"],
    [["register", "db", "--port", "1", "--check-http", "u", "--check-tcp", "h:1"], "register: --check-http and --check-tcp: give one check, not both"],
    [["register", "db", "--port", "1", "--check-http", "127.0.0.1:8080/health"], 'register: --check-http: invalid URL "127.0.0.1:8080/health"'],
    [["register", "db", "--port", "1", "--check-tcp", "localhost"], 'register: --check-tcp: invalid address "localhost": expected HOST:PORT'],
    [["register", "db", "--port", "1", "--check-tcp", "h:70000"], 'register: --check-tcp: invalid address "h:70000"'],
    [["register", "db", "--address", ""], 'register: --address: invalid address ""'],
    [["lookup", "a", "--server", "http://x\ny"], 'lookup: --server: invalid URL "http://x\\ny"'],
  ])("%j -> UsageError %s", (args, message) => {
    expect(() => parseCommandLine(args, {})).toThrow(UsageError);
    expect(() => parseCommandLine(args, {})).toThrow(message);
    try {
      parseCommandLine(args, {});
    } catch (error) {
      expect((error as Error).message).not.toMatch(/[\r\n]/);
    }
  });

  test.each([
    [{ SRSR_URL: "nope" }, 'lookup: SRSR_URL: invalid URL "nope"'],
    [{ SRSR_TOKEN: "two words" }, "SRSR_TOKEN: is not a bearer token"],
  ])("bad environment %j -> UsageError %s", (env, message) => {
    expect(() => parseCommandLine(["lookup", "a"], env)).toThrow(message);
  });
});

describe("what the subcommands print", () => {
  const instance = (id: string, address: string, meta: Record<string, string>, expiresAt: string) =>
    ({ id, name: "billing", address, meta, ttl: 30, registeredAt: "2026-11-28T10:00:00.000Z", expiresAt });
  const now = Date.parse("2026-11-28T10:00:03.000Z");

  test("list: columns padded to the widest cell", () => {
    expect(servicesTable({ index: 3, services: [{ name: "billing", instances: 2 }, { name: "db", instances: 10 }] })).toEqual([
      "NAME     INSTANCES",
      "billing  2",
      "db       10",
    ]);
    expect(instancesTable({
      name: "billing",
      index: 3,
      instances: [
        instance("a1", "http://10.0.0.5:8080", { zone: "eu", v: "2" }, "2026-11-28T10:00:30.000Z"),
        instance("b2", "10.0.0.6:80", {}, "2026-11-28T10:00:02.000Z"),
      ],
    }, now)).toEqual([
      "ID  ADDRESS               META         EXPIRES IN",
      "a1  http://10.0.0.5:8080  zone=eu,v=2  27s",
      "b2  10.0.0.6:80           -            0s",
    ]);
  });

  test.each([
    ["2026-11-28T10:00:03.001Z", "1s"],
    ["2026-11-28T10:01:08.000Z", "1m05s"],
    ["2026-11-28T11:05:03.000Z", "1h05m"],
  ])("expiresIn(%s) is %s", (expiresAt, expected) => {
    expect(expiresIn(expiresAt, now)).toBe(expected);
  });

  test("watch: a line per instance of a snapshot, one per change; --json: the event as one JSON line", () => {
    const a = instance("a1", "http://10.0.0.5:8080", { zone: "eu" }, "2026-11-28T10:00:30.000Z");
    const b = instance("b2", "10.0.0.6:80", {}, "2026-11-28T10:00:30.000Z");
    expect(eventLines({ type: "snapshot", index: 7, instances: [a, b] }, false)).toEqual(["live billing http://10.0.0.5:8080 a1 zone=eu", "live billing 10.0.0.6:80 b2"]);
    expect(eventLines({ type: "snapshot", index: 7, instances: [] }, false)).toEqual([]);
    expect(eventLines({ type: "expire", index: 9, instance: b }, false)).toEqual(["expire billing 10.0.0.6:80 b2"]);
    expect(eventLines({ type: "register", index: 9, instance: b }, true)).toEqual([JSON.stringify({ type: "register", index: 9, instance: b })]);
  });

  test.each([
    ["30", 30_000],
    ["0.5", 500],
    ["500ms", 500],
    ["2m", 120_000],
    ["1m30s", 90_000],
    ["0", undefined],
    ["-1", undefined],
    ["1e3", undefined],
    ["30 s", undefined],
    ["9999h", undefined],
  ])("parseDurationMs(%j) is %p", (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms as number | undefined);
  });

  test.each([
    ["127.0.0.1:5432", { host: "127.0.0.1", port: 5432 }],
    ["db.internal:5432", { host: "db.internal", port: 5432 }],
    ["[::1]:80", { host: "::1", port: 80 }],
    ["::1:80", undefined],
    ["host:0", undefined],
    [":80", undefined],
  ])("parseHostPort(%j) is %j", (text, expected) => {
    expect(parseHostPort(text)).toEqual(expected as { host: string; port: number } | undefined);
  });

  test("a COMMAND's end as a shell reports it: its code, or 128 + the signal's number", () => {
    expect(shellExitCode(0, null)).toBe(0);
    expect(shellExitCode(42, null)).toBe(42);
    expect(shellExitCode(null, "SIGKILL")).toBe(137);
    expect(shellExitCode(null, "SIGTERM")).toBe(143);
    expect(shellExitCode(null, "SIGINT")).toBe(130);
  });
});
