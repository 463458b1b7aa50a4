/**
 * The SQLite store on Deno's driver (node:sqlite through drizzle's sqlite-proxy): the same
 * conformance and reopening suites test/sqlite_store.test.ts runs on bun:sqlite.
 * Run by `npm run test:deno` (deno test), not by bun test.
 */
import { openSqlite } from "../../src/runtime/deno/sqlite.ts";
import { sqliteSuites } from "../sqlite_persistence.ts";
import { denoRunner } from "./runner.ts";

sqliteSuites("node:sqlite (Deno)", openSqlite, denoRunner);
