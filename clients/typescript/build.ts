/**
 * Builds the `srsr-client` package into dist/: the client (src/client.ts and what it imports)
 * bundled by `bun build` into one ES module with no imports, and its declarations from tsc, with
 * relative imports pointing at `.js` as published declarations do. Run: `npm run build:client`
 * (or `bun clients/typescript/build.ts`), then `npm pack` in clients/typescript.
 *
 * @module
 */

import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

const HERE = import.meta.dir;
const ROOT = join(HERE, "..", "..");
const DIST = join(HERE, "dist");

await rm(DIST, { recursive: true, force: true });

const built = await Bun.build({
  entrypoints: [join(ROOT, "src", "client.ts")],
  outdir: DIST,
  target: "node",
  format: "esm",
});
if (!built.success) {
  for (const log of built.logs) console.error(log);
  process.exit(1);
}
const bundle = await readFile(join(DIST, "client.js"), "utf8");
const imports = [...bundle.matchAll(/^\s*import\b.*?from\s*["']([^"']+)["']/gm)].map((match) => match[1]);
if (imports.length > 0) {
  console.error(`build: the client must import nothing at run time, but dist/client.js imports ${imports.join(", ")}`);
  process.exit(1);
}

const tsc = Bun.spawnSync([join(ROOT, "node_modules", ".bin", "tsc"), "-p", join(HERE, "tsconfig.json")], { stdout: "inherit", stderr: "inherit" });
if (tsc.exitCode !== 0) process.exit(tsc.exitCode ?? 1);

// `./client/request.ts` -> `./client/request.js`, which TypeScript resolves to request.d.ts; and
// the examples, written for the repository's `srsr/client`, import this package's `srsr-client`.
for (const file of await readdir(DIST, { recursive: true })) {
  if (!file.endsWith(".d.ts")) continue;
  const path = join(DIST, file);
  const text = await readFile(path, "utf8");
  await writeFile(path, text.replace(/((?:from\s+|import\()["']\.{1,2}\/[^"']*?)\.ts(["'])/g, "$1.js$2").replaceAll(`"srsr/client"`, `"srsr-client"`));
}
console.log(`built ${join("clients", "typescript", "dist")}: client.js (${bundle.length} bytes) and its declarations`);
