/**
 * Black-box: `--tls-cert` and `--tls-key` on every way srsr runs — from source on Bun and on
 * Deno, and as the compiled binary alone in an empty folder — with a certificate `openssl`
 * makes for the test, signed by a throwaway CA that the clients trust (nothing skips
 * verification). Then the TypeScript client on Bun, Deno and Node trusting that CA, and every
 * kind of bad certificate or key file: one line and exit 1, on Bun and on Deno.
 *
 * @module
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { RegistryError, ServiceRegistryClient } from "../src/client.ts";
import { EVERY_RUNTIME, serversOnEveryRuntime } from "./support/binary.ts";
import { makeTestCertificates, openssl, type TestCertificates } from "./support/certificates.ts";
import { BUN, DENO, freePort, ROOT, runToExit, srsrCommand, startServer } from "./support/server.ts";
import { expectWireRoundTrip } from "./support/wire_protocol.ts";

const RUNTIMES = EVERY_RUNTIME;
// A budget for a busy machine, not a measurement.
const RUNTIME_TIMEOUT_MS = 60_000;

let certificates: TestCertificates;
beforeAll(async () => {
  certificates = await makeTestCertificates();
});
afterAll(async () => {
  await certificates?.remove();
});

const tlsFlags = () => ["--tls-cert", certificates.certFile, "--tls-key", certificates.keyFile];

describe("HTTPS with --tls-cert and --tls-key", () => {
  const serverOn = serversOnEveryRuntime({ args: tlsFlags, ca: () => certificates.ca });

  for (const runtime of RUNTIMES) {
    test(`on ${runtime}: the start-up line says https://, the legacy API and v1 answer over HTTPS, plain HTTP and an untrusted CA fail`, async () => {
      const server = serverOn(runtime);
      expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
      expect(server.stderr()).toContain(`srsr listening on https://127.0.0.1:${server.port} `);

      await expectWireRoundTrip(server, `wire-${runtime}`);
      const registered = await server.fetch(`${server.url}/v1/services/tls-${runtime}/instances`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ address: "10.0.0.9:8443" }),
      });
      expect(registered.status).toBe(201);
      expect(await registered.json()).toMatchObject({ name: `tls-${runtime}`, address: "10.0.0.9:8443" });

      // The same port without TLS: the server never answers in plain HTTP.
      const plain = `http://127.0.0.1:${server.port}/lookup`;
      await expect(fetch(plain, { method: "POST", body: JSON.stringify({ name: `wire-${runtime}` }) })).rejects.toThrow();
      // Without the test's CA the certificate is not trusted: verification is on.
      await expect(fetch(`${server.url}/v1/services/tls-${runtime}`)).rejects.toThrow();
      // And the server still serves after both.
      expect((await server.post("/lookup", { name: `tls-${runtime}` })).json).toEqual({ address: "10.0.0.9:8443", success: true });
    }, RUNTIME_TIMEOUT_MS);
  }

  for (const runtime of ["bun", "deno"] as const) {
    test(`on ${runtime}: one PEM file holding the key and then the certificate serves as --tls-cert and --tls-key`, async () => {
      const both = join(certificates.dir, `both-${runtime}.pem`);
      await writeFile(both, (await readFile(certificates.keyFile, "utf8")) + (await readFile(certificates.certFile, "utf8")));
      const server = await startServer(srsrCommand(runtime), ["--tls-cert", both, "--tls-key", both], { ca: certificates.ca });
      try {
        expect((await server.post("/lookup", { name: "nobody" })).json).toEqual({ address: "", success: false });
      } finally {
        await server.stop();
      }
    }, RUNTIME_TIMEOUT_MS);
  }

  describe("the TypeScript client, trusting the test's CA", () => {
    let scratch: string;
    beforeAll(async () => {
      scratch = await mkdtemp(join(tmpdir(), "srsr-tls-client-"));
    });
    afterAll(async () => {
      await rm(scratch, { recursive: true, force: true });
    });

    const uniqueName = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

    test("on Bun, through a fetch that passes Bun's tls.ca; without it, register() rejects", async () => {
      const { url } = serverOn("bun");
      const { ca } = certificates;
      const name = uniqueName("bun");
      const trusting = new ServiceRegistryClient({
        server: url,
        name,
        port: 7070,
        fetch: (input, init) => fetch(input, { ...init, tls: { ca } }),
        onError: () => {},
      });
      expect(await trusting.register()).toMatch(/^[0-9a-f-]{36}$/);
      expect(await trusting.lookup(name)).toBe("http://127.0.0.1:7070");
      await trusting.deregister();
      expect(await trusting.lookup(name)).toBeNull();

      const untrusting = new ServiceRegistryClient({ server: url, name, port: 7070, onError: () => {} });
      await expect(untrusting.register()).rejects.toThrow(RegistryError);
    });

    /** A script registering, looking up and deregistering `name` with the client at `clientUrl`. */
    const script = (clientUrl: string, clientOptions: string, name: string, setup = "", teardown = "") => `
import { ServiceRegistryClient } from ${JSON.stringify(clientUrl)};
${setup}
const registry = new ServiceRegistryClient({ name: ${JSON.stringify(name)}, port: 7070, ${clientOptions} });
await registry.register();
const found = await registry.lookup(${JSON.stringify(name)});
await registry.deregister();
const after = await registry.lookup(${JSON.stringify(name)});
${teardown}
console.log(JSON.stringify({ found, after }));
`;

    test("on Deno, through a fetch with a Deno.createHttpClient({ caCerts })", async () => {
      const name = uniqueName("deno");
      const file = join(scratch, "deno_tls.ts");
      await writeFile(file, script(
        pathToFileURL(join(ROOT, "src", "client.ts")).href,
        `server: ${JSON.stringify(serverOn("deno").url)}, fetch: (input, init) => fetch(input, { ...init, client })`,
        name,
        `const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(${JSON.stringify(certificates.caFile)})] });`,
        "client.close();",
      ));
      const { code, stdout, stderr } = await runToExit([DENO, "run", "--no-config", "--allow-net", `--allow-read=${certificates.caFile}`, file]);
      expect({ code, stderr: code === 0 ? "" : stderr }).toEqual({ code: 0, stderr: "" });
      expect(JSON.parse(stdout)).toEqual({ found: "http://127.0.0.1:7070", after: null });
    }, RUNTIME_TIMEOUT_MS);

    test("on Node, built to JavaScript, with NODE_EXTRA_CA_CERTS", async () => {
      const name = uniqueName("node");
      const built = await runToExit([
        BUN, "build", join(ROOT, "src", "client.ts"), "--target=node", "--format=esm", `--outfile=${join(scratch, "client.js")}`,
      ]);
      expect(built.code).toBe(0);
      const file = join(scratch, "node_tls.mjs");
      const server = RUNTIMES.includes("binary") ? serverOn("binary") : serverOn("bun");
      await writeFile(file, script("./client.js", `server: ${JSON.stringify(server.url)}`, name));
      const { code, stdout, stderr } = await runToExit(["node", file], { cwd: scratch, env: { NODE_EXTRA_CA_CERTS: certificates.caFile } });
      expect({ code, stderr: code === 0 ? "" : stderr }).toEqual({ code: 0, stderr: "" });
      expect(JSON.parse(stdout)).toEqual({ found: "http://127.0.0.1:7070", after: null });
    }, RUNTIME_TIMEOUT_MS);
  });
});

describe("a certificate or key srsr cannot use: one line naming the file, exit 1", () => {
  let bad: string;
  /** Paths of bad files, made in `bad`. */
  const file = (name: string) => join(bad, name);

  beforeAll(async () => {
    bad = await mkdtemp(join(tmpdir(), "srsr-bad-tls-"));
    const certificate = await readFile(certificates.certFile, "utf8");
    await writeFile(file("garbage.pem"), "this is not PEM\n");
    await writeFile(file("empty.key"), "");
    // Cut in the middle of its base64: a BEGIN line with no END.
    await writeFile(file("truncated.pem"), certificate.slice(0, certificate.length / 2));
    await mkdir(file("a-directory"));
    await openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "other.key"], bad);
    await openssl(["pkey", "-in", certificates.keyFile, "-aes256", "-passout", "pass:secret", "-out", "encrypted.key"], bad);
    // Well-formed and matching, but of a kind neither runtime's TLS library serves with.
    await openssl(["genpkey", "-genparam", "-algorithm", "DSA", "-pkeyopt", "dsa_paramgen_bits:1024", "-out", "dsa.params"], bad);
    await openssl(["req", "-x509", "-newkey", "dsa:dsa.params", "-nodes", "-subj", "/CN=localhost", "-days", "2", "-keyout", "dsa.key", "-out", "dsa.pem"], bad);
  });
  afterAll(async () => {
    await rm(bad, { recursive: true, force: true });
  });

  const cert = () => certificates.certFile;
  const key = () => certificates.keyFile;
  const CASES: [string, () => [string, string], (cert: string, key: string) => string][] = [
    ["a missing certificate", () => [file("nosuch.pem"), key()], (c) => `--tls-cert "${c}": cannot read it: no such file`],
    ["a missing key", () => [cert(), file("nosuch.key")], (_, k) => `--tls-key "${k}": cannot read it: no such file`],
    ["a directory as the certificate", () => [file("a-directory"), key()], (c) => `--tls-cert "${c}": cannot read it: is a directory, not a PEM file`],
    [
      "a certificate that is not PEM",
      () => [file("garbage.pem"), key()],
      (c) => `--tls-cert "${c}": not a PEM certificate (no complete "-----BEGIN CERTIFICATE-----" block)`,
    ],
    [
      "the key and the certificate swapped",
      () => [key(), cert()],
      (c) => `--tls-cert "${c}": not a PEM certificate (no complete "-----BEGIN CERTIFICATE-----" block)`,
    ],
    [
      "a truncated certificate",
      () => [file("truncated.pem"), key()],
      (c) => `--tls-cert "${c}": not a PEM certificate (no complete "-----BEGIN CERTIFICATE-----" block)`,
    ],
    [
      "an empty key",
      () => [cert(), file("empty.key")],
      (_, k) => `--tls-key "${k}": not a PEM private key (no complete "-----BEGIN PRIVATE KEY-----" block)`,
    ],
    [
      "the CA's certificate as the key",
      () => [cert(), certificates.caFile],
      (_, k) => `--tls-key "${k}": not a PEM private key (no complete "-----BEGIN PRIVATE KEY-----" block)`,
    ],
    [
      "an encrypted key",
      () => [cert(), file("encrypted.key")],
      (_, k) => `--tls-key "${k}": the key is encrypted; srsr needs it unencrypted (openssl pkey -in KEY -out PLAIN_KEY)`,
    ],
    [
      "a DSA certificate and key, which neither runtime serves with",
      () => [file("dsa.pem"), file("dsa.key")],
      (_, k) => `--tls-key "${k}": a key of type dsa; srsr serves HTTPS with an RSA, ECDSA (P-256, P-384 or P-521) or Ed25519 key`,
    ],
    [
      "a key that does not match the certificate",
      () => [cert(), file("other.key")],
      (c, k) => `--tls-key "${k}": this key does not belong to the certificate in --tls-cert "${c}"`,
    ],
  ];

  for (const runtime of ["bun", "deno"] as const) {
    test.each(CASES)(`on ${runtime}: %s`, async (_, files, expected) => {
      const [certFile, keyFile] = files();
      const { code, stdout, stderr } = await runToExit([
        ...srsrCommand(runtime), "--port", String(await freePort()), "--tls-cert", certFile, "--tls-key", keyFile,
      ]);
      expect({ code, stdout, stderr }).toEqual({ code: 1, stdout: "", stderr: `srsr: ${expected(certFile, keyFile)}\n` });
    }, RUNTIME_TIMEOUT_MS);
  }

  // Root reads any file whatever its mode, so only a user can see this one.
  test.skipIf(process.getuid?.() === 0)("on bun: a certificate srsr's user cannot read", async () => {
    const unreadable = file("unreadable.pem");
    await writeFile(unreadable, await readFile(certificates.certFile), { mode: 0o000 });
    const { code, stderr } = await runToExit([...srsrCommand("bun"), "--port", String(await freePort()), ...["--tls-cert", unreadable, "--tls-key", key()]]);
    expect({ code, stderr }).toEqual({ code: 1, stderr: `srsr: --tls-cert "${unreadable}": cannot read it: permission denied: srsr's user cannot read it\n` });
  });

  test("a bad certificate stops srsr before it opens the store: no SQLite file is left behind", async () => {
    const database = file("registry.db");
    const { code } = await runToExit([
      ...srsrCommand("bun"), "--port", String(await freePort()), "--store", `sqlite:${database}`, "--tls-cert", file("garbage.pem"), "--tls-key", key(),
    ]);
    expect(code).toBe(1);
    expect(await Bun.file(database).exists()).toBe(false);
  });
});
