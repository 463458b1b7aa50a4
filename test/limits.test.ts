/**
 * --max-instances and --max-instances-per-name: a register past either is a 429 naming the
 * limit, on the legacy and the v1 API, and stores nothing. In-process, then once through a
 * spawned srsr to show the flags reach the registry.
 */
import { describe, expect, test } from "bun:test";
import { MemoryStore } from "../stores/memory/store.ts";
import { createApp } from "../src/app.ts";
import { createLogger } from "../src/logger.ts";
import { LimitExceededError, Registry } from "../src/registry.ts";
import { srsrCommand, startServer } from "./support/server.ts";
import { manualClock } from "./store_conformance.ts";

function setup({ maxInstances = 1_000_000, maxInstancesPerName = 10_000 } = {}) {
  const clock = manualClock();
  const lines: string[] = [];
  const logger = createLogger("info", (line) => lines.push(line));
  const registry = new Registry(new MemoryStore({ now: clock.now }), { defaultTtl: 30, maxInstances, maxInstancesPerName, logger });
  const app = createApp({ registry, logger });
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await app.request(path, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, json: text === "" ? undefined : JSON.parse(text) };
  };
  /** Registers through `api`; answers the status, the error if any, and the new id if any. */
  const register = async (api: "legacy" | "v1", name: string) => {
    const answer = api === "legacy"
      ? await call("POST", "/register", { name, address: "10.0.0.1:80" })
      : await call("POST", `/v1/services/${name}/instances`, { address: "10.0.0.1:80" });
    return { status: answer.status, error: answer.json?.error as string | undefined, id: answer.json?.id as string | undefined };
  };
  const count = async (name: string) => (await call("GET", `/v1/services/${name}`)).json.instances.length as number;
  return { registry, clock, lines, call, register, count };
}

const PER_NAME = "name: billing has 2 instances, the limit (--max-instances-per-name); deregister some or raise the limit";
const TOTAL = "instances: srsr holds 3 instances, the limit (--max-instances); deregister some or raise the limit";

for (const api of ["legacy", "v1"] as const) {
  describe(`limits on the ${api} register`, () => {
    test("past --max-instances-per-name: 429 naming the name and the limit; nothing stored, logged or indexed", async () => {
      const { registry, lines, register, count } = setup({ maxInstancesPerName: 2 });
      expect((await register(api, "billing")).status).toBe(api === "v1" ? 201 : 200);
      expect((await register(api, "billing")).status).toBe(api === "v1" ? 201 : 200);
      const index = registry.index();
      const logged = lines.length;
      expect(await register(api, "billing")).toEqual({ status: 429, error: PER_NAME, id: undefined });
      expect(await count("billing")).toBe(2);
      expect(registry.index()).toBe(index);
      expect(lines).toHaveLength(logged);
      // Another name is not held back by billing's limit.
      expect((await register(api, "payments")).status).toBe(api === "v1" ? 201 : 200);
    });

    test("past --max-instances: 429 naming the limit, whatever the name; nothing stored", async () => {
      const { registry, register, count } = setup({ maxInstances: 3 });
      for (const name of ["a", "b", "c"]) expect((await register(api, name)).id).toBeString();
      const index = registry.index();
      expect(await register(api, "d")).toEqual({ status: 429, error: TOTAL, id: undefined });
      expect(await register(api, "a")).toEqual({ status: 429, error: TOTAL, id: undefined });
      expect(await count("d")).toBe(0);
      expect(await count("a")).toBe(1);
      expect(registry.index()).toBe(index);
      expect((await registry.services()).services.map(({ name }) => name)).toEqual(["a", "b", "c"]);
    });

    test("a deregister makes room again, for both limits", async () => {
      const { call, register } = setup({ maxInstances: 3, maxInstancesPerName: 2 });
      const first = (await register(api, "billing")).id!;
      await register(api, "billing");
      await register(api, "payments");
      expect((await register(api, "billing")).error).toBe("name: billing has 2 instances, the limit (--max-instances-per-name); deregister some or raise the limit");
      expect((await register(api, "other")).error).toBe(TOTAL);
      if (api === "legacy") expect((await call("POST", "/deregister", { id: first })).json).toEqual({ success: true });
      else expect((await call("DELETE", `/v1/instances/${first}`)).status).toBe(204);
      expect((await register(api, "billing")).status).toBe(api === "v1" ? 201 : 200);
      expect((await register(api, "other")).status).toBe(429);
    });
  });
}

describe("limits", () => {
  test("the legacy and v1 APIs count against the same limits", async () => {
    const { register } = setup({ maxInstancesPerName: 2 });
    await register("legacy", "billing");
    await register("v1", "billing");
    expect((await register("legacy", "billing")).error).toBe(PER_NAME);
    expect((await register("v1", "billing")).error).toBe(PER_NAME);
  });

  test("an expired instance counts until the sweep records its expiry, then makes room", async () => {
    const { registry, clock, register } = setup({ maxInstancesPerName: 1 });
    await register("v1", "billing");
    clock.advance(30_000);
    expect((await register("v1", "billing")).status).toBe(429);
    expect(await registry.sweep()).toBe(1);
    expect((await register("v1", "billing")).status).toBe(201);
  });

  test("concurrent registers never pass a limit together", async () => {
    const { register, count } = setup({ maxInstancesPerName: 5 });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => register(i % 2 ? "v1" : "legacy", "billing")));
    expect(answers.filter(({ status }) => status === 429)).toHaveLength(15);
    expect(await count("billing")).toBe(5);
  });

  test("Registry.register() throws LimitExceededError, which the app answers 429", async () => {
    const { registry } = setup({ maxInstances: 1 });
    await registry.register({ name: "a", address: "a:1" });
    await expect(registry.register({ name: "b", address: "b:1" })).rejects.toThrow(
      new LimitExceededError("instances: srsr holds 1 instance, the limit (--max-instances); deregister some or raise the limit"),
    );
  });
});

test("srsr passes --max-instances-per-name and --max-instances to the registry", async () => {
  const server = await startServer(srsrCommand("bun"), ["--max-instances-per-name", "1", "--max-instances", "2"]);
  try {
    const register = (name: string) => server.post("/register", { name, address: "10.0.0.1:80" });
    expect((await register("a")).status).toBe(200);
    expect(await register("a")).toEqual({
      status: 429,
      json: { error: "name: a has 1 instance, the limit (--max-instances-per-name); deregister some or raise the limit" },
    });
    expect((await register("b")).status).toBe(200);
    expect(await register("c")).toEqual({
      status: 429,
      json: { error: "instances: srsr holds 2 instances, the limit (--max-instances); deregister some or raise the limit" },
    });
  } finally {
    await server.stop("SIGKILL");
  }
}, 60_000);
