// Applies a one-line fix to postgres.js 3.4.x after `npm install` (package.json's postinstall):
// its nextWrite() can run from a setImmediate after the connection closed and dereference a
// null socket, an uncaught TypeError that ends the process (porsager/postgres#1208, the fix of
// #1209, not released yet). srsr's nodes hit it whenever PostgreSQL restarts under them, on Bun
// and Deno alike. The guard settles the write instead: queued queries fail with
// CONNECTION_CLOSED, which the store answers with 503, and the connection reconnects.
// Idempotent; plain Node.js, since it runs before Bun is installed. Remove once a postgres.js
// release has the guard (test/postgres_patch.test.ts then tells).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const UNGUARDED = "  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)";
const GUARDED = `  function nextWrite(fn) {
    if (!socket) { // srsr: scripts/patch_postgres.mjs (porsager/postgres#1208)
      nextWriteTimer !== null && clearImmediate(nextWriteTimer)
      chunk = nextWriteTimer = null
      error(Errors.connection('CONNECTION_CLOSED', options))
      return false
    }
    const x = socket.write(chunk, fn)`;

export const PATCHED_FILES = ["src", "cjs/src", "cf/src"].map((folder) => join(ROOT, "node_modules", "postgres", folder, "connection.js"));

for (const file of PATCHED_FILES) {
  if (!existsSync(file)) continue;
  const source = readFileSync(file, "utf8");
  if (source.includes(GUARDED)) continue;
  if (!source.includes(UNGUARDED)) {
    console.error(`patch_postgres: ${file} has no unguarded nextWrite(); is the postgres.js release fixed? (see the script)`);
    continue;
  }
  writeFileSync(file, source.replace(UNGUARDED, GUARDED));
}
