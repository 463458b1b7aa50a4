/** The memory store's conformance on Deno, as test/memory_store.test.ts runs it on Bun. */
import { MemoryStore } from "../../stores/memory/store.ts";
import { storeConformance } from "../store_conformance.ts";
import { denoRunner } from "./runner.ts";

storeConformance("memory (Deno)", async (options) => new MemoryStore(options), denoRunner);
