/**
 * What `srsr --version` prints. A compiled binary has its commit and target embedded by
 * `scripts/build.ts`; run from source they are `dev` and the host's platform.
 *
 * @module
 */

import pkg from "../package.json" with { type: "json" };

export const VERSION: string = pkg.version;

/** Go-style names, as the original's release files use: `linux-amd64`, `darwin-arm64`. */
export function hostTarget(platform: string = process.platform, arch: string = process.arch): string {
  const goArch: Record<string, string> = { x64: "amd64", arm64: "arm64" };
  return `${platform === "win32" ? "windows" : platform}-${goArch[arch] ?? arch}`;
}

/** `srsr 0.1.0 (abc1234, linux-amd64)`. */
export function versionLine(commit: string = "dev", target: string = hostTarget()): string {
  return `srsr ${VERSION} (${commit}, ${target})`;
}
