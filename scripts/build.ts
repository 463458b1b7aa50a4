/**
 * Compiles srsr into single-file executables with Bun's compiler, one per release target,
 * into `dist/`, each beside its archive (scripts/archive.ts), with a `SHA256SUMS` file of both
 * that `sha256sum -c` checks. Each binary carries everything it needs (code, dependencies,
 * package.json's version, the commit it was built from); cross-compiling fetches the target's
 * Bun runtime from the npm registry.
 *
 * The output folder ends up holding this build's files and none from an earlier one: every
 * file a build can make (any target's binary or archive, SHA256SUMS) is removed first, so a
 * one-target build never sits beside stale binaries that `dist/*` would upload. Files of other
 * names are left alone, so `--outdir` may be any folder.
 *
 * Usage: bun scripts/build.ts [--target NAME]... [--outdir DIR] [--no-archives] [--xz-level N]
 *        [--minify] [--no-bytecode]   (`npm run build -- --target linux-amd64` builds one).
 * Exit codes: 0 built, 1 a build failed, 2 bad usage.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { archive, archiveNameOf, missingXz } from "./archive.ts";
import { type BinaryFormat, binaryFormatOf } from "./binary_format.ts";

const ROOT = resolve(import.meta.dir, "..");

type CompileTarget = Bun.Build.CompileTarget;

interface Target {
  /** Bun's name for the platform. */
  compile: CompileTarget;
  os: BinaryFormat["os"];
  arch: BinaryFormat["arch"];
}

/** The original's six release targets, named as its release files are. */
export const TARGETS: Readonly<Record<string, Target>> = {
  "linux-amd64": { compile: "bun-linux-x64", os: "linux", arch: "amd64" },
  "linux-arm64": { compile: "bun-linux-arm64", os: "linux", arch: "arm64" },
  "darwin-amd64": { compile: "bun-darwin-x64", os: "darwin", arch: "amd64" },
  "darwin-arm64": { compile: "bun-darwin-arm64", os: "darwin", arch: "arm64" },
  "windows-amd64": { compile: "bun-windows-x64", os: "windows", arch: "amd64" },
  "windows-arm64": { compile: "bun-windows-arm64", os: "windows", arch: "arm64" },
};

export const fileNameOf = (target: string): string => `srsr-${target}${target.startsWith("windows-") ? ".exe" : ""}`;

/** Every file name a build can write, for any target: what is cleared before a build. */
export const RELEASE_FILES: ReadonlySet<string> = new Set([
  ...Object.keys(TARGETS).flatMap((target) => [fileNameOf(target), archiveNameOf(fileNameOf(target))]),
  "SHA256SUMS",
]);

const USAGE = `usage: bun scripts/build.ts [--target NAME]... [--outdir DIR] [--no-archives] [--xz-level N]
                           [--minify] [--no-bytecode]
targets: ${Object.keys(TARGETS).join(", ")} (default: all)
Each binary gets an archive beside it (.tar.xz, or .zip for Windows) unless --no-archives;
--xz-level is xz's preset, 0 (fastest) to 9 (default 6).`;

class UsageError extends Error {}

interface BuildOptions {
  targets: string[];
  outdir: string;
  /** Write each binary's .tar.xz or .zip beside it. @default true */
  archives: boolean;
  /** xz's preset for the .tar.xz archives, 0–9. @default 6 */
  xzLevel: number;
  /**
   * Off by default: it saved 0.2 MB of 112 and no start-up time (docs/benchmarks.md), and
   * unminified names keep the stack traces in the server's error log readable.
   * @default false
   */
  minify: boolean;
  /** Precompiled bytecode, for a faster start. @default true */
  bytecode: boolean;
}

function parseBuildFlags(args: string[]): BuildOptions | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      allowNegative: true,
      options: {
        target: { type: "string", multiple: true },
        outdir: { type: "string", default: join(ROOT, "dist") },
        archives: { type: "boolean", default: true },
        "xz-level": { type: "string", default: "6" },
        minify: { type: "boolean", default: false },
        bytecode: { type: "boolean", default: true },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split("\n")[0]} (see --help)`);
  }
  if (values.help) return "help";
  const targets = values.target ?? Object.keys(TARGETS);
  for (const target of targets) {
    if (!Object.hasOwn(TARGETS, target)) {
      throw new UsageError(`--target: unknown target "${target}": expected one of ${Object.keys(TARGETS).join(", ")}`);
    }
  }
  if (!/^[0-9]$/.test(values["xz-level"])) throw new UsageError(`--xz-level: "${values["xz-level"]}" is not a preset from 0 to 9`);
  return {
    targets: [...new Set(targets)],
    outdir: resolve(values.outdir),
    archives: values.archives,
    xzLevel: Number(values["xz-level"]),
    minify: values.minify,
    bytecode: values.bytecode,
  };
}

/** The short commit, `-dirty` when tracked files differ from it, `dev` outside a git checkout. */
function gitCommit(): string {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8", stdio: "pipe" }).trim();
  try {
    const commit = git("rev-parse", "--short", "HEAD");
    return git("status", "--porcelain", "--untracked-files=no") === "" ? commit : `${commit}-dirty`;
  } catch {
    return "dev";
  }
}

async function compile(target: string, commit: string, { outdir, minify, bytecode }: BuildOptions): Promise<string> {
  const outfile = join(outdir, fileNameOf(target));
  try {
    await Bun.build({
      // The SQLite worker is an entrypoint of its own: that is how `new Worker` finds it inside
      // the binary (src/runtime/bun/sqlite.ts).
      entrypoints: [join(ROOT, "main.ts"), join(ROOT, "src/runtime/bun/sqlite_worker.ts")],
      // ESM because main.ts awaits at the top level; bytecode would otherwise default to CommonJS.
      format: "esm",
      minify,
      bytecode,
      define: { SRSR_BUILD_COMMIT: JSON.stringify(commit), SRSR_BUILD_TARGET: JSON.stringify(target) },
      compile: {
        target: TARGETS[target].compile,
        outfile,
        // A registry started in someone's project folder must not pick up that project's
        // .env or bunfig.toml: its configuration is its flags and SRSR_* variables.
        autoloadDotenv: false,
        autoloadBunfig: false,
      },
    });
  } catch (error) {
    throw new Error(`${target}: compile failed: ${buildErrorLine(error)}`);
  }
  const format = await binaryFormatOf(outfile);
  if (format?.os !== TARGETS[target].os || format.arch !== TARGETS[target].arch) {
    throw new Error(`${target}: ${outfile} is ${format?.description ?? "not an executable srsr knows"}`);
  }
  return outfile;
}

function buildErrorLine(error: unknown): string {
  const { errors, message } = error as { errors?: unknown[]; message?: string };
  const first = errors?.[0] ?? error;
  return String((first as { message?: string }).message ?? message ?? first).split("\n")[0];
}

async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Removes what an earlier build left in `outdir` (see the module comment); returns the names. */
async function removeEarlierBuild(outdir: string): Promise<string[]> {
  const earlier = (await readdir(outdir)).filter((name) => RELEASE_FILES.has(name)).sort();
  await Promise.all(earlier.map((name) => rm(join(outdir, name), { force: true })));
  return earlier;
}

const mebibytes = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const secondsSince = (started: number) => `${((performance.now() - started) / 1000).toFixed(1)}s`;

async function build(options: BuildOptions): Promise<void> {
  // Checked before compiling, so a missing xz fails in a second, not after the first binary.
  const needsXz = options.archives && options.targets.some((target) => TARGETS[target].os !== "windows");
  const xzMissing = needsXz ? missingXz() : undefined;
  if (xzMissing) throw new Error(xzMissing);
  await mkdir(options.outdir, { recursive: true });
  const removed = await removeEarlierBuild(options.outdir);
  if (removed.length > 0) console.error(`removed the earlier build's ${removed.join(", ")} from ${options.outdir}`);
  const commit = gitCommit();
  const sums: string[] = [];
  for (const target of options.targets) {
    let started = performance.now();
    const outfile = await compile(target, commit, options);
    sums.push(`${await sha256(outfile)}  ${basename(outfile)}`);
    console.error(`built ${outfile} (${mebibytes((await stat(outfile)).size)}, ${secondsSince(started)})`);
    if (!options.archives) continue;
    started = performance.now();
    const archived = await archive(outfile, { xzLevel: options.xzLevel });
    sums.push(`${await sha256(archived)}  ${basename(archived)}`);
    console.error(`packed ${archived} (${mebibytes((await stat(archived)).size)}, ${secondsSince(started)})`);
  }
  await writeFile(join(options.outdir, "SHA256SUMS"), sums.join("\n") + "\n");
  const archives = options.archives ? ", their archives" : "";
  console.error(`srsr ${commit}: ${options.targets.length} binaries${archives} and SHA256SUMS in ${options.outdir}`);
}

async function main(args: string[]): Promise<number> {
  let options;
  try {
    options = parseBuildFlags(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`build: ${error.message}`);
    return 2;
  }
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  try {
    await build(options);
    return 0;
  } catch (error) {
    console.error(`build: ${(error as Error).message}`);
    return 1;
  }
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
