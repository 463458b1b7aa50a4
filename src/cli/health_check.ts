/**
 * The health checks of `srsr register --check-http URL | --check-tcp HOST:PORT`: whether a
 * process that knows nothing of srsr (a database, a mock) is serving — an HTTP answer with a
 * 2xx status, or a TCP connection accepted — probed every `--check-every` by one timer that
 * waits for each probe before scheduling the next.
 *
 * @module
 */

import { connect } from "node:net";

export type HealthCheck = { kind: "http"; url: string } | { kind: "tcp"; host: string; port: number };

/** `--check-http http://127.0.0.1:8080/health`, `--check-tcp 127.0.0.1:5432`: the check as it was given. */
export function describeCheck(check: HealthCheck): string {
  if (check.kind === "http") return `--check-http ${check.url}`;
  return `--check-tcp ${check.host.includes(":") ? `[${check.host}]` : check.host}:${check.port}`;
}

/** Why the check fails now, or `undefined` when it passes. Never throws. */
export async function probe(check: HealthCheck, timeoutMs: number): Promise<string | undefined> {
  return check.kind === "http" ? await probeHttp(check.url, timeoutMs) : await probeTcp(check.host, check.port, timeoutMs);
}

async function probeHttp(url: string, timeoutMs: number): Promise<string | undefined> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, { signal: controller.signal });
    await response.body?.cancel().catch(() => {});
    return response.ok ? undefined : `answered ${response.status}`;
  } catch (error) {
    if (controller.signal.aborted) return `no answer within ${timeoutMs} ms`;
    const { message, code, cause } = error as { message?: string; code?: string; cause?: { message?: string } };
    return code ?? cause?.message ?? message ?? String(error);
  } finally {
    clearTimeout(timer);
  }
}

function probeTcp(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (problem: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    const timer = setTimeout(() => done(`no connection within ${timeoutMs} ms`), timeoutMs);
    socket.once("connect", () => done(undefined));
    socket.once("error", (error: Error & { code?: string }) => done(error.code ?? error.message));
  });
}

/**
 * Probes `check` now and then every `everyMs` (after the previous probe finished), telling
 * `onResult` each outcome, until the returned `stop()`. A probe may take up to `everyMs`, at
 * least a second and at most ten.
 */
export function watchHealth(check: HealthCheck, everyMs: number, onResult: (problem: string | undefined) => void): { stop(): void } {
  const timeoutMs = Math.min(Math.max(everyMs, 1_000), 10_000);
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const round = async () => {
    const problem = await probe(check, timeoutMs);
    if (stopped) return;
    onResult(problem);
    if (!stopped) timer = setTimeout(round, everyMs);
  };
  void round();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** `HOST:PORT` (`[::1]:5432` for IPv6) of `--check-tcp`, or `undefined`. */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || !(port >= 1 && port <= 65535)) return undefined;
  return { host: match[1] ?? match[2]!, port };
}
