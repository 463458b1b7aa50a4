/**
 * The compiled binary, as a user gets it: built for this machine by `scripts/build.ts`, copied
 * alone into an empty folder and run there, with nothing of the source tree beside it.
 * Only the host's target is built here; the other five are built by `npm run build` and their
 * formats checked (they cannot run here) when `dist/` holds them.
 *
 * @module
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binaryFormatOf } from "../scripts/binary_format.ts";
import { fileNameOf, TARGETS } from "../scripts/build.ts";
import { hostTarget, VERSION } from "../src/version.ts";
import { BUN, ROOT, type RunningServer, runToExit, startServer } from "./support/server.ts";
import { expectWireRoundTrip } from "./support/wire_protocol.ts";

const HOST = hostTarget();
const BUILD_SCRIPT = join(ROOT, "scripts", "build.ts");
// Compiling takes seconds, more on a busy machine; the budget is generous, not a measurement.
const BUILD_TIMEOUT_MS = 180_000;

const sha256 = async (path: string) =>
  new Bun.CryptoHasher("sha256").update(await readFile(path)).digest("hex");

describe.skipIf(!Object.hasOwn(TARGETS, HOST))(`the ${HOST} binary alone in an empty folder`, () => {
  let buildDir: string;
  let runDir: string;
  let binary: string;
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    buildDir = await mkdtemp(join(tmpdir(), "srsr-build-"));
    runDir = await mkdtemp(join(tmpdir(), "srsr-run-"));
    const build = await runToExit([BUN, BUILD_SCRIPT, "--target", HOST, "--outdir", buildDir]);
    if (build.code !== 0) throw new Error(`build failed (${build.code}): ${build.stderr}`);
    binary = join(runDir, fileNameOf(HOST));
    await copyFile(join(buildDir, fileNameOf(HOST)), binary);
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    for (const server of servers) server.process.kill("SIGKILL");
    await Promise.all(servers.map((server) => server.process.exited));
    await rm(buildDir, { recursive: true, force: true });
    await rm(runDir, { recursive: true, force: true });
  });

  const start = async (args: string[]) => {
    const server = await startServer([binary], args, { cwd: runDir });
    servers.push(server);
    return server;
  };

  test("the build writes SHA256SUMS that matches the binary", async () => {
    const sums = await readFile(join(buildDir, "SHA256SUMS"), "utf8");
    const binaryInBuild = join(buildDir, fileNameOf(HOST));
    expect(sums).toBe(`${await sha256(binaryInBuild)}  ${fileNameOf(HOST)}\n`);
  });

  test("the binary's header says it is for this OS and CPU", async () => {
    const format = await binaryFormatOf(binary);
    expect(format && `${format.os}-${format.arch}`).toBe(HOST);
  });

  test("--version names the package version, the commit and the target", async () => {
    expect(await readdir(runDir)).toEqual([fileNameOf(HOST)]);
    const { code, stdout } = await runToExit([binary, "--version"], { cwd: runDir });
    expect(code).toBe(0);
    const escaped = VERSION.replaceAll(".", "\\.");
    expect(stdout).toMatch(new RegExp(`^srsr ${escaped} \\((?:[0-9a-f]{7,}(?:-dirty)?|dev), ${HOST}\\)\\n$`));
  });

  test("--help prints the usage and exits 0", async () => {
    const { code, stdout } = await runToExit([binary, "--help"], { cwd: runDir });
    expect(code).toBe(0);
    expect(stdout).toContain("--store <spec>");
  });

  test("a bad flag prints one line and exits 2", async () => {
    const { code, stderr } = await runToExit([binary, "--port", "nope"], { cwd: runDir });
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toEqual([expect.stringContaining("--port")]);
  });

  test("ignores a .env file in the folder it is started in", async () => {
    // A compiled Bun program loads .env by default; the build turns that off so a registry
    // started inside some project does not take that project's settings.
    const folder = await mkdtemp(join(tmpdir(), "srsr-dotenv-"));
    try {
      await writeFile(join(folder, ".env"), "SRSR_PORT=not-a-port\n");
      const { code, stderr } = await runToExit([binary, "--store", "nope"], { cwd: folder });
      expect(code).toBe(2);
      expect(stderr).toContain("unknown store");
      expect(stderr).not.toContain("SRSR_PORT");
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  test("serves the legacy wire protocol with the memory store", async () => {
    const server = await start(["--store", "memory"]);
    await expectWireRoundTrip(server);

    const bad = await server.post("/register", { address: "http://10.0.0.5:8080" });
    expect(bad).toEqual({ status: 400, json: { error: expect.stringMatching(/^name: /) } });
    expect((await server.post("/nowhere", {})).status).toBe(404);
    expect(await server.stop()).toBe(0);
  });

  test(
    "keeps every registration in sqlite across kill -9, migrations embedded",
    async () => {
      const storeArgs = ["--store", "sqlite:./reg.db", "--timeout", "600"];
      const first = await start(storeArgs);
      expect(first.stderr()).toContain("store: sqlite:./reg.db");
      const registered = new Map<string, string>();
      for (let i = 0; i < 50; i++) {
        const address = `http://10.0.${i}.1:8080`;
        const { json } = await first.post("/register", { name: `svc-${i % 5}`, address });
        registered.set(json.id as string, address);
      }
      const [gone] = registered.keys();
      expect((await first.post("/deregister", { id: gone })).json).toEqual({ success: true });
      registered.delete(gone);
      first.process.kill("SIGKILL");
      expect(await first.process.exited).not.toBe(0);

      const second = await start(storeArgs);
      for (const id of registered.keys()) {
        expect((await second.post("/heartbeat", { id })).json).toEqual({ success: true });
      }
      expect((await second.post("/heartbeat", { id: gone })).json).toEqual({ success: false });
      for (let n = 0; n < 5; n++) {
        const { json } = await second.post("/lookup", { name: `svc-${n}` });
        expect(json.success).toBe(true);
        expect([...registered.values()]).toContain(json.address as string);
      }
      // The database is the only thing the binary leaves beside itself: no migrations folder.
      const files = await readdir(runDir);
      expect(files).toContain("reg.db");
      expect(files.filter((file) => !file.startsWith("reg.db"))).toEqual([fileNameOf(HOST)]);
      expect(await second.stop()).toBe(0);
    },
    60_000,
  );
});

// `npm run build` makes all six; the five this machine cannot run are checked by their headers.
// Each check runs only when dist/ holds that file, so `npm test` never builds them.
const DIST = join(ROOT, "dist");
describe("dist/ after npm run build", () => {
  for (const [target, { os, arch }] of Object.entries(TARGETS)) {
    const path = join(DIST, fileNameOf(target));
    test.skipIf(!existsSync(path))(`${fileNameOf(target)} is a ${os} ${arch} executable`, async () => {
      const format = await binaryFormatOf(path);
      expect(format && { os: format.os, arch: format.arch }).toEqual({ os, arch });
    });
  }

  test.skipIf(!existsSync(join(DIST, "SHA256SUMS")))("SHA256SUMS lists only files that are there", async () => {
    const lines = (await readFile(join(DIST, "SHA256SUMS"), "utf8")).trimEnd().split("\n");
    for (const line of lines) {
      const [, name] = /^[0-9a-f]{64} {2}(srsr-[\w.-]+)$/.exec(line) ?? [];
      expect(name).toBeDefined();
      expect(existsSync(join(DIST, name))).toBe(true);
    }
  });
});
