/**
 * Packs one release binary into the archive its platform opens with what it already has: a
 * `.tar.xz` for Linux and macOS (`tar -xJf`, or a double click; it keeps the executable bit), a
 * `.zip` for Windows (Explorer opens it). The layout Node.js's own downloads use.
 *
 * The tar (one file, so one header) and the zip (one deflated entry) are written here; xz
 * compression is the `xz` program (xz-utils, on Debian, Ubuntu and GitHub's runners), the
 * reference implementation and multi-threaded, which no npm package matched without a native
 * build or a newer Node.js.
 *
 * @module
 */

import { closeSync, openSync } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { deflateRawSync } from "node:zlib";

export interface ArchiveOptions {
  /** xz's preset, 0 (fastest) to 9; 6 is xz's default and takes ~35 s of CPU per binary. @default 6 */
  xzLevel?: number;
  /** The time recorded for the file in the archive. @default now */
  mtime?: Date;
}

/** `srsr-linux-amd64` -> `srsr-linux-amd64.tar.xz`; `srsr-windows-amd64.exe` -> `srsr-windows-amd64.zip`. */
export function archiveNameOf(binaryName: string): string {
  return binaryName.endsWith(".exe") ? `${binaryName.slice(0, -".exe".length)}.zip` : `${binaryName}.tar.xz`;
}

/** What to do when `xz` is missing, or `undefined` when it is there. */
export function missingXz(): string | undefined {
  if (Bun.which("xz")) return undefined;
  return "xz not found; the .tar.xz archives need it: install xz-utils (Debian, Ubuntu: sudo apt-get install xz-utils; macOS: brew install xz), or build with --no-archives";
}

/** The file's mode in every archive: an executable anyone may run. */
const MODE = 0o755;

/**
 * Writes the archive of the binary at `binaryPath` beside it (named by {@link archiveNameOf})
 * and returns the archive's path. The archive holds that one file under its own name.
 */
export async function archive(binaryPath: string, { xzLevel = 6, mtime = new Date() }: ArchiveOptions = {}): Promise<string> {
  const name = basename(binaryPath);
  const archivePath = join(dirname(binaryPath), archiveNameOf(name));
  const data = await readFile(binaryPath);
  if (name.endsWith(".exe")) await writeFile(archivePath, zip(name, data, mtime));
  else await xz(tar(name, data, mtime), archivePath, xzLevel);
  if ((await stat(archivePath)).size === 0) throw new Error(`${archivePath} is empty`);
  return archivePath;
}

const BLOCK = 512;

/** A POSIX ustar archive of one regular file: header, data padded to a block, two empty blocks. */
function tar(name: string, data: Uint8Array<ArrayBuffer>, mtime: Date): Blob {
  if (name.length > 100) throw new Error(`${name}: longer than a tar header's 100 characters`);
  if (data.length >= 8 * 2 ** 30) throw new Error(`${name}: 8 GiB or more does not fit a tar header`);
  const header = new Uint8Array(BLOCK);
  const put = (offset: number, text: string) => header.set(new TextEncoder().encode(text), offset);
  const octal = (offset: number, width: number, value: number) => put(offset, `${value.toString(8).padStart(width - 1, "0")}\0`);
  put(0, name);
  octal(100, 8, MODE);
  octal(108, 8, 0); // uid: root, as `tar --owner=0` would
  octal(116, 8, 0); // gid
  octal(124, 12, data.length);
  octal(136, 12, Math.floor(mtime.getTime() / 1000));
  put(148, " ".repeat(8)); // the checksum is summed with its own field as spaces
  put(156, "0"); // a regular file
  put(257, "ustar\u000000");
  put(265, "root");
  put(297, "root");
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  put(148, `${checksum.toString(8).padStart(6, "0")}\0 `);
  const padding = (BLOCK - (data.length % BLOCK)) % BLOCK;
  return new Blob([header, data, new Uint8Array(padding + 2 * BLOCK)]);
}

/** Compresses `input` into the file at `path` with `xz -T0 -<level>`. */
async function xz(input: Blob, path: string, level: number): Promise<void> {
  const missing = missingXz();
  if (missing) throw new Error(missing);
  const output = openSync(path, "w");
  try {
    const child = Bun.spawn(["xz", "--threads=0", `-${level}`, "--stdout"], { stdin: input, stdout: output, stderr: "pipe" });
    const [stderr, code] = await Promise.all([new Response(child.stderr).text(), child.exited]);
    if (code !== 0) throw new Error(`xz exited with ${code} writing ${path}: ${stderr.trim()}`);
  } finally {
    closeSync(output);
  }
}

/** A zip of one deflated file, with its Unix mode kept for `unzip` on Linux or macOS. */
function zip(name: string, data: Uint8Array, mtime: Date): Uint8Array {
  const compressed = deflateRawSync(data);
  if (data.length >= 2 ** 32 || compressed.length >= 2 ** 32) throw new Error(`${name}: 4 GiB or more needs ZIP64`);
  const nameBytes = new TextEncoder().encode(name);
  const crc = Bun.hash.crc32(data);
  const time = (mtime.getHours() << 11) | (mtime.getMinutes() << 5) | (mtime.getSeconds() >> 1);
  const date = ((mtime.getFullYear() - 1980) << 9) | ((mtime.getMonth() + 1) << 5) | mtime.getDate();
  const VERSION_NEEDED = 20; // 2.0: deflate
  const MADE_ON_UNIX = (3 << 8) | VERSION_NEEDED;

  const local = new DataView(new ArrayBuffer(30));
  local.setUint32(0, 0x04034b50, true);
  local.setUint16(4, VERSION_NEEDED, true);
  local.setUint16(8, 8, true); // method: deflate
  local.setUint16(10, time, true);
  local.setUint16(12, date, true);
  local.setUint32(14, crc, true);
  local.setUint32(18, compressed.length, true);
  local.setUint32(22, data.length, true);
  local.setUint16(26, nameBytes.length, true);

  const central = new DataView(new ArrayBuffer(46));
  central.setUint32(0, 0x02014b50, true);
  central.setUint16(4, MADE_ON_UNIX, true);
  central.setUint16(6, VERSION_NEEDED, true);
  central.setUint16(10, 8, true);
  central.setUint16(12, time, true);
  central.setUint16(14, date, true);
  central.setUint32(16, crc, true);
  central.setUint32(20, compressed.length, true);
  central.setUint32(24, data.length, true);
  central.setUint16(28, nameBytes.length, true);
  central.setUint32(38, ((0o100000 | MODE) << 16) >>> 0, true); // a regular file, rwxr-xr-x
  // The entry's local header is at offset 0.

  const centralOffset = 30 + nameBytes.length + compressed.length;
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, 1, true); // entries on this disk
  end.setUint16(10, 1, true); // entries in all
  end.setUint32(12, 46 + nameBytes.length, true);
  end.setUint32(16, centralOffset, true);

  const parts = [new Uint8Array(local.buffer), nameBytes, compressed, new Uint8Array(central.buffer), nameBytes, new Uint8Array(end.buffer)];
  const out = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
