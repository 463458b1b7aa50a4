// The TypeScript client against a real srsr process on a free port (memory store, 1 s timeout).

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  RegistryError,
  type RetryInfo,
  ServiceRegistryClient,
  type ServiceRegistryClientOptions,
} from "../src/client.ts";
import { freePort, srsrCommand, startServer } from "./support/server.ts";

const ROOT = join(import.meta.dirname, "..");
const BIN = join(ROOT, "node_modules", ".bin");
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Srsr {
  url: string;
  port: number;
  post(path: string, body: unknown): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Starts `bun main.ts -t 1` on `port` (a free one by default) and waits until it answers. */
async function startSrsr(port?: number): Promise<Srsr> {
  const server = await startServer(srsrCommand("bun"), ["-t", "1"], { port });
  return {
    url: server.url,
    port: server.port,
    post: async (path, body) => (await server.post(path, body)).json,
    async stop() {
      if (server.process.exitCode === null) await server.stop();
    },
  };
}

/**
 * Polls `condition` until it holds. The deadline only bounds a failing test, and stays under
 * bun's 5 s test timeout (unless given) so a failure reads as this message rather than a timeout.
 */
async function waitFor(what: string, condition: () => boolean | Promise<boolean>, deadlineMs = 4_000) {
  const deadline = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A fetch that records the path of every request it sends, for tests that count them. */
function recordingFetch(): { fetch: typeof fetch; paths: string[] } {
  const paths: string[] = [];
  const recording = (input: string | URL | Request, init?: RequestInit) => {
    paths.push(new URL(input instanceof Request ? input.url : input).pathname);
    return fetch(input, init);
  };
  return { fetch: recording as typeof fetch, paths };
}

const uniqueName = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

let srsr: Srsr;
const clients: ServiceRegistryClient[] = [];
let failures: { error: RegistryError; info: RetryInfo }[] = [];

/** A client of the shared server with test-sized intervals, recording background failures. */
function newClient(options: Partial<ServiceRegistryClientOptions> = {}): ServiceRegistryClient {
  const client = new ServiceRegistryClient({
    server: srsr.url,
    name: uniqueName("billing"),
    heartbeatInterval: 200,
    backoff: { initial: 50, max: 400 },
    onError: (error, info) => failures.push({ error, info }),
    ...options,
  });
  clients.push(client);
  return client;
}

let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on("unhandledRejection", onUnhandled);
  srsr = await startSrsr();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  failures = [];
  unhandled = [];
});

afterAll(async () => {
  process.off("unhandledRejection", onUnhandled);
  await srsr.stop();
});

describe("ServiceRegistryClient", () => {
  test("register() returns an id and lookup() finds the address with its port", async () => {
    const client = newClient({ address: "http://10.0.0.5", port: 8080 });
    const id = await client.register();
    expect(id).toMatch(UUID);
    expect(client.id).toBe(id);
    expect(await client.lookup(client.name)).toBe("http://10.0.0.5:8080");
    expect(await client.register()).toBe(id); // already registered: same id, no duplicate
  });

  test("register() with only a port lets the registry deduce the host", async () => {
    const client = newClient({ port: 9090 });
    await client.register();
    expect(await client.lookup(client.name)).toBe("http://127.0.0.1:9090");
  });

  test("lookup() answers null for a name nobody registered", async () => {
    expect(await newClient().lookup(uniqueName("nobody"))).toBeNull();
  });

  test("heartbeats keep the service registered past the registry's timeout", async () => {
    const client = newClient({ address: "10.0.0.6:80" });
    const id = await client.register();
    // Registered after the client and never renewed: once it has expired, a full timeout has
    // passed since the client registered too, so only heartbeats can have kept the client.
    const control = uniqueName("control");
    expect((await srsr.post("/register", { name: control, address: "10.0.0.7:80" })).success).toBe(true);
    await waitFor("the control expires", async () => {
      expect(await client.lookup(client.name)).toBe("10.0.0.6:80");
      return (await client.lookup(control)) === null;
    }, 10_000);
    expect(await client.lookup(client.name)).toBe("10.0.0.6:80");
    expect(client.id).toBe(id);
    expect(failures).toEqual([]);
  }, 15_000);

  test("a heartbeat answered false re-registers at once with a new id", async () => {
    const client = newClient({ address: "10.0.0.8:80" });
    const first = await client.register();
    expect(await srsr.post("/deregister", { id: first })).toEqual({ success: true });
    await waitFor("the client re-registers", () => client.id !== undefined && client.id !== first);
    expect(client.id).toMatch(UUID);
    expect(await client.lookup(client.name)).toBe("10.0.0.8:80");
    expect(failures).toEqual([]);
  });

  test("backs off while the registry is down and re-registers after it restarts", async () => {
    const own = await startSrsr();
    try {
      const client = newClient({ server: own.url, address: "10.0.0.9:80" });
      const first = await client.register();
      await own.stop();
      await waitFor("three failed attempts", () => failures.length >= 3);
      const restarted = await startSrsr(own.port);
      try {
        await waitFor("the client re-registers", () => client.id !== undefined && client.id !== first);
        expect(await client.lookup(client.name)).toBe("10.0.0.9:80");
      } finally {
        await restarted.stop();
      }
      expect(failures[0].error).toBeInstanceOf(RegistryError);
      expect(failures[0].error.status).toBeUndefined();
      expect(failures[0].error.message).toContain(`POST ${own.url}/heartbeat`);
      // Equal jitter: the n-th wait lies in [base/2, base] for base = 50 * 2^n, capped at 400.
      const waits = failures.map(({ info }) => info.retryIn!);
      expect(waits[0]).toBeGreaterThanOrEqual(25);
      expect(waits[0]).toBeLessThanOrEqual(50);
      expect(waits[1]).toBeGreaterThanOrEqual(50);
      expect(waits[1]).toBeLessThanOrEqual(100);
      expect(waits[2]).toBeGreaterThanOrEqual(100);
      for (const wait of waits) expect(wait).toBeLessThanOrEqual(400);
      expect(unhandled).toEqual([]);
    } finally {
      await own.stop();
    }
  }, 15_000); // a bound for a failing run: bun kills every child process, the shared server too, on a timeout

  test("deregister() removes the service, stops the heartbeats, and is idempotent", async () => {
    const sent = recordingFetch();
    const client = newClient({ address: "10.0.0.10:80", fetch: sent.fetch });
    // The same loop left running: its heartbeats show how long a stopped loop has had to misbehave.
    const running = recordingFetch();
    await newClient({ address: "10.0.0.11:80", fetch: running.fetch }).register();
    await client.register();
    await client.deregister();
    expect(client.id).toBeUndefined();
    expect(await client.lookup(client.name)).toBeNull();
    await client.deregister();
    const sentBefore = sent.paths.length;
    const heartbeats = () => running.paths.filter((path) => path === "/heartbeat").length;
    const beatsBefore = heartbeats();
    await waitFor("the running client heartbeats three more times", () => heartbeats() >= beatsBefore + 3, 10_000);
    expect(sent.paths.slice(sentBefore)).toEqual([]);
    expect(await client.lookup(client.name)).toBeNull();
    expect(failures).toEqual([]);
  }, 15_000);

  test("deregister() and close() send nothing when never registered", async () => {
    const client = newClient({ server: `http://127.0.0.1:${await freePort()}` }); // nothing listens there
    await client.deregister();
    await client.close();
    expect(failures).toEqual([]);
  });

  test("a refused registration rejects with the status and the registry's error body", async () => {
    const client = newClient({ name: "has space" });
    const error = await client.register().catch((error: unknown) => error);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBe(400);
    expect(JSON.parse((error as RegistryError).body!)).toEqual({
      error: "name: must not contain whitespace or control characters",
    });
    expect((error as RegistryError).message).toContain(`POST ${srsr.url}/register: 400`);
    expect(client.id).toBeUndefined();
  });

  test("the server URL's path is kept, so a wrong prefix fails with 404", async () => {
    const client = newClient({ server: `${srsr.url}/srsr` });
    const error = (await client.lookup("billing").catch((error: unknown) => error)) as RegistryError;
    expect(error.status).toBe(404);
    expect(error.body).toContain("/srsr/lookup");
  });

  test("lookup() rejects when the registry cannot be reached, naming the URL", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const error = await newClient({ server: url }).lookup("billing").catch((error: unknown) => error);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBeUndefined();
    expect((error as RegistryError).message).toStartWith(`POST ${url}/lookup: `);
  });

  test("await using deregisters at the end of the block", async () => {
    const name = uniqueName("scoped");
    {
      await using client = newClient({ name, address: "10.0.0.11:80" });
      await client.register();
      expect(await client.lookup(name)).toBe("10.0.0.11:80");
    }
    expect(await newClient().lookup(name)).toBeNull();
  });

  test("aborting the signal stops the heartbeats and deregisters", async () => {
    const stop = new AbortController();
    const client = newClient({ address: "10.0.0.12:80", signal: stop.signal });
    await client.register();
    stop.abort();
    await waitFor("the service is gone", async () => (await client.lookup(client.name)) === null);
    expect(client.id).toBeUndefined();
    const error = await client.register().catch((error: unknown) => error);
    expect((error as Error).message).toContain("signal is already aborted");
  });

  test("the constructor names the bad option", () => {
    const server = "http://127.0.0.1:4214";
    const cases: [Partial<ServiceRegistryClientOptions>, string][] = [
      [{ server: "nope" }, "server: "],
      [{ server: "ftp://127.0.0.1" }, "server: "],
      [{ name: "" }, "name: "],
      [{ port: 70000 }, "port: "],
      [{ heartbeatInterval: 0 }, "heartbeatInterval: "],
      [{ backoff: { initial: 100, max: 50 } }, "backoff.max: "],
      [{ requestTimeout: Number.NaN }, "requestTimeout: "],
    ];
    for (const [options, prefix] of cases) {
      expect(() => new ServiceRegistryClient({ server, name: "billing", ...options })).toThrow(prefix);
    }
  });
});

// One script for both runtimes: plain JavaScript, since Node 20 has neither TypeScript nor `await using`.
// It waits for two answered heartbeats, not for a time that should allow them; the test's kill
// after 30 s bounds a run where they never come.
const smokeScript = (clientModule: string, server: string, name: string) => `
import { ServiceRegistryClient } from ${JSON.stringify(clientModule)};
let heartbeats = 0;
const counting = (input, init) => fetch(input, init).then((response) => {
  if (String(input).endsWith("/heartbeat") && response.ok) heartbeats++;
  return response;
});
const client = new ServiceRegistryClient({ server: ${JSON.stringify(server)}, name: ${JSON.stringify(name)},
  port: 7070, heartbeatInterval: 100, fetch: counting, onError: (error) => console.log(JSON.stringify({ error: error.message })) });
await client.register();
while (heartbeats < 2) await new Promise((resolve) => setTimeout(resolve, 10));
const found = await client.lookup(${JSON.stringify(name)});
await client.close();
console.log(JSON.stringify({ found, after: await client.lookup(${JSON.stringify(name)}) }));
`;

/** Runs `command`, which must exit by itself (a leaked timer would keep it alive). */
function run(command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: tmpdir(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("the client on other runtimes", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "srsr-client-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("runs on Deno", async () => {
    const name = uniqueName("deno");
    const script = join(dir, "deno_smoke.ts");
    await writeFile(script, smokeScript(pathToFileURL(join(ROOT, "src", "client.ts")).href, srsr.url, name));
    const { code, stdout, stderr } = await run(join(BIN, "deno"), ["run", "--no-config", "--allow-net", script]);
    expect({ code, stderr: code === 0 ? "" : stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(stdout)).toEqual({ found: "http://127.0.0.1:7070", after: null });
  }, 60_000);

  test("runs on Node, built to JavaScript", async () => {
    const name = uniqueName("node");
    const built = await run(join(BIN, "bun"), [
      "build", join(ROOT, "src", "client.ts"), "--target=node", "--format=esm", `--outfile=${join(dir, "client.js")}`,
    ]);
    expect(built.code).toBe(0);
    // It takes its wire types from the zod schemas, but only as types: nothing of zod may ship.
    expect(await readFile(join(dir, "client.js"), "utf8")).not.toMatch(/zod/i);
    const script = join(dir, "node_smoke.mjs");
    await writeFile(script, smokeScript("./client.js", srsr.url, name));
    const { code, stdout, stderr } = await run("node", [script]);
    expect({ code, stderr: code === 0 ? "" : stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(stdout)).toEqual({ found: "http://127.0.0.1:7070", after: null });
  }, 60_000);
});
