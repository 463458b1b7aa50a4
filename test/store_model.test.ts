/**
 * Every store backend against the reference model (test/support/store_model.ts): random
 * sequences of operations must get the same answers, reads and change feed from both.
 * `npm test` tries a bounded number of sequences; `SRSR_PROPERTY_RUNS=N` (or
 * `npm run fuzz -- --runs N`) tries more. A failure prints the shrunk sequence: keep it in
 * REGRESSIONS below once fixed.
 */
import { afterAll, describe, test } from "bun:test";
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqlite } from "../src/runtime/bun/sqlite.ts";
import { MemoryStore } from "../stores/memory/store.ts";
import { openSqliteStore } from "../stores/sqlite/store.ts";
import { checkAgainstModel, type ModelBackend, type Op, opArbitrary, propertyRuns } from "./support/store_model.ts";

const folder = mkdtempSync(join(tmpdir(), "srsr-store-model-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** One line per backend (and driver): add the PostgreSQL store here when it lands. */
const BACKENDS: ModelBackend[] = [
  { name: "memory", open: async ({ now }) => new MemoryStore({ now }) },
  {
    name: "sqlite on bun:sqlite",
    persistent: true,
    open: ({ now, scenario }) => openSqliteStore(join(folder, `scenario-${scenario}.db`), { openSqlite, now }),
  },
];

/** Shrunk counterexamples, kept: each once failed, and must pass on every backend. */
const REGRESSIONS: Record<string, Op[]> = {
  "a pause longer than the TTL, then the sweep first: the renewed lease outlives it": [
    { op: "register", name: "a", ttl: 1, meta: {} },
    { op: "run", ms: 999 },
    { op: "heartbeat", target: 0 },
    { op: "pause", ms: 60_000 },
    { op: "sweep", limit: 500 },
    { op: "heartbeat", target: 0 },
  ],
};

let scenarios = 0;

describe.each(BACKENDS)("the $name store against the model", (backend) => {
  test.each(Object.entries(REGRESSIONS))("regression: %s", async (_, ops) => {
    await checkAgainstModel(backend, ops, ++scenarios);
  });

  test("agrees on every answer, read and change of random sequences", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary({ restarts: backend.persistent === true }), { maxLength: 40 }), (ops) =>
        checkAgainstModel(backend, ops, ++scenarios)),
      { numRuns: propertyRuns(60), interruptAfterTimeLimit: 600_000 },
    );
  }, 600_000);
});
