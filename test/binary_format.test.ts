import { describe, expect, test } from "bun:test";
import { binaryFormat } from "../scripts/binary_format.ts";

// Minimal headers laid out as the ELF, Mach-O and PE specifications place the fields read.
function header(write: (view: DataView) => void): Uint8Array {
  const bytes = new Uint8Array(512);
  write(new DataView(bytes.buffer));
  return bytes;
}
const elf = (machine: number) =>
  header((view) => {
    view.setUint32(0, 0x464c457f, true);
    view.setUint8(4, 2);
    view.setUint8(5, 1);
    view.setUint16(0x12, machine, true);
  });
const machO = (cpu: number, fileType = 2) =>
  header((view) => {
    view.setUint32(0, 0xfeedfacf, true);
    view.setUint32(4, cpu, true);
    view.setUint32(12, fileType, true);
  });
const pe = (machine: number, optionalMagic = 0x20b) =>
  header((view) => {
    view.setUint16(0, 0x5a4d, true);
    view.setUint32(0x3c, 0x80, true);
    view.setUint32(0x80, 0x00004550, true);
    view.setUint16(0x84, machine, true);
    view.setUint16(0x98, optionalMagic, true);
  });

describe("binaryFormat()", () => {
  test("reads ELF x86-64 and aarch64 as linux", () => {
    expect(binaryFormat(elf(0x3e))).toMatchObject({ os: "linux", arch: "amd64" });
    expect(binaryFormat(elf(0xb7))).toMatchObject({ os: "linux", arch: "arm64" });
  });

  test("reads Mach-O executables as darwin", () => {
    expect(binaryFormat(machO(0x01000007))).toMatchObject({ os: "darwin", arch: "amd64" });
    expect(binaryFormat(machO(0x0100000c))).toMatchObject({ os: "darwin", arch: "arm64" });
  });

  test("reads PE32+ as windows", () => {
    expect(binaryFormat(pe(0x8664))).toMatchObject({ os: "windows", arch: "amd64", description: "PE32+ x86-64" });
    expect(binaryFormat(pe(0xaa64))).toMatchObject({ os: "windows", arch: "arm64" });
  });

  test("rejects other CPUs, 32-bit PE, Mach-O libraries, scripts and short files", () => {
    expect(binaryFormat(elf(0x28))).toBeUndefined(); // 32-bit ARM
    expect(binaryFormat(pe(0x8664, 0x10b))).toBeUndefined(); // PE32
    expect(binaryFormat(machO(0x0100000c, 6))).toBeUndefined(); // dylib
    expect(binaryFormat(new TextEncoder().encode("#!/usr/bin/env bun\n"))).toBeUndefined();
    expect(binaryFormat(new Uint8Array([0x4d, 0x5a]))).toBeUndefined();
  });
});
