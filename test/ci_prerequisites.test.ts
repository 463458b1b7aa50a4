/**
 * .ci/prerequisites, run on a PATH this test makes: none of the tools CI needs, an `id` that says
 * who we are, and, when given, an `apt-get` that only records what it was asked. So both the
 * root and the non-root path are tested whoever runs the tests, and nothing is installed.
 *
 * @module
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, runToExit } from "./support/server.ts";

const SCRIPT = join(ROOT, ".ci", "prerequisites");
const BASH = Bun.which("bash") ?? "/bin/bash";

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "srsr-ci-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A folder for PATH holding `id` (printing `uid`) and, with `aptLog`, an apt-get that logs to it. */
async function fakePath(name: string, { uid, aptLog }: { uid: number; aptLog?: string }): Promise<string> {
  const bin = join(scratch, name);
  await Bun.write(join(bin, "id"), `#!/bin/sh\necho ${uid}\n`);
  await chmod(join(bin, "id"), 0o755);
  if (aptLog) {
    await writeFile(join(bin, "apt-get"), `#!/bin/sh\necho "$*" >> '${aptLog}'\n`);
    await chmod(join(bin, "apt-get"), 0o755);
  }
  return bin;
}

const run = (path: string) => runToExit([BASH, SCRIPT], { env: { PATH: path } });

describe(".ci/prerequisites with go, python3, xz, openssl and qemu missing (and PostgreSQL and Chromium where they are not installed)", () => {
  test("when not root: one line naming the packages and the command to install them, exit 1", async () => {
    const { code, stdout, stderr } = await run(await fakePath("user", { uid: 1000 }));
    expect(code).toBe(1);
    expect(stdout).toBe("");
    const lines = stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\.ci\/run: needs the Debian packages golang-go python3 xz-utils openssl qemu-user-static( libc6-arm64-cross)?( postgresql)?( chromium)?: install them \(sudo apt-get install golang-go python3 xz-utils openssl qemu-user-static( libc6-arm64-cross)?( postgresql)?( chromium)?\) or run \.ci\/run as root$/,
    );
  });

  test("as root without apt-get: says so and exits 1", async () => {
    const { code, stderr } = await run(await fakePath("root-no-apt", { uid: 0 }));
    expect(code).toBe(1);
    expect(stderr).toContain("needs the Debian packages golang-go python3 xz-utils openssl qemu-user-static");
    expect(stderr).toContain("has no apt-get");
  });

  test("as root: installs exactly the missing packages with apt-get", async () => {
    const aptLog = join(scratch, "apt.log");
    const { code, stderr } = await run(await fakePath("root", { uid: 0, aptLog }));
    expect({ code, stderr }).toEqual({ code: 0, stderr: expect.stringContaining(".ci/run: installing golang-go python3 xz-utils openssl qemu-user-static") });
    const [update, install] = (await readFile(aptLog, "utf8")).trimEnd().split("\n");
    expect(update).toBe("update -qq");
    expect(install).toMatch(/^install -y -qq golang-go python3 xz-utils openssl qemu-user-static( libc6-arm64-cross)?( postgresql)?( chromium)?$/);
  });
});
