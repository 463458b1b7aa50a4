/**
 * scripts/build.ts as a release runs it: all six targets cross-compiled, each checked by its
 * executable header (five cannot run here; binary.test.ts runs the host's), SHA256SUMS vouching
 * for exactly what is in the folder, archives beside the binaries, and nothing left over from
 * an earlier build. The first run on a machine downloads five Bun runtimes (~30 MB each) from
 * the npm registry, as `npm run build` does; they are cached afterwards.
 *
 * @module
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { archiveNameOf } from "../scripts/archive.ts";
import { binaryFormatOf } from "../scripts/binary_format.ts";
import { fileNameOf, TARGETS } from "../scripts/build.ts";
import { archiveContents } from "./support/archive_contents.ts";
import { BUN, ROOT, runToExit } from "./support/server.ts";

const BUILD_SCRIPT = join(ROOT, "scripts", "build.ts");
// A budget for a busy machine and a first run's downloads, not a measurement (~10 s when cached).
const BUILD_TIMEOUT_MS = 600_000;

const build = (args: string[], env: Record<string, string> = {}) => runToExit([BUN, BUILD_SCRIPT, ...args], { env });
const sha256 = async (path: string) => new Bun.CryptoHasher("sha256").update(await readFile(path)).digest("hex");

/** Each SHA256SUMS line as `sha256sum -c` reads it: file name -> hash. */
async function readSums(folder: string): Promise<Map<string, string>> {
  const lines = (await readFile(join(folder, "SHA256SUMS"), "utf8")).trimEnd().split("\n");
  return new Map(
    lines.map((line) => {
      const [, hash, name] = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line) ?? [];
      if (!name) throw new Error(`not a sha256sum line: ${JSON.stringify(line)}`);
      return [name, hash];
    }),
  );
}

/** Every file listed in `folder`'s SHA256SUMS has that hash. */
async function expectSumsMatch(folder: string, sums: Map<string, string>): Promise<void> {
  for (const [name, hash] of sums) expect({ name, hash: await sha256(join(folder, name)) }).toEqual({ name, hash });
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "srsr-build-test-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("a build of all six targets, without archives", () => {
  let outdir: string;
  beforeAll(async () => {
    outdir = join(scratch, "six");
    await mkdir(outdir);
    // Left by an earlier build that made archives: this one makes none, so it must go.
    await writeFile(join(outdir, archiveNameOf(fileNameOf("linux-amd64"))), "stale");
    const { code, stderr } = await build(["--outdir", outdir, "--no-archives"]);
    if (code !== 0) throw new Error(`build failed (${code}): ${stderr}`);
  }, BUILD_TIMEOUT_MS);

  for (const [target, { os, arch }] of Object.entries(TARGETS)) {
    test(`${fileNameOf(target)} is a ${os} ${arch} executable`, async () => {
      const format = await binaryFormatOf(join(outdir, fileNameOf(target)));
      expect(format && { os: format.os, arch: format.arch }).toEqual({ os, arch });
    });
  }

  test("the folder holds the six and a SHA256SUMS that lists each with its hash", async () => {
    const binaries = Object.keys(TARGETS).map(fileNameOf);
    expect((await readdir(outdir)).sort()).toEqual(["SHA256SUMS", ...binaries].sort());
    const sums = await readSums(outdir);
    expect([...sums.keys()]).toEqual(binaries);
    await expectSumsMatch(outdir, sums);
  });
});

describe("a build of some targets into a folder an earlier build used", () => {
  const targets = ["linux-arm64", "windows-amd64"];
  const made = targets.flatMap((target) => [fileNameOf(target), archiveNameOf(fileNameOf(target))]);
  let outdir: string;
  let stderr: string;
  beforeAll(async () => {
    outdir = join(scratch, "some");
    await mkdir(outdir);
    const earlier = ["srsr-darwin-amd64", "srsr-darwin-amd64.tar.xz", "srsr-windows-arm64.exe", "srsr-windows-arm64.zip", "SHA256SUMS"];
    for (const name of [...earlier, "notes.txt"]) await writeFile(join(outdir, name), "from before");
    const result = await build([...targets.flatMap((target) => ["--target", target]), "--outdir", outdir, "--xz-level", "0"]);
    if (result.code !== 0) throw new Error(`build failed (${result.code}): ${result.stderr}`);
    stderr = result.stderr;
  }, BUILD_TIMEOUT_MS);

  test("leaves its own binaries, their archives and SHA256SUMS, and files a build never makes", async () => {
    expect((await readdir(outdir)).sort()).toEqual(["SHA256SUMS", "notes.txt", ...made].sort());
    expect(await readFile(join(outdir, "notes.txt"), "utf8")).toBe("from before");
    expect(stderr).toContain("removed the earlier build's SHA256SUMS, srsr-darwin-amd64, srsr-darwin-amd64.tar.xz");
  });

  test("SHA256SUMS lists each binary and each archive with its hash", async () => {
    const sums = await readSums(outdir);
    expect([...sums.keys()]).toEqual(made);
    await expectSumsMatch(outdir, sums);
  });

  test("each archive holds its binary alone, executable, byte for byte: .tar.xz for Linux, .zip for Windows", async () => {
    expect(made).toEqual(["srsr-linux-arm64", "srsr-linux-arm64.tar.xz", "srsr-windows-amd64.exe", "srsr-windows-amd64.zip"]);
    for (const target of targets) {
      const binary = fileNameOf(target);
      const contents = await archiveContents(join(outdir, archiveNameOf(binary)));
      expect(contents.map(({ name, mode, sha256 }) => ({ name, mode, sha256 }))).toEqual([
        { name: binary, mode: 0o755, sha256: await sha256(join(outdir, binary)) },
      ]);
    }
  }, 60_000);
});

describe("scripts/build.ts refuses", () => {
  test("to start without xz when it would make a .tar.xz, saying what to install", async () => {
    const outdir = join(scratch, "no-xz");
    const emptyPath = await mkdtemp(join(scratch, "path-"));
    const { code, stderr } = await build(["--target", "linux-amd64", "--outdir", outdir], { PATH: emptyPath });
    expect(code).toBe(1);
    expect(stderr).toContain("xz not found");
    expect(stderr).toContain("sudo apt-get install xz-utils");
    expect(stderr).toContain("--no-archives");
    // It stopped before compiling: no binary was written.
    expect(await readdir(outdir).catch(() => [])).toEqual([]);
  });

  const badUsages: [string[], string][] = [
    [["--target", "plan9-amd64"], "--target"],
    [["--xz-level", "10"], "--xz-level"],
    [["--no-such-flag"], "--no-such-flag"],
  ];
  for (const [args, flag] of badUsages) {
    test(`${args.join(" ")}: one line naming ${flag}, exit 2`, async () => {
      const { code, stderr } = await build([...args, "--outdir", join(scratch, "unused")]);
      expect(code).toBe(2);
      expect(stderr.trim().split("\n")).toEqual([expect.stringContaining(flag)]);
    });
  }
});
