/**
 * A service that starts before its registry (issue 14): `keepAlive(…).startInBackground()` keeps
 * trying to register, telling `onError` of each failure, and registers once the registry is up;
 * `start()` still fails fast. Against a real srsr process started on the port the client was
 * already trying.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { RegistryClient, RegistryError } from "../src/client.ts";
import type { WireInstance } from "../src/wire/v1.ts";
import { eventually } from "./support/eventually.ts";
import { freePort, type RunningServer, srsrCommand, startServer } from "./support/server.ts";

const uniqueName = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

let srsr: RunningServer | undefined;
afterEach(async () => {
  await srsr?.stop();
  srsr = undefined;
});

describe("keepAlive before the registry is up", () => {
  test("startInBackground retries with backoff until the registry answers, then keeps the instance registered; stop deregisters", async () => {
    const port = await freePort();
    const registry = new RegistryClient({ server: `http://127.0.0.1:${port}` });
    const name = uniqueName("early");
    const errors: { error: RegistryError; retryIn: number | undefined }[] = [];
    const registered: WireInstance[] = [];
    const kept = registry.registration.keepAlive(name, {
      address: "10.0.0.1:80",
      ttl: 3,
      backoff: { initial: 20, max: 200 },
      onError: (error, { retryIn }) => errors.push({ error, retryIn }),
      onRegister: (instance) => registered.push(instance),
    });
    kept.startInBackground();
    expect(kept.running).toBe(true);
    await eventually(() => errors.length >= 3, "three failed attempts while the registry is down");
    expect(errors.every(({ error, retryIn }) => error.status === undefined && retryIn! > 0)).toBe(true);
    expect(kept.instance).toBeUndefined();

    srsr = await startServer(srsrCommand("bun"), [], { port });
    await eventually(() => registered.length === 1, "registered once the registry is up", { deadlineMs: 30_000 });
    const listed = await registry.instances.list(name);
    expect(listed.instances.map((instance) => instance.id)).toEqual([registered[0].id]);
    kept.startInBackground(); // already running: nothing more
    expect(await kept.start()).toEqual(kept.instance!);
    expect(registered.length).toBe(1);

    expect(await kept.stop()).toBe(true);
    expect(kept.running).toBe(false);
    expect((await registry.instances.list(name)).instances).toEqual([]);
  }, 60_000);

  test("start() fails fast with the RegistryError when the registry cannot be reached, and nothing keeps running", async () => {
    const registry = new RegistryClient({ server: `http://127.0.0.1:${await freePort()}` });
    const kept = registry.registration.keepAlive(uniqueName("fast"), { address: "10.0.0.1:80", onError: () => {} });
    const error = await kept.start().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBeUndefined();
    expect(kept.running).toBe(false);
  });

  test("start() while trying in the background takes over: one loop, one registration", async () => {
    const port = await freePort();
    const registry = new RegistryClient({ server: `http://127.0.0.1:${port}` });
    const name = uniqueName("takeover");
    const errors: RegistryError[] = [];
    const kept = registry.registration.keepAlive(name, { address: "10.0.0.1:80", backoff: { initial: 20, max: 100 }, onError: (error) => errors.push(error) });
    kept.startInBackground();
    await eventually(() => errors.length >= 1, "a failed attempt");
    srsr = await startServer(srsrCommand("bun"), [], { port });
    const instance = await kept.start();
    expect((await registry.instances.list(name)).instances.map((one) => one.id)).toEqual([instance.id]);
    expect(await kept.stop()).toBe(true);
    expect((await registry.instances.list(name)).instances).toEqual([]);
  }, 60_000);
});
