/**
 * The PostgreSQL store on Deno: the same conformance and several-node cases
 * test/postgres_store.test.ts runs on Bun, against SRSR_TEST_POSTGRES.
 * Run by `npm run test:deno` (deno test), not by bun test.
 */
import { postgresSuites } from "../postgres_suites.ts";
import { denoRunner } from "./runner.ts";

postgresSuites("deno", denoRunner);
