/**
 * The expiry scenario's server: srsr's own app, registry and memory store, composed as
 * src/cli/serve.ts composes them, with a clock that lets COUNT instances be seeded in-process with one
 * and the same expiry instant — through HTTP, seeding 100k takes seconds, which would spread
 * the expiry over several sweeps. It serves lookups for 1,000 live instances (100 names)
 * meanwhile, and prints one `EXPIRY {...}` line on stdout once all COUNT have been swept.
 *
 * Usage: bun scripts/bench/expiry_server.ts PORT COUNT EXPIRE_IN_MS
 *
 * @module
 */

import { writeSync } from "node:fs";
import { createApp } from "../../src/app.ts";
import { createLogger } from "../../src/logger.ts";
import { Registry } from "../../src/registry.ts";
import { detectRuntime } from "../../src/runtime/detect.ts";
import { MemoryStore } from "../../stores/memory/store.ts";

const [port, count, expireInMs] = process.argv.slice(2).map(Number);
if (!(port > 0 && count > 0 && expireInMs > 0)) {
  console.error("expiry_server: usage: bun scripts/bench/expiry_server.ts PORT COUNT EXPIRE_IN_MS");
  process.exit(2);
}

const TTL_SECONDS = 600;
let frozenAt: number | undefined;
const store = new MemoryStore({ now: () => frozenAt ?? Date.now() });

// Registered as if TTL ago plus EXPIRE_IN: all expire at one instant, EXPIRE_IN from now.
// Straight into the store, before the registry subscribes: through it, 100k lines would be logged.
frozenAt = Date.now() - TTL_SECONDS * 1000 + expireInMs;
for (let index = 0; index < count; index++) {
  await store.register({
    id: crypto.randomUUID(),
    name: `expiring-${index % 10_000}`,
    address: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}:8080`,
    meta: {},
    ttl: TTL_SECONDS,
  });
}
frozenAt = undefined;
// Logging at main.ts's default level, so the sweep pays for its `expire` lines as deployed.
const registry = new Registry(store, { defaultTtl: TTL_SECONDS, logger: createLogger("info") });
for (let index = 0; index < 1000; index++) {
  await registry.register({ name: `svc-${index % 100}`, address: `10.200.${index >> 8}.${index & 255}:8080` });
}

let expired = 0;
let firstAt = 0;
let firstAtEpochMs = 0;
registry.subscribe((changes) => {
  for (const change of changes) {
    if (change.type !== "expire") continue;
    const now = performance.now();
    if (expired === 0) [firstAt, firstAtEpochMs] = [now, Date.now()];
    if (++expired === count) {
      // Written straight to the descriptor: console.log may hold piped output until exit.
      writeSync(1, `EXPIRY ${JSON.stringify({ expired, sweepMs: now - firstAt, startedAt: firstAtEpochMs, endedAt: Date.now() })}\n`);
    }
  }
});

const runtime = await detectRuntime();
const app = createApp({ registry, clientIp: runtime.clientIp });
runtime.serve(app, { port, hostname: "127.0.0.1", maxBodyBytes: 1024 * 1024 });
registry.startSweeping();
