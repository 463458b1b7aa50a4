/**
 * What `srsr --version` prints. A compiled binary has its commit and target embedded by
 * `scripts/build.ts` (through the bundler's `define`); run from source they are `dev` and the
 * host's platform.
 *
 * @module
 */

import pkg from "../package.json" with { type: "json" };

// Replaced with string literals by `scripts/build.ts`; never declared at run time from source,
// so they are only ever read behind `typeof`, which is safe for an undeclared name.
declare const SRSR_BUILD_COMMIT: string;
declare const SRSR_BUILD_TARGET: string;

export const VERSION: string = pkg.version;

/** The commit the binary was built from, or `dev` when running from source. */
export const BUILD_COMMIT: string = typeof SRSR_BUILD_COMMIT === "string" ? SRSR_BUILD_COMMIT : "dev";

/** The release target the binary was built for, or `undefined` when running from source. */
export const BUILD_TARGET: string | undefined = typeof SRSR_BUILD_TARGET === "string" ? SRSR_BUILD_TARGET : undefined;

/** Go-style names, as the original's release files use: `linux-amd64`, `darwin-arm64`. */
export function hostTarget(platform: string = process.platform, arch: string = process.arch): string {
  const goArch: Record<string, string> = { x64: "amd64", arm64: "arm64" };
  return `${platform === "win32" ? "windows" : platform}-${goArch[arch] ?? arch}`;
}

/** `srsr 0.1.0 (abc1234, linux-amd64)`. */
export function versionLine(commit: string = BUILD_COMMIT, target: string = BUILD_TARGET ?? hostTarget()): string {
  return `srsr ${VERSION} (${commit}, ${target})`;
}
