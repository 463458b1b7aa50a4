import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { archive, archiveNameOf } from "../scripts/archive.ts";
import { archiveContents } from "./support/archive_contents.ts";
import { runToExit } from "./support/server.ts";

const sha256 = (data: Uint8Array) => new Bun.CryptoHasher("sha256").update(data).digest("hex");

/** Bytes that compress a little, like a binary: text with counters in it. */
function fakeBinary(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7919) % 251 ^ (i >> 9);
  return bytes;
}

describe("archive()", () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), "srsr-archive-"));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  test("archiveNameOf() names a .tar.xz for Linux and macOS, a .zip without .exe for Windows", () => {
    expect(archiveNameOf("srsr-linux-amd64")).toBe("srsr-linux-amd64.tar.xz");
    expect(archiveNameOf("srsr-darwin-arm64")).toBe("srsr-darwin-arm64.tar.xz");
    expect(archiveNameOf("srsr-windows-arm64.exe")).toBe("srsr-windows-arm64.zip");
  });

  // 0 and 512 need no padding in a tar; the others end part-way through a 512-byte block.
  for (const size of [0, 1, 512, 100_003]) {
    test(`a .tar.xz holds the ${size}-byte file alone, executable, byte for byte`, async () => {
      const data = fakeBinary(size);
      const binary = join(folder, "srsr-linux-arm64");
      await writeFile(binary, data);
      const archived = await archive(binary, { xzLevel: 0 });
      expect(archived).toBe(join(folder, "srsr-linux-arm64.tar.xz"));
      expect(await archiveContents(archived)).toEqual([{ name: "srsr-linux-arm64", mode: 0o755, size, sha256: sha256(data) }]);
    });
  }

  test("tar -xJf, as a user runs it, extracts the file with its executable bit", async () => {
    const data = fakeBinary(70_001);
    const binary = join(folder, "srsr-darwin-amd64");
    await writeFile(binary, data);
    const archived = await archive(binary, { xzLevel: 0 });
    const into = await mkdtemp(join(folder, "extract-"));
    const { code, stderr } = await runToExit(["tar", "-xJf", archived, "-C", into]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const extracted = join(into, "srsr-darwin-amd64");
    expect(sha256(await readFile(extracted))).toBe(sha256(data));
    expect((await stat(extracted)).mode & 0o777).toBe(0o755);
  });

  test("a .zip holds the .exe alone, deflated and byte for byte, with its Unix mode", async () => {
    const data = fakeBinary(300_007);
    const binary = join(folder, "srsr-windows-amd64.exe");
    await writeFile(binary, data);
    const archived = await archive(binary);
    expect(archived).toBe(join(folder, "srsr-windows-amd64.zip"));
    expect(await archiveContents(archived)).toEqual([{ name: "srsr-windows-amd64.exe", mode: 0o755, size: data.length, sha256: sha256(data) }]);
    expect((await stat(archived)).size).toBeLessThan(data.length);
  });
});
