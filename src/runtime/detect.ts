/**
 * Picks the runtime adapter srsr is running on. The only module that asks "Bun or Deno?";
 * everything else takes a {@link Runtime}. Adapters are imported only on their own runtime:
 * `hono/bun` reads the `Bun` global as it loads.
 *
 * @module
 */

import type { Runtime } from "./types.ts";

export async function detectRuntime(): Promise<Runtime> {
  const globals = globalThis as { Bun?: unknown; Deno?: unknown };
  if (globals.Bun) {
    const [{ serve }, { clientIp, holdOpen }, { fetchTrustingCa }] = await Promise.all([
      import("./bun/serve.ts"),
      import("./bun/conninfo.ts"),
      import("./bun/fetch.ts"),
    ]);
    return { name: "bun", serve, clientIp, holdOpen, fetchTrustingCa, openSqlite: async (path) => (await import("./bun/sqlite.ts")).openSqlite(path) };
  }
  if (globals.Deno) {
    const [{ serve }, { clientIp, holdOpen }, { fetchTrustingCa }] = await Promise.all([
      import("./deno/serve.ts"),
      import("./deno/conninfo.ts"),
      import("./deno/fetch.ts"),
    ]);
    return { name: "deno", serve, clientIp, holdOpen, fetchTrustingCa, openSqlite: async (path) => (await import("./deno/sqlite.ts")).openSqlite(path) };
  }
  throw new Error("srsr runs on Bun or Deno: start it with `npm start` (Bun) or `deno task start`");
}
