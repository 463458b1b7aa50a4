/**
 * A throwaway PostgreSQL server for tests and benchmarks: `initdb` into a temporary folder, a
 * free port on 127.0.0.1, `pg_ctl start`; `stop()` ends it and removes the folder. Root cannot
 * run `initdb`, so as root every PostgreSQL program runs as the `postgres` user (Debian's
 * `postgresql` package creates it). Debian keeps the programs in /usr/lib/postgresql/N/bin, off
 * the PATH; they are looked for there first, then on the PATH.
 *
 * `bun scripts/lib/postgres.ts` starts one and prints its URL, for trying srsr by hand; Ctrl-C
 * stops it.
 *
 * @module
 */

import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** What to install when the programs are missing. */
export const POSTGRES_INSTALL = "PostgreSQL's server programs (Debian, Ubuntu: sudo apt-get install postgresql)";

/** The folder holding `initdb` and `pg_ctl`, or `undefined` when PostgreSQL is not installed. */
export function postgresBinDir(): string | undefined {
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const bin = join(debian, version, "bin");
      if (existsSync(join(bin, "initdb"))) return bin;
    }
  }
  const onPath = Bun.which("initdb");
  return onPath ? join(onPath, "..") : undefined;
}

export interface ThrowawayPostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`: the superuser, no password (trust on loopback). */
  url: string;
  port: number;
  /** The data folder `pg_ctl -D` takes. */
  dataDir: string;
  /** Runs `pg_ctl ARGS -D dataDir` as the folder's owner; throws with its output when it fails. */
  pgCtl(...args: string[]): Promise<void>;
  /** Stops the server at once and removes its folder. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The uid and gid of `user`, from /etc/passwd. */
async function userIds(user: string): Promise<{ uid: number; gid: number } | undefined> {
  const line = (await Bun.file("/etc/passwd").text()).split("\n").find((entry) => entry.startsWith(`${user}:`));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

async function run(command: string[]): Promise<void> {
  const child = Bun.spawn(command, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  if (code !== 0) throw new Error(`${command.join(" ")} exited ${code}:\n${stdout}${stderr}`);
}

/**
 * Runs `pg_ctl ARGS -D dataDir` as the folder's owner (the postgres user when we are root),
 * e.g. `pgCtl(dataDir, "restart", "-m", "fast", "-w")`; throws with its output when it fails.
 */
export async function pgCtl(dataDir: string, ...args: string[]): Promise<void> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error(`pg_ctl not found: install ${POSTGRES_INSTALL}`);
  const command = [join(bin, "pg_ctl"), ...args, "-D", dataDir];
  await run(process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...command] : command);
}

/** Starts the server of `dataDir` and waits until it takes connections; its log goes to `server.log` there. */
export const startPostgres = (dataDir: string) => pgCtl(dataDir, "start", "-w", "-s", "-l", join(dataDir, "server.log"));

/** Restarts the server of `dataDir` (`-m fast`: clients are disconnected at once) and waits for it. */
export const restartPostgres = (dataDir: string) => pgCtl(dataDir, "restart", "-m", "fast", "-w", "-s", "-l", join(dataDir, "server.log"));

export interface ThrowawayOptions {
  /**
   * Turn off fsync: faster for tests, which survive a `pg_ctl restart` (a clean shutdown) but
   * not a power cut. Benchmarks keep the default, durable commits. @default true
   */
  fast?: boolean;
}

/** Starts a throwaway server; throws saying what to install when PostgreSQL is missing. */
export async function startThrowawayPostgres({ fast = true }: ThrowawayOptions = {}): Promise<ThrowawayPostgres> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error(`initdb not found: install ${POSTGRES_INSTALL}`);
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? await userIds("postgres") : undefined;
  if (asRoot && owner === undefined) throw new Error("running as root, and there is no postgres user to run initdb as");
  const as = (command: string[]) => (asRoot ? ["runuser", "-u", "postgres", "--", ...command] : command);

  const folder = mkdtempSync(join(tmpdir(), "srsr-postgres-"));
  const dataDir = join(folder, "data");
  if (owner) chownSync(folder, owner.uid, owner.gid);
  const port = await freePort();
  const control = (...args: string[]) => run(as([join(bin, "pg_ctl"), ...args, "-D", dataDir]));
  try {
    await run(as([join(bin, "initdb"), "-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"]));
    // In the configuration file rather than on pg_ctl's command line, so that a plain
    // `pg_ctl start` or `restart` (as the tests do) brings the server back the same.
    const settings = [`port = ${port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${folder}'`, "max_connections = 200"];
    if (fast) settings.push("fsync = off", "full_page_writes = off");
    appendFileSync(join(dataDir, "postgresql.conf"), `\n# srsr's throwaway server\n${settings.join("\n")}\n`);
    await startPostgres(dataDir);
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    pgCtl: control,
    stop: async () => {
      await control("stop", "-s", "-m", "immediate").catch(() => {});
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

if (import.meta.main) {
  const server = await startThrowawayPostgres();
  console.log(server.url);
  const stop = () => void server.stop().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  setInterval(() => {}, 1 << 30);
}
