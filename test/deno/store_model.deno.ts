/**
 * The SQLite store on Deno's driver against the reference model, as test/store_model.test.ts
 * does on bun:sqlite. Run by `npm run test:deno` (deno test), not by bun test.
 */
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqlite } from "../../src/runtime/deno/sqlite.ts";
import { openSqliteStore } from "../../stores/sqlite/store.ts";
import { checkAgainstModel, type ModelBackend, opArbitrary, propertyRuns } from "../support/store_model.ts";

const { Deno } = globalThis as unknown as { Deno: { test(name: string, fn: () => Promise<void>): void } };

const folder = mkdtempSync(join(tmpdir(), "srsr-store-model-deno-"));
globalThis.addEventListener("unload", () => rmSync(folder, { recursive: true, force: true }));
const backend: ModelBackend = {
  name: "sqlite on node:sqlite (Deno)",
  persistent: true,
  open: ({ now, scenario }) => openSqliteStore(join(folder, `scenario-${scenario}.db`), { openSqlite, now }),
};

let scenarios = 0;
Deno.test(`the ${backend.name} store against the model agrees on random sequences`, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArbitrary({ restarts: true }), { maxLength: 40 }), (ops) => checkAgainstModel(backend, ops, ++scenarios)),
    { numRuns: propertyRuns(30) },
  );
});
