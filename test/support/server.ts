/**
 * Spawns srsr as a real process on a free port, for end-to-end tests.
 *
 * @module
 */

import { createServer } from "node:net";
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "..", "..");
export const BUN = join(ROOT, "node_modules", ".bin", "bun");
export const DENO = join(ROOT, "node_modules", ".bin", "deno");

/** A port that was free a moment ago: bind port 0, read it, release it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RunningServer {
  url: string;
  port: number;
  process: ReturnType<typeof Bun.spawn>;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** `fetch`, trusting the server's CA when it serves HTTPS. */
  fetch: typeof fetch;
  post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

/** The command that runs srsr from source on `runtime`, before its flags. */
export function srsrCommand(runtime: "bun" | "deno"): string[] {
  return runtime === "bun" ? [BUN, join(ROOT, "main.ts")] : [DENO, "run", "-A", join(ROOT, "main.ts")];
}

/**
 * Starts `command` with `--port <port>` (a free one unless given) plus `args`, and waits until
 * it answers HTTP (HTTPS with `ca`).
 */
export async function startServer(
  command: string[],
  args: string[] = [],
  { cwd = ROOT, env = {}, port, host = "127.0.0.1", startDeadlineMs = 15_000, ca }: {
    cwd?: string;
    env?: Record<string, string>;
    port?: number;
    /** Where to reach it, as it goes in a URL (`[::1]` for IPv6). */
    host?: string;
    /** How long it may take to answer; more for a binary under emulation. @default 15_000 */
    startDeadlineMs?: number;
    /** The PEM certificate of the CA that signed the server's: reach it over HTTPS, trusting that CA. */
    ca?: string;
  } = {},
): Promise<RunningServer> {
  port ??= await freePort();
  const child = Bun.spawn([...command, "--port", String(port), ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  let stderr = "";
  (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr as ReadableStream<Uint8Array>) stderr += decoder.decode(chunk);
  })();
  const url = `${ca === undefined ? "http" : "https"}://${host}:${port}`;
  const trustingFetch = (ca === undefined ? fetch : (input, init) => fetch(input, { ...init, tls: { ca } })) as typeof fetch;
  const post = async (path: string, body: unknown) => {
    const response = await trustingFetch(url + path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  const deadline = Date.now() + startDeadlineMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`srsr exited with ${child.exitCode}: ${stderr}`);
    try {
      await post("/lookup", { name: "startup-probe" });
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`srsr did not answer within ${startDeadlineMs / 1000} s: ${stderr}`);
      await Bun.sleep(50);
    }
  }
  return {
    url,
    port,
    process: child,
    stderr: () => stderr,
    fetch: trustingFetch,
    post,
    stop: async (signal = "SIGTERM") => {
      child.kill(signal);
      return await child.exited;
    },
  };
}

/** Runs a command to completion: exit code and the output, for bad-usage tests. */
export async function runToExit(command: string[], { cwd = ROOT, env = {} } = {}) {
  const child = Bun.spawn(command, { cwd, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, stdout, stderr };
}
