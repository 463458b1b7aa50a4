import { MemoryStore } from "../stores/memory/store.ts";
import { storeConformance } from "./store_conformance.ts";

storeConformance("memory", async () => new MemoryStore());
