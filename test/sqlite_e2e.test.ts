/**
 * Black-box persistence: srsr spawned with `--store sqlite:<tmp>/reg.db` on Bun and on Deno,
 * killed with SIGKILL, restarted, and checked over HTTP; plus every location it must refuse.
 */
import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "./support/eventually.ts";
import { DENO, freePort, ROOT, runToExit, srsrCommand, startServer } from "./support/server.ts";
import { readEventStream } from "./support/sse.ts";

const root = mkdtempSync(join(tmpdir(), "srsr-sqlite-e2e-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let folders = 0;
const newFolder = () => {
  const folder = join(root, `case-${++folders}`);
  mkdirSync(folder);
  return folder;
};

// Deno runs with exactly the permissions `deno task start` grants, so a store that needs more fails here.
const DENO_TASK = [DENO, "run", "--allow-net", "--allow-env", "--allow-read", "--allow-write", join(ROOT, "main.ts")];

for (const runtime of ["bun", "deno"] as const) {
  describe(`sqlite store on ${runtime}`, () => {
    const command = runtime === "bun" ? srsrCommand("bun") : DENO_TASK;

    test("acknowledged registrations survive kill -9; deregistered ones stay gone; expiry resumes", async () => {
      const folder = newFolder();
      const store = ["--store", `sqlite:${join(folder, "reg.db")}`];
      const first = await startServer(command, [...store, "-t", "60"]);
      const kept: string[] = [];
      const dropped: string[] = [];
      const nameOf = new Map<string, string>();
      try {
        for (let i = 0; i < 40; i++) {
          const { status, json } = await first.post("/register", { name: `svc-${i % 4}`, address: `10.0.0.${i}`, port: 80 });
          expect(status).toBe(200);
          (i % 5 === 0 ? dropped : kept).push(json.id as string);
          nameOf.set(json.id as string, `svc-${i % 4}`);
        }
        for (const id of dropped) expect((await first.post("/deregister", { id })).json.success).toBe(true);
      } finally {
        expect(await first.stop("SIGKILL")).not.toBe(0);
      }

      const second = await startServer(command, [...store, "-t", "60"]);
      try {
        for (const id of kept) expect((await second.post("/heartbeat", { id })).json).toEqual({ success: true });
        for (const id of dropped) expect((await second.post("/heartbeat", { id })).json).toEqual({ success: false });
        for (let n = 0; n < 4; n++) {
          const { json } = await second.post("/lookup", { name: `svc-${n}` });
          expect(json.success).toBe(true);
          expect(json.address).toMatch(/^10\.0\.0\.\d+:80$/);
        }

        // The file stays this process's while it runs.
        const refused = await runToExit([...command, ...store, "--port", String(await freePort())]);
        expect(refused.code).toBe(1);
        expect(refused.stderr.trim()).toBe(
          `srsr: cannot open sqlite:${join(folder, "reg.db")}: another srsr process holds it ` +
            `(one server per file: stop the other or use another path)`,
        );
        expect((await second.post("/heartbeat", { id: kept[0] })).json.success).toBe(true);
      } finally {
        await second.stop("SIGKILL");
      }

      // Pretend the registry was down for an hour: every stored expiry is long past. Restored
      // instances still get their own TTL of grace from the restart, then expire for good.
      const db = new Database(join(folder, "reg.db"));
      db.run("UPDATE instances SET expires_at = ?", [Date.now() - 3_600_000]);
      db.run("UPDATE instances SET ttl = 2 WHERE name = 'svc-1'");
      db.close();
      const third = await startServer(command, [...store, "-t", "60"]);
      const shortLived = kept.filter((id) => nameOf.get(id) === "svc-1");
      try {
        expect((await third.post("/lookup", { name: "svc-1" })).json.success).toBe(true);
        await eventually(async () => !(await third.post("/lookup", { name: "svc-1" })).json.success, "svc-1 expires");
        for (const id of shortLived) expect((await third.post("/heartbeat", { id })).json.success).toBe(false);
        expect((await third.post("/lookup", { name: "svc-2" })).json.success).toBe(true);
        // An expiry is written when the sweep takes it; one not yet swept would get grace again.
        await eventually(async () => shortLived.every((id) => third.stderr().includes(`expire name=svc-1 `) && third.stderr().includes(`id=${id}`)), "svc-1 is swept");
      } finally {
        expect(await third.stop("SIGTERM")).toBe(0);
      }
      const fourth = await startServer(command, [...store, "-t", "60"]);
      try {
        expect((await fourth.post("/heartbeat", { id: shortLived[0] })).json.success).toBe(false);
        expect((await fourth.post("/lookup", { name: "svc-1" })).json.success).toBe(false);
        expect((await fourth.post("/lookup", { name: "svc-2" })).json.success).toBe(true);
      } finally {
        await fourth.stop("SIGKILL");
      }
    }, 60_000);

    test("the index and the change history survive kill -9: a watcher resumes after the restart", async () => {
      const path = join(newFolder(), "reg.db");
      const first = await startServer(command, ["--store", `sqlite:${path}`]);
      let seen: number;
      try {
        const register = (name: string) => fetch(`${first.url}/v1/services/${name}/instances`, { method: "POST", body: '{"address":"10.0.0.1:80"}' });
        expect((await register("billing")).status).toBe(201);
        seen = Number((await fetch(`${first.url}/v1/services/billing`)).headers.get("x-srsr-index"));
        expect((await register("billing")).status).toBe(201);
        expect((await register("search")).status).toBe(201);
      } finally {
        await first.stop("SIGKILL");
      }
      const second = await startServer(command, ["--store", `sqlite:${path}`]);
      try {
        const list = await (await fetch(`${second.url}/v1/services`)).json();
        expect(list.index).toBe(seen + 2);
        const controller = new AbortController();
        const response = await fetch(`${second.url}/v1/events?name=billing`, { headers: { "last-event-id": String(seen) }, signal: controller.signal });
        // Whole events, however the bytes arrive: one read may hold part of one.
        const stream = readEventStream(response, () => controller.abort());
        expect(await stream.next()).toMatchObject({ kind: "event", event: "register", id: String(seen + 1) });
        await stream.close();
      } finally {
        await second.stop("SIGKILL");
      }
    });
  });
}

describe("sqlite store refuses unusable locations with one line and exit 1", () => {
  const command = srsrCommand("bun");
  const refuse = async (path: string) => {
    const result = await runToExit([...command, "--store", `sqlite:${path}`, "--port", String(await freePort())]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    return result.stderr.trim();
  };

  test("a missing parent folder", async () => {
    const path = join(root, "no-such-folder", "reg.db");
    expect(await refuse(path)).toBe(
      `srsr: cannot create sqlite:${path}: folder ${join(root, "no-such-folder")} does not exist (create it first)`,
    );
  });

  test("a folder", async () => {
    const path = newFolder();
    expect(await refuse(path)).toBe(`srsr: cannot open sqlite:${path}: it is a folder, not a database file`);
  });

  test("a file that is not a SQLite database, left byte for byte as it was", async () => {
    const path = join(newFolder(), "notes.txt");
    writeFileSync(path, "my precious notes\n");
    expect(await refuse(path)).toBe(
      `srsr: cannot open sqlite:${path}: the file is not a SQLite database (left untouched; choose a new path)`,
    );
    expect(readFileSync(path, "utf8")).toBe("my precious notes\n");
  });

  test("a database written by a newer srsr, left byte for byte as it was", async () => {
    const path = join(newFolder(), "reg.db");
    const db = new Database(path);
    db.run("CREATE TABLE instances (id TEXT PRIMARY KEY)");
    db.run("PRAGMA user_version = 99");
    db.close();
    const before = readFileSync(path);
    expect(await refuse(path)).toStartWith(
      `srsr: cannot open sqlite:${path}: its schema (version 99) is newer than this srsr knows`,
    );
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  test("another program's SQLite database", async () => {
    const path = join(newFolder(), "other.db");
    const db = new Database(path);
    db.run("CREATE TABLE invoices (id INTEGER PRIMARY KEY)");
    db.close();
    expect(await refuse(path)).toStartWith(`srsr: cannot open sqlite:${path}: it is a SQLite database but not srsr's`);
  });

  // /proc refuses new files even to root; only Linux has it.
  test.skipIf(!existsSync("/proc/self"))("a folder that is not writable (Linux only: uses /proc)", async () => {
    expect(await refuse("/proc/reg.db")).toBe(
      "srsr: cannot create sqlite:/proc/reg.db: folder /proc is not writable (check its permissions)",
    );
  });

  // root may write anywhere, so permissions cannot make a file unwritable for it.
  const asRoot = process.getuid?.() === 0;
  test.skipIf(asRoot)("a file that is not writable (skipped as root: root writes anyway)", async () => {
    const path = join(newFolder(), "reg.db");
    new Database(path).close();
    chmodSync(path, 0o444);
    expect(await refuse(path)).toBe(`srsr: cannot open sqlite:${path}: the file is not writable (check its permissions)`);
  });

  test("a missing path is a usage error: exit 2", async () => {
    for (const spec of ["sqlite", "sqlite:"]) {
      const result = await runToExit([...command, "--store", spec]);
      expect(result.code).toBe(2);
      expect(result.stderr.trim()).toBe(`srsr: --store: store "${spec}" names no file: expected sqlite:PATH, e.g. sqlite:./reg.db`);
    }
  });
});
