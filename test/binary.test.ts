/**
 * The compiled binary, as a user gets it: built by `scripts/build.ts`, copied alone into an empty
 * folder and run there, with nothing of the source tree beside it. The host's binary always; the
 * linux-arm64 one as well, under qemu-user, when SRSR_TEST_EMULATE names it (`npm test --
 * --emulate linux-arm64`; CI does), and then a machine without qemu fails these tests saying
 * what to install. The build of all six targets is tested in build.test.ts.
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
import { freshDatabase, TEST_POSTGRES } from "./postgres_suites.ts";
import { eventually } from "./support/eventually.ts";
import { twoNodeScenario } from "./support/postgres_nodes.ts";
import { BUN, ROOT, type RunningServer, runToExit, startServer } from "./support/server.ts";
import { expectWireRoundTrip } from "./support/wire_protocol.ts";

const HOST = hostTarget();
const BUILD_SCRIPT = join(ROOT, "scripts", "build.ts");
// Compiling takes seconds, more on a busy machine, and a cross-compile's first run downloads
// that target's Bun runtime; the budget is generous, not a measurement.
const BUILD_TIMEOUT_MS = 180_000;

/** How a target's binary is run here. */
interface HowToRun {
  /** The command that runs `binary`, before its arguments. */
  command(binary: string): string[];
  /** What to install when this machine cannot run it, or `undefined` when it can. */
  missing(): string | undefined;
  /** Budgets for a busy machine (and an emulated CPU), not measurements. */
  startDeadlineMs: number;
  testTimeoutMs: number;
}

const NATIVE: HowToRun = { command: (binary) => [binary], missing: () => undefined, startDeadlineMs: 15_000, testTimeoutMs: 60_000 };

/** Debian's qemu-user runs an arm64 Linux binary on an x86-64 one, given arm64's C library. */
const QEMU_ARM64 = { qemu: "qemu-aarch64-static", sysroot: "/usr/aarch64-linux-gnu", packages: "qemu-user-static libc6-arm64-cross" };
const EMULATED: Record<string, HowToRun> = {
  "linux-arm64": {
    command: (binary) => [QEMU_ARM64.qemu, "-L", QEMU_ARM64.sysroot, binary],
    missing: () =>
      Bun.which(QEMU_ARM64.qemu) && existsSync(join(QEMU_ARM64.sysroot, "lib", "ld-linux-aarch64.so.1"))
        ? undefined
        : `the linux-arm64 binary runs here under qemu-user: install ${QEMU_ARM64.packages} (sudo apt-get install ${QEMU_ARM64.packages})`,
    // An emulated CPU starts the binary in about a second when idle; the rest is for a busy machine.
    startDeadlineMs: 120_000,
    testTimeoutMs: 240_000,
  },
};

const EMULATE = (process.env.SRSR_TEST_EMULATE ?? "").split(",").map((target) => target.trim()).filter(Boolean);

const sha256 = async (path: string) =>
  new Bun.CryptoHasher("sha256").update(await readFile(path)).digest("hex");

/** The tests of `target`'s binary, run as `run` says. */
function testBinary(target: string, run: HowToRun): void {
  let buildDir: string;
  let runDir: string;
  let binary: string;
  const servers: RunningServer[] = [];
  const fileName = fileNameOf(target);
  const exec = (args: string[], cwd: string) => runToExit([...run.command(binary), ...args], { cwd });

  beforeAll(async () => {
    const missing = run.missing();
    if (missing) throw new Error(missing);
    buildDir = await mkdtemp(join(tmpdir(), "srsr-build-"));
    runDir = await mkdtemp(join(tmpdir(), "srsr-run-"));
    const build = await runToExit([BUN, BUILD_SCRIPT, "--target", target, "--outdir", buildDir, "--no-archives"]);
    if (build.code !== 0) throw new Error(`build failed (${build.code}): ${build.stderr}`);
    binary = join(runDir, fileName);
    await copyFile(join(buildDir, fileName), binary);
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    for (const server of servers) server.process.kill("SIGKILL");
    await Promise.all(servers.map((server) => server.process.exited));
    if (buildDir) await rm(buildDir, { recursive: true, force: true });
    if (runDir) await rm(runDir, { recursive: true, force: true });
  });

  const start = async (args: string[]) => {
    const server = await startServer(run.command(binary), args, { cwd: runDir, startDeadlineMs: run.startDeadlineMs });
    servers.push(server);
    return server;
  };

  test("the build writes SHA256SUMS that matches the binary", async () => {
    const sums = await readFile(join(buildDir, "SHA256SUMS"), "utf8");
    expect(sums).toBe(`${await sha256(join(buildDir, fileName))}  ${fileName}\n`);
  });

  test(`the binary's header says it is for ${target}`, async () => {
    const format = await binaryFormatOf(binary);
    expect(format && `${format.os}-${format.arch}`).toBe(target);
  });

  test("--version names the package version, the commit and the target", async () => {
    expect(await readdir(runDir)).toEqual([fileName]);
    const { code, stdout } = await exec(["--version"], runDir);
    expect(code).toBe(0);
    const escaped = VERSION.replaceAll(".", "\\.");
    expect(stdout).toMatch(new RegExp(`^srsr ${escaped} \\((?:[0-9a-f]{7,}(?:-dirty)?|dev), ${target}\\)\\n$`));
  }, run.testTimeoutMs);

  test("--help prints the usage and exits 0", async () => {
    const { code, stdout } = await exec(["--help"], runDir);
    expect(code).toBe(0);
    expect(stdout).toContain("--store <spec>");
  }, run.testTimeoutMs);

  test("a bad flag prints one line and exits 2", async () => {
    const { code, stderr } = await exec(["--port", "nope"], runDir);
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toEqual([expect.stringContaining("--port")]);
  }, run.testTimeoutMs);

  test("ignores a .env file in the folder it is started in", async () => {
    // A compiled Bun program loads .env by default; the build turns that off so a registry
    // started inside some project does not take that project's settings.
    const folder = await mkdtemp(join(tmpdir(), "srsr-dotenv-"));
    try {
      await writeFile(join(folder, ".env"), "SRSR_PORT=not-a-port\n");
      const { code, stderr } = await exec(["--store", "nope"], folder);
      expect(code).toBe(2);
      expect(stderr).toContain("unknown store");
      expect(stderr).not.toContain("SRSR_PORT");
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, run.testTimeoutMs);

  test("serves the legacy wire protocol with the memory store", async () => {
    const server = await start(["--store", "memory"]);
    await expectWireRoundTrip(server);

    const bad = await server.post("/register", { address: "http://10.0.0.5:8080" });
    expect(bad).toEqual({ status: 400, json: { error: expect.stringMatching(/^name: /) } });
    expect((await server.post("/nowhere", {})).status).toBe(404);
    expect(await server.stop()).toBe(0);
  }, run.testTimeoutMs);

  test(
    "keeps every registration in sqlite across kill -9, migrations embedded",
    async () => {
      const storeArgs = ["--store", "sqlite:./reg.db", "--timeout", "600"];
      const first = await start(storeArgs);
      // stderr arrives through its own pipe, possibly after the first answer.
      await eventually(() => first.stderr().includes("store: sqlite:./reg.db"), "the start-up line names the store");
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
      expect(files.filter((file) => !file.startsWith("reg.db"))).toEqual([fileName]);
      expect(await second.stop()).toBe(0);
    },
    run.testTimeoutMs,
  );

  // postgres.js inside the compiled binary: sockets, LISTEN, migrations embedded.
  test.skipIf(TEST_POSTGRES === undefined || run !== NATIVE)(
    "two binaries serve one PostgreSQL database: the two-node scenario (needs SRSR_TEST_POSTGRES)",
    async () => {
      const url = await freshDatabase("srsr_nodes_binary");
      const storeArgs = ["--store", url, "-t", "1", "--log-level", "warn"];
      const [a, b] = await Promise.all([start(storeArgs), start(storeArgs)]);
      await twoNodeScenario(a, b, url);
    },
    run.testTimeoutMs,
  );
}

describe.skipIf(!Object.hasOwn(TARGETS, HOST))(`the ${HOST} binary alone in an empty folder`, () => testBinary(HOST, NATIVE));

for (const target of EMULATE.filter((target) => target !== HOST && Object.hasOwn(EMULATED, target))) {
  describe(`the ${target} binary alone in an empty folder, under emulation`, () => testBinary(target, EMULATED[target]));
}

const unknown = EMULATE.filter((target) => target !== HOST && !Object.hasOwn(EMULATED, target));
if (unknown.length > 0) {
  test("SRSR_TEST_EMULATE names only targets this machine can emulate", () => {
    throw new Error(`SRSR_TEST_EMULATE: cannot emulate ${unknown.join(", ")}; expected ${Object.keys(EMULATED).join(" or ")}`);
  });
}
