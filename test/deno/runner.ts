/**
 * The conformance suites' {@link Runner} for `deno test`: nested describes become name
 * prefixes, as `bun test` prints them.
 *
 * @module
 */

import type { Runner } from "../store_conformance.ts";

interface DenoTesting {
  test(definition: { name: string; ignore?: boolean; fn: () => Promise<void> }): void;
}
const { Deno } = globalThis as unknown as { Deno: DenoTesting };

const prefixes: string[] = [];
const named = (name: string) => [...prefixes, name].join(" > ");

export const denoRunner: Runner = {
  describe(name, body) {
    prefixes.push(name);
    try {
      body();
    } finally {
      prefixes.pop();
    }
  },
  test: (name, body) => Deno.test({ name: named(name), fn: body }),
  skip: (name, body) => Deno.test({ name: named(name), ignore: true, fn: body }),
  afterAll: (body) => globalThis.addEventListener("unload", body),
};
