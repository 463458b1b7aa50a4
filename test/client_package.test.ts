/**
 * The `srsr-client` package (clients/typescript, issue 14): built by its script into built
 * JavaScript and declarations, packed with `npm pack`, installed from the tarball into a scratch
 * project offline (it has no dependencies), type-checked there as a user's TypeScript would be,
 * and run on Node, Bun and Deno against a real srsr. Also: the client's plain wire types are
 * exactly the ones the server's zod schemas infer (checked when this file is type-checked).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as Plain from "../src/client/wire_types.ts";
import type * as Legacy from "../src/wire/legacy.ts";
import type * as V1 from "../src/wire/v1.ts";
import { BUN, DENO, ROOT, type RunningServer, runToExit, srsrCommand, startServer } from "./support/server.ts";

// Compile-time: each plain type is exactly the schema's (a difference fails `npm run typecheck`).
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const sameTypes: [
  Same<Plain.WireInstance, V1.WireInstance>,
  Same<Plain.InstanceListResponse, V1.InstanceListResponse>,
  Same<Plain.ServiceListResponse, V1.ServiceListResponse>,
  Same<Plain.SnapshotEvent, V1.SnapshotEvent>,
  Same<Plain.ChangeEvent, V1.ChangeEvent>,
  Same<Plain.RegisterRequest, Legacy.RegisterRequest>,
  Same<Plain.LookupRequest, Legacy.LookupRequest>,
  Same<Plain.IdRequest, Legacy.IdRequest>,
  Same<Plain.RegisterResponse, Legacy.RegisterResponse>,
  Same<Plain.LookupResponse, Legacy.LookupResponse>,
  Same<Plain.SuccessResponse, Legacy.SuccessResponse>,
] = [true, true, true, true, true, true, true, true, true, true, true];

const PACKAGE = join(ROOT, "clients", "typescript");
const NPM_QUIET = { npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };

/** What the user's program does with the installed package: every kind of call, printed as JSON. */
const APP = `
import process from "node:process";
import { RegistryClient, RegistryError, ServiceRegistryClient } from "srsr-client";

const [server, dead, name] = process.argv.slice(2);
const registry = new RegistryClient({ server: [dead, server] });
const registered = new Promise((resolve) => {
  const kept = registry.registration.keepAlive(name, { address: "10.0.0.1:80", ttl: 30, onRegister: resolve, onError: () => {} });
  kept.startInBackground();
  globalThis.kept = kept;
});
const instance = await registered;
const picked = await registry.instances.pick(name, { meta: {} });
const refused = await registry.registration.register("a b", { address: "10.0.0.1:80" }).catch((error) => error instanceof RegistryError ? error.status : String(error));
const legacy = new ServiceRegistryClient({ server, name: name + "-legacy", port: 8080, onError: () => {} });
await legacy.register();
const looked = await legacy.lookup(name + "-legacy");
await legacy.close();
const stopped = await globalThis.kept.stop();
console.log(JSON.stringify({ id: instance.id, picked: picked?.id, refused, looked, stopped, gone: await registry.instances.get(instance.id) }));
`;

/** A user's TypeScript against the declarations alone: no zod, no Bun or Node types. */
const TYPED = `
import { type Fetch, type RegistryEvent, RegistryClient, RegistryError, type WireInstance } from "srsr-client";

const fetchWithLog: Fetch = (input, init) => fetch(input, init);
const registry = new RegistryClient({ server: ["http://127.0.0.1:4214"], token: "t", fetch: fetchWithLog });
export async function main(): Promise<string | undefined> {
  const instance: WireInstance | null = await registry.instances.pick("billing", { meta: { zone: "a" } });
  const kept = registry.registration.keepAlive("billing", { port: 8080, onRegister: (registered: WireInstance) => void registered.id });
  kept.startInBackground();
  for await (const event of registry.events.watch({ names: ["billing"] })) {
    const seen: RegistryEvent = event;
    if (seen.type !== "snapshot") return seen.instance.address;
  }
  const error = new RegistryError("x", { status: 400 });
  return instance?.address ?? String(error.status);
}
`;

let srsr: RunningServer;
let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "srsr-client-package-"));
  srsr = await startServer(srsrCommand("bun"));
});
afterAll(async () => {
  await srsr?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("srsr-client, the TypeScript client as a package", () => {
  test("the wire types it publishes are the server's", () => {
    expect(sameTypes.every(Boolean)).toBe(true);
  });

  let installed: string;
  test("builds, packs and installs offline from the tarball, with no dependencies", async () => {
    const build = await runToExit([BUN, join(PACKAGE, "build.ts")]);
    expect(build.stderr).toBe("");
    expect(build.code).toBe(0);
    const bundle = await readFile(join(PACKAGE, "dist", "client.js"), "utf8");
    expect(bundle).not.toMatch(/^\s*import\b/m);
    expect(bundle).not.toContain("zod");

    const pack = await runToExit(["npm", "pack", "--pack-destination", scratch], { cwd: PACKAGE, env: NPM_QUIET });
    expect(pack.code).toBe(0);
    const manifest = JSON.parse(await readFile(join(PACKAGE, "package.json"), "utf8"));
    const root = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.version).toBe(root.version);
    const tarball = `srsr-client-${manifest.version}.tgz`;
    expect(await readdir(scratch)).toContain(tarball);

    installed = join(scratch, "app");
    await Bun.write(join(installed, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    const install = await runToExit(["npm", "install", "--offline", "--no-package-lock", join(scratch, tarball)], { cwd: installed, env: NPM_QUIET });
    expect({ code: install.code, stderr: install.stderr }).toEqual({ code: 0, stderr: "" });
    expect((await readdir(join(installed, "node_modules"))).filter((entry) => !entry.startsWith("."))).toEqual(["srsr-client"]);
    const files = await readdir(join(installed, "node_modules", "srsr-client", "dist"), { recursive: true });
    expect(files).toContain("client.js");
    expect(files).toContain("client.d.ts");
  }, 120_000);

  test("its declarations type-check a user's program that has neither zod nor Bun's or Node's types", async () => {
    expect(installed).toBeDefined();
    await writeFile(join(installed, "typed.ts"), TYPED);
    await writeFile(join(installed, "tsconfig.json"), JSON.stringify({
      compilerOptions: { target: "ES2022", lib: ["ES2023", "DOM", "ESNext.Disposable", "ESNext.AsyncIterable"], types: [], module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: false },
      files: ["typed.ts"],
    }));
    const tsc = await runToExit([join(ROOT, "node_modules", ".bin", "tsc"), "-p", installed]);
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.code).toBe(0);
  }, 60_000);

  for (const runtime of ["node", "bun", "deno"] as const) {
    test(`installed, it runs on ${runtime}: fails over from a dead node, registers in the background, picks, refuses, looks up, stops`, async () => {
      expect(installed).toBeDefined();
      await writeFile(join(installed, "app.mjs"), APP);
      const name = `package-${runtime}-${crypto.randomUUID().slice(0, 8)}`;
      const command = { node: ["node"], bun: [BUN], deno: [DENO, "run", "-A", "--node-modules-dir=manual"] }[runtime];
      const { code, stdout, stderr } = await runToExit([...command, "app.mjs", srsr.url, "http://127.0.0.1:1", name], { cwd: installed, env: { NO_COLOR: "1" } });
      expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
      const answer = JSON.parse(stdout);
      expect(answer).toEqual({ id: answer.id, picked: answer.id, refused: 400, looked: "http://127.0.0.1:8080", stopped: true, gone: null });
      expect(answer.id).toMatch(/^[0-9a-f-]{36}$/);
    }, 60_000);
  }
});
