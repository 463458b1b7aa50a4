/** The conformance suites' {@link Runner} for `bun test`. @module */

import { afterAll, describe, test } from "bun:test";
import type { Runner } from "../store_conformance.ts";

export const bunRunner: Runner = {
  describe,
  test: (name, body) => test(name, body),
  skip: (name, body) => test.skip(name, body),
  afterAll,
};
