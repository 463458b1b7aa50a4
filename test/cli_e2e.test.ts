/**
 * Black-box: the `srsr` subcommands lookup, list, deregister, wait-for and watch against a real
 * srsr, run from source on Bun and as the compiled binary alone in an empty folder, with every
 * exit code: 0 done, 1 not so, 2 bad usage, 3 the registry could not be reached. Also
 * `--ca-file` against an HTTPS registry (on Bun, the binary and Deno), and bearer tokens.
 * `register` is tested in cli_register_e2e.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTestCertificates, type TestCertificates } from "./support/certificates.ts";
import { CLIS, cliRunner, gauge } from "./support/cli.ts";
import { eventually } from "./support/eventually.ts";
import { freePort, type RunningServer, srsrCommand, startServer } from "./support/server.ts";

const cli = cliRunner();
const uniqueName = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
// Budgets for a busy machine, not measurements.
const TIMEOUT_MS = 30_000;

let server: RunningServer;
let guarded: RunningServer;
let certificates: TestCertificates;
let https: RunningServer;
let scratch: string;
beforeAll(async () => {
  certificates = await makeTestCertificates();
  scratch = await mkdtemp(join(tmpdir(), "srsr-cli-"));
  [server, guarded, https] = await Promise.all([
    startServer(srsrCommand("bun")),
    startServer(srsrCommand("bun"), [], { env: { SRSR_TOKEN: "s3cret-token" } }),
    startServer(srsrCommand("bun"), ["--tls-cert", certificates.certFile, "--tls-key", certificates.keyFile], { ca: certificates.ca }),
  ]);
});
afterAll(async () => {
  await Promise.all([server, guarded, https].filter(Boolean).map((running) => running.stop()));
  await certificates?.remove();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Registers an instance of `name` at `address` on `on` (default: the shared server). */
async function registerOn(name: string, address: string, on: RunningServer = server, body: Record<string, unknown> = {}) {
  const response = await on.fetch(`${on.url}/v1/services/${encodeURIComponent(name)}/instances`, {
    method: "POST",
    body: JSON.stringify({ address, ...body }),
  });
  return (await response.json()) as { id: string };
}

const unreachableLine = (url: string) => `srsr: cannot reach the registry at ${url}: connection refused (is it running there?)\n`;

for (const runtime of CLIS) {
  describe(`srsr's subcommands from ${runtime === "bun" ? "source on Bun" : "the compiled binary"}`, () => {
    const run = (args: string[], env: Record<string, string> = {}) => cli.run(runtime, args, { SRSR_URL: server.url, ...env });
    const nowhere = async () => `http://127.0.0.1:${await freePort()}`;

    test("lookup: 0 and an address; 1 and one line when none is live; 2 for bad usage; 3 when unreachable", async () => {
      const name = uniqueName("lookup");
      await registerOn(name, "http://10.0.0.5:8080", server, { meta: { zone: "eu" } });
      expect(await run(["lookup", name])).toEqual({ code: 0, stdout: "http://10.0.0.5:8080\n", stderr: "" });
      expect(await run(["lookup", name, "--meta", "zone=eu"])).toEqual({ code: 0, stdout: "http://10.0.0.5:8080\n", stderr: "" });
      expect(await run(["lookup", "nobody"])).toEqual({ code: 1, stdout: "", stderr: "srsr: no live instance of nobody\n" });
      expect(await run(["lookup", name, "--meta", "zone=us"])).toEqual({ code: 1, stdout: "", stderr: `srsr: no live instance of ${name} with zone=us\n` });
      expect(await run(["lookup"])).toEqual({ code: 2, stdout: "", stderr: "srsr: lookup: missing NAME (see srsr lookup --help)\n" });
      const url = await nowhere();
      expect(await run(["lookup", name, "--server", url])).toEqual({ code: 3, stdout: "", stderr: unreachableLine(url) });
    }, TIMEOUT_MS);

    test("list: tables of services and of instances, the v1 JSON; 1 when refused, 2, 3", async () => {
      const name = uniqueName("list");
      const { id } = await registerOn(name, "10.0.0.6:80", server, { meta: { zone: "eu" }, ttl: 120 });
      const services = await run(["list"]);
      expect(services.code).toBe(0);
      expect(services.stdout).toStartWith("NAME");
      expect(services.stdout).toMatch(new RegExp(`^${name} +1$`, "m"));
      const instances = await run(["list", name]);
      expect(instances.code).toBe(0);
      expect(instances.stdout).toMatch(new RegExp(`^ID +ADDRESS +META +EXPIRES IN\n${id}  10\\.0\\.0\\.6:80 +zone=eu +(2m00|1m[0-5][0-9])s\n$`)); // a TTL of 120 s
      const json = await run(["list", name, "--json"]);
      expect(JSON.parse(json.stdout)).toMatchObject({ name, instances: [{ id, address: "10.0.0.6:80", meta: { zone: "eu" }, ttl: 120 }] });
      expect(JSON.parse((await run(["list", "--json"])).stdout).services).toContainEqual({ name, instances: 1 });

      const refused = await run(["list"], { SRSR_URL: guarded.url });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toStartWith(`srsr: GET ${guarded.url}/v1/services: 401 Unauthorized: `);
      expect(refused.stderr).toEndWith(" (give a token with --token-file or SRSR_TOKEN)\n");
      expect(refused.stderr.trim().split("\n")).toHaveLength(1);
      expect(await run(["list", "a", "b"])).toMatchObject({ code: 2, stderr: 'srsr: list: unexpected argument "b": list takes at most one NAME\n' });
      const url = await nowhere();
      expect(await run(["list"], { SRSR_URL: url })).toEqual({ code: 3, stdout: "", stderr: unreachableLine(url) });
    }, TIMEOUT_MS);

    test("deregister: 0 removes it; 1 when it is not there; 2; 3", async () => {
      const name = uniqueName("deregister");
      const { id } = await registerOn(name, "10.0.0.7:80");
      expect(await run(["deregister", id])).toEqual({ code: 0, stdout: "", stderr: "" });
      expect((await run(["lookup", name])).code).toBe(1);
      expect(await run(["deregister", id])).toEqual({
        code: 1,
        stdout: "",
        stderr: `srsr: no live instance ${id} (it expired, was deregistered, or never was)\n`,
      });
      expect(await run(["deregister"])).toMatchObject({ code: 2, stderr: "srsr: deregister: missing ID (see srsr deregister --help)\n" });
      const url = await nowhere();
      expect(await run(["deregister", id, "--server", url])).toEqual({ code: 3, stdout: "", stderr: unreachableLine(url) });
    }, TIMEOUT_MS);

    test("wait-for, already satisfied: answers at once with every live address", async () => {
      const name = uniqueName("ready");
      await registerOn(name, "10.0.0.8:80");
      await registerOn(name, "10.0.0.9:80");
      const { code, stdout, stderr } = await run(["wait-for", name, "--count", "2", "--timeout", "10m"]);
      // Two registered within one millisecond may be listed either way round.
      expect({ code, lines: stdout.split("\n").sort(), stderr }).toEqual({ code: 0, lines: ["", "10.0.0.8:80", "10.0.0.9:80"], stderr: "" });
    }, TIMEOUT_MS);

    test("wait-for, satisfied later: woken by the registration that satisfies it, long before its timeout", async () => {
      const name = uniqueName("later");
      await registerOn(name, "10.0.0.10:80");
      const waiting = cli.spawn(runtime, ["wait-for", name, "--count", "2", "--timeout", "10m"], { SRSR_URL: server.url });
      await eventually(async () => (await gauge(server, "srsr_open_long_polls")) >= 1, "wait-for holds a long-poll");
      await registerOn(name, "10.0.0.11:80");
      // The test's own budget is a fraction of the 10 minutes: only the change can have woken it.
      expect(await waiting.exited).toBe(0);
      expect({ stdout: waiting.stdout(), stderr: waiting.stderr() }).toEqual({ stdout: "10.0.0.10:80\n10.0.0.11:80\n", stderr: "" });
    }, TIMEOUT_MS);

    test("wait-for, timeout: exit 1 and the one line saying how many were live", async () => {
      const name = uniqueName("short");
      await registerOn(name, "10.0.0.12:80");
      expect(await run(["wait-for", name, "--count", "2", "--timeout", "300ms"])).toEqual({
        code: 1,
        stdout: "",
        stderr: `srsr: timed out after 300ms waiting for 2 instances of ${name} (1 live)\n`,
      });
      expect(await run(["wait-for", "nobody", "--timeout", "0.2"])).toMatchObject({
        code: 1,
        stderr: "srsr: timed out after 0.2 waiting for 1 instance of nobody (0 live)\n",
      });
    }, TIMEOUT_MS);

    test("wait-for: 3 when the registry could not be reached by the end; 2 for bad usage; 1 when refused", async () => {
      const url = await nowhere();
      expect(await run(["wait-for", "api", "--timeout", "300ms"], { SRSR_URL: url })).toEqual({
        code: 3,
        stdout: "",
        stderr: `${unreachableLine(url).trimEnd()}; waited 300ms for 1 instance of api\n`,
      });
      expect(await run(["wait-for", "api", "--count", "none"])).toMatchObject({ code: 2, stderr: 'srsr: wait-for: --count: invalid number "none": expected an integer from 1 to 10000\n' });
      const refused = await run(["wait-for", "api"], { SRSR_URL: guarded.url });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(" 401 Unauthorized: ");
    }, TIMEOUT_MS);

    test("wait-for keeps waiting through a restart of the registry, and answers from the restarted one", async () => {
      let own = await startServer(srsrCommand("bun"));
      const port = own.port;
      try {
        const waiting = cli.spawn(runtime, ["wait-for", "restarted", "--timeout", "10m", "--server", own.url]);
        await eventually(async () => (await gauge(own, "srsr_open_long_polls")) >= 1, "wait-for holds a long-poll");
        expect(await own.stop()).toBe(0);
        own = await startServer(srsrCommand("bun"), [], { port });
        await registerOn("restarted", "10.0.0.13:80", own);
        expect(await waiting.exited).toBe(0);
        expect({ stdout: waiting.stdout(), stderr: waiting.stderr() }).toEqual({ stdout: "10.0.0.13:80\n", stderr: "" });
      } finally {
        await own.stop();
      }
    }, TIMEOUT_MS);

    test("watch: the live instances, then a line per change; 0 on SIGINT and on SIGTERM; 1, 2, 3", async () => {
      const name = uniqueName("watched");
      const { id: before } = await registerOn(name, "10.0.0.14:80", server, { meta: { zone: "eu" } });
      for (const signal of ["SIGINT", "SIGTERM"] as const) {
        const watching = cli.spawn(runtime, ["watch", name], { SRSR_URL: server.url });
        await watching.waitFor(`live ${name} 10.0.0.14:80 ${before} zone=eu\n`, "stdout");
        const { id } = await registerOn(name, "10.0.0.15:80");
        await server.fetch(`${server.url}/v1/instances/${id}`, { method: "DELETE" });
        await watching.waitFor(`deregister ${name} 10.0.0.15:80 ${id}\n`, "stdout");
        watching.kill(signal);
        expect(await watching.exited).toBe(0);
        expect(watching.stdout()).toBe(`live ${name} 10.0.0.14:80 ${before} zone=eu\nregister ${name} 10.0.0.15:80 ${id}\nderegister ${name} 10.0.0.15:80 ${id}\n`);
        expect(watching.stderr()).toBe("");
      }
      const json = cli.spawn(runtime, ["watch", name, "--json"], { SRSR_URL: server.url });
      await json.waitFor("\n", "stdout");
      json.kill("SIGINT");
      expect(await json.exited).toBe(0);
      expect(JSON.parse(json.stdout())).toMatchObject({ type: "snapshot", instances: [{ id: before, name }] });

      expect(await run(["watch", "not ok"])).toMatchObject({ code: 2, stderr: 'srsr: watch: NAME "not ok": must not contain whitespace or control characters\n' });
      const refused = await run(["watch"], { SRSR_URL: guarded.url });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toStartWith(`srsr: GET ${guarded.url}/v1/events: 401 Unauthorized: `);
      const url = await nowhere();
      expect(await run(["watch"], { SRSR_URL: url })).toEqual({ code: 3, stdout: "", stderr: unreachableLine(url) });
    }, TIMEOUT_MS);

    test("watch resumes after the registry restarts: the change made meanwhile, nothing twice", async () => {
      const folder = await mkdtemp(join(scratch, "watch-"));
      const store = ["--store", `sqlite:${join(folder, "reg.db")}`];
      let own = await startServer(srsrCommand("bun"), store);
      const port = own.port;
      try {
        const watching = cli.spawn(runtime, ["watch", "resumed", "--server", own.url]);
        await eventually(async () => (await gauge(own, "srsr_open_event_streams")) >= 1, "watch is connected");
        const first = await registerOn("resumed", "10.0.0.16:80", own);
        await watching.waitFor(`register resumed 10.0.0.16:80 ${first.id}\n`, "stdout");
        expect(await own.stop()).toBe(0);
        await watching.waitFor("; reconnecting in ");
        own = await startServer(srsrCommand("bun"), store, { port });
        const missed = await registerOn("resumed", "10.0.0.17:80", own);
        await watching.waitFor(`register resumed 10.0.0.17:80 ${missed.id}\n`, "stdout");
        watching.kill("SIGTERM");
        expect(await watching.exited).toBe(0);
        expect(watching.stdout()).toBe(`register resumed 10.0.0.16:80 ${first.id}\nregister resumed 10.0.0.17:80 ${missed.id}\n`);
      } finally {
        await own.stop();
      }
    }, TIMEOUT_MS);

    test("help: srsr help COMMAND and srsr COMMAND --help print its usage, exit 0; srsr --help names the commands", async () => {
      const help = await run(["help", "wait-for"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toStartWith("Usage: srsr wait-for NAME ");
      expect(await run(["wait-for", "--help"])).toEqual(help);
      const top = await run(["--help"]);
      expect(top.code).toBe(0);
      expect(top.stdout).toContain("--store <spec>");
      expect(top.stdout).toContain("\n  wait-for ");
      expect(await run(["help", "nope"])).toMatchObject({ code: 2, stdout: "" });
      expect(await run(["nope"])).toMatchObject({ code: 2, stderr: 'srsr: unknown command "nope": expected one of serve, lookup, list, register, deregister, wait-for, watch (see --help)\n' });
    }, TIMEOUT_MS);

    test("--ca-file trusts a private CA for an https:// registry; without it exit 3 saying so; a bad file is 2", async () => {
      const name = uniqueName("tls");
      await registerOn(name, "10.0.0.18:443", https);
      expect(await run(["lookup", name, "--server", https.url, "--ca-file", certificates.caFile])).toEqual({ code: 0, stdout: "10.0.0.18:443\n", stderr: "" });
      expect(await run(["lookup", name], { SRSR_URL: https.url, SRSR_CA_FILE: certificates.caFile })).toMatchObject({ code: 0, stdout: "10.0.0.18:443\n" });
      expect(await run(["lookup", name, "--server", https.url])).toEqual({
        code: 3,
        stdout: "",
        stderr: `srsr: cannot reach the registry at ${https.url}: its TLS certificate is not trusted (give the CA that signed it with --ca-file)\n`,
      });
      const missing = join(scratch, "nosuch.pem");
      expect(await run(["lookup", name, "--server", https.url, "--ca-file", missing])).toEqual({
        code: 2,
        stdout: "",
        stderr: `srsr: --ca-file "${missing}": cannot read it: no such file\n`,
      });
      expect(await run(["lookup", name, "--server", https.url, "--ca-file", certificates.keyFile])).toMatchObject({
        code: 2,
        stderr: `srsr: --ca-file "${certificates.keyFile}": not a PEM certificate (no "-----BEGIN CERTIFICATE-----" block)\n`,
      });
    }, TIMEOUT_MS);

    test("a token from --token-file (its first line) or SRSR_TOKEN is sent; a file that cannot be used is 2", async () => {
      const name = uniqueName("guarded");
      await guarded.fetch(`${guarded.url}/v1/services/${name}/instances`, {
        method: "POST",
        headers: { authorization: "Bearer s3cret-token" },
        body: JSON.stringify({ address: "10.0.0.19:80" }),
      });
      const tokens = join(scratch, `tokens-${runtime}`);
      await writeFile(tokens, "# the registry's\ns3cret-token\nan-older-one\n");
      expect(await run(["lookup", name, "--token-file", tokens], { SRSR_URL: guarded.url })).toEqual({ code: 0, stdout: "10.0.0.19:80\n", stderr: "" });
      expect(await run(["lookup", name], { SRSR_URL: guarded.url, SRSR_TOKEN: "s3cret-token" })).toMatchObject({ code: 0, stdout: "10.0.0.19:80\n" });
      expect(await run(["lookup", name], { SRSR_URL: guarded.url, SRSR_TOKEN_FILE: tokens })).toMatchObject({ code: 0, stdout: "10.0.0.19:80\n" });
      expect((await run(["lookup", name], { SRSR_URL: guarded.url, SRSR_TOKEN: "wrong" })).code).toBe(1);
      const missing = join(scratch, "no-tokens");
      expect(await run(["lookup", name, "--token-file", missing], { SRSR_URL: guarded.url })).toEqual({
        code: 2,
        stdout: "",
        stderr: `srsr: --token-file ${missing}: cannot read it: no such file\n`,
      });
    }, TIMEOUT_MS);
  });
}

describe("srsr's subcommands on Deno", () => {
  test("--ca-file trusts the CA through Deno's HTTP client; wait-for and watch answer", async () => {
    const name = uniqueName("deno");
    await registerOn(name, "10.0.0.20:443", https);
    const env = { SRSR_URL: https.url, SRSR_CA_FILE: certificates.caFile };
    expect(await cli.run("deno", ["lookup", name], env)).toEqual({ code: 0, stdout: "10.0.0.20:443\n", stderr: "" });
    expect(await cli.run("deno", ["wait-for", name, "--timeout", "10s"], env)).toEqual({ code: 0, stdout: "10.0.0.20:443\n", stderr: "" });
    expect(await cli.run("deno", ["lookup", name], { SRSR_URL: https.url })).toMatchObject({ code: 3, stderr: `srsr: cannot reach the registry at ${https.url}: its TLS certificate is not trusted (give the CA that signed it with --ca-file)\n` });
    const watching = cli.spawn("deno", ["watch", name], env);
    await watching.waitFor(`live ${name} 10.0.0.20:443 `, "stdout");
    watching.kill("SIGINT");
    expect(await watching.exited).toBe(0);
  }, TIMEOUT_MS);
});
