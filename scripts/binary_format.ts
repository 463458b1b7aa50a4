/**
 * Reads an executable's header and says which OS and CPU it is for, so the build can check the
 * binaries it cannot run here (Windows, macOS, other CPUs) are at least the right format.
 *
 * @module
 */

import { open } from "node:fs/promises";

export interface BinaryFormat {
  os: "linux" | "darwin" | "windows";
  arch: "amd64" | "arm64";
  /** What `file(1)` would roughly say: `ELF 64-bit x86-64`, `Mach-O 64-bit arm64`, `PE32+ aarch64`. */
  description: string;
}

/** Enough of the file for every header read below; a PE header may start a little way in. */
export const HEADER_BYTES = 4096;

const ELF_MACHINES: Record<number, BinaryFormat["arch"]> = { 0x3e: "amd64", 0xb7: "arm64" };
const MACHO_CPUS: Record<number, BinaryFormat["arch"]> = { 0x01000007: "amd64", 0x0100000c: "arm64" };
const PE_MACHINES: Record<number, BinaryFormat["arch"]> = { 0x8664: "amd64", 0xaa64: "arm64" };
const CPU_NAMES = { elf: { amd64: "x86-64", arm64: "aarch64" }, macho: { amd64: "x86_64", arm64: "arm64" } };

/**
 * The format of a 64-bit little-endian executable from its first {@link HEADER_BYTES} bytes,
 * or `undefined` when it is none of ELF, Mach-O or PE32+ for amd64 or arm64.
 */
export function binaryFormat(header: Uint8Array): BinaryFormat | undefined {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const u16 = (at: number) => (at + 2 <= view.byteLength ? view.getUint16(at, true) : undefined);
  const u32 = (at: number) => (at + 4 <= view.byteLength ? view.getUint32(at, true) : undefined);

  // ELF: magic, class 2 (64-bit), data 1 (little-endian), e_machine at 0x12.
  if (u32(0) === 0x464c457f && header[4] === 2 && header[5] === 1) {
    const arch = ELF_MACHINES[u16(0x12) ?? -1];
    return arch && { os: "linux", arch, description: `ELF 64-bit ${CPU_NAMES.elf[arch]}` };
  }
  // Mach-O 64-bit little-endian (MH_MAGIC_64), cputype next, filetype 2 (MH_EXECUTE) at 12.
  if (u32(0) === 0xfeedfacf && u32(12) === 2) {
    const arch = MACHO_CPUS[u32(4) ?? -1];
    return arch && { os: "darwin", arch, description: `Mach-O 64-bit ${CPU_NAMES.macho[arch]} executable` };
  }
  // PE: "MZ", the PE header's offset at 0x3C, "PE\0\0", machine, then optional-header magic 0x20B (PE32+).
  if (u16(0) === 0x5a4d) {
    const pe = u32(0x3c);
    if (pe === undefined || u32(pe) !== 0x00004550 || u16(pe + 24) !== 0x20b) return undefined;
    const arch = PE_MACHINES[u16(pe + 4) ?? -1];
    return arch && { os: "windows", arch, description: `PE32+ ${CPU_NAMES.elf[arch]}` };
  }
  return undefined;
}

/** {@link binaryFormat} of the file at `path`. */
export async function binaryFormatOf(path: string): Promise<BinaryFormat | undefined> {
  const file = await open(path, "r");
  try {
    const header = new Uint8Array(HEADER_BYTES);
    const { bytesRead } = await file.read(header, 0, HEADER_BYTES, 0);
    return binaryFormat(header.subarray(0, bytesRead));
  } finally {
    await file.close();
  }
}
