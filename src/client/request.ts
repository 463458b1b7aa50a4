/**
 * The one request every client call makes: build -> send -> require OK -> decode. A non-2xx
 * answer becomes a {@link RegistryError} carrying the status and body; so does a network
 * failure, a timeout or an answer that is not a JSON object.
 *
 * @module
 */

/**
 * A registry call failed. `status` and `body` are set when the registry answered with a
 * non-2xx status (or an answer that could not be read); both are `undefined` when it could
 * not be reached at all.
 *
 * @example
 * ```ts
 * import { RegistryError, ServiceRegistryClient } from "srsr/client";
 *
 * const client = new ServiceRegistryClient({ server: "http://127.0.0.1:4214", name: "bad name" });
 * try {
 *   await client.register();
 * } catch (error) {
 *   if (error instanceof RegistryError) console.error(error.status, error.body);
 * }
 * ```
 */
export class RegistryError extends Error {
  override name = "RegistryError";
  /** The HTTP status, when the registry answered. */
  readonly status: number | undefined;
  /** The answer's body as text, when the registry answered. */
  readonly body: string | undefined;

  constructor(message: string, { status, body, cause }: { status?: number; body?: string; cause?: unknown } = {}) {
    super(message, { cause });
    this.status = status;
    this.body = body;
  }
}

/**
 * The `fetch` the client calls: any function shaped like it, so a wrapper that adds the
 * runtime's TLS options (Bun's `tls`, Deno's `client`) needs no cast.
 */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface RequestOptions {
  fetch: Fetch;
  /** Aborts the request when the client stops. */
  signal: AbortSignal;
  /** Milliseconds to wait for the whole answer. */
  timeout: number;
}

/** The longest body quoted in an error message; the full body stays on the error. */
const QUOTED_BODY_LENGTH = 500;

/**
 * POSTs `body` as JSON to `path` under `base` (a URL ending in `/`, so a registry behind a
 * path prefix keeps it) and returns the decoded JSON object of a 2xx answer.
 */
export async function postJson(
  base: URL,
  path: string,
  body: Record<string, unknown>,
  { fetch, signal, timeout }: RequestOptions,
): Promise<Record<string, unknown>> {
  const url = new URL(path, base);
  const what = `POST ${url.href}`;
  const deadline = withTimeout(signal, timeout);
  let status: number;
  let text: string;
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
      signal: deadline.signal,
    });
    status = response.status;
    text = await response.text();
    if (!response.ok) {
      throw new RegistryError(`${what}: ${status} ${response.statusText}: ${quote(text)}`, { status, body: text });
    }
  } catch (error) {
    if (error instanceof RegistryError) throw error;
    throw new RegistryError(`${what}: ${failureReason(error, deadline.timedOut(), signal, timeout)}`, { cause: error });
  } finally {
    deadline.clear();
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(text);
  } catch {
    throw new RegistryError(`${what}: ${status} answer is not JSON: ${quote(text)}`, { status, body: text });
  }
  if (typeof decoded !== "object" || decoded === null || Array.isArray(decoded)) {
    throw new RegistryError(`${what}: ${status} answer is not a JSON object: ${quote(text)}`, { status, body: text });
  }
  return decoded as Record<string, unknown>;
}

/** An HTTP method the v1 API answers. */
export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** A 2xx answer of {@link sendJson}: its status, headers, and its body decoded (`undefined` when empty). */
export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

/**
 * Sends one v1 call (build -> send -> require OK -> decode): `body`, when given, as JSON.
 * Resolves with the 2xx answer, or `undefined` for a 404 when `notFound` is `"value"` (a
 * missing instance is an answer, not a failure). Any other non-2xx answer, a network failure,
 * a timeout or a body that is not JSON rejects with a {@link RegistryError}.
 */
export async function sendJson(
  method: Method,
  url: URL,
  { body, headers = {}, notFound = "error" }: { body?: unknown; headers?: Record<string, string>; notFound?: "value" | "error" },
  { fetch, signal, timeout }: RequestOptions,
): Promise<Answer | undefined> {
  const what = `${method} ${url.href}`;
  const deadline = withTimeout(signal, timeout);
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method,
      headers: { accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: deadline.signal,
    });
    text = await response.text();
  } catch (error) {
    throw new RegistryError(`${what}: ${failureReason(error, deadline.timedOut(), signal, timeout)}`, { cause: error });
  } finally {
    deadline.clear();
  }
  const { status } = response;
  if (status === 404 && notFound === "value") return undefined;
  if (!response.ok) throw new RegistryError(`${what}: ${status} ${response.statusText}: ${quote(text)}`, { status, body: text });
  if (text === "") return { status, headers: response.headers, body: undefined };
  try {
    return { status, headers: response.headers, body: JSON.parse(text) };
  } catch {
    throw new RegistryError(`${what}: ${status} answer is not JSON: ${quote(text)}`, { status, body: text });
  }
}

/** A {@link RegistryError} for when an answer lacks what the wire API promises. */
export function unexpectedAnswer(url: string, answer: Record<string, unknown>, problem: string): RegistryError {
  const body = JSON.stringify(answer);
  return new RegistryError(`POST ${url}: unexpected answer (${problem}): ${quote(body)}`, { status: 200, body });
}

// AbortSignal.any and AbortSignal.timeout are missing from older Node 18 releases, and a
// combined signal lets the error say whether we timed out or were stopped.
export function withTimeout(signal: AbortSignal, timeout: number) {
  const controller = new AbortController();
  let timedOut = false;
  const abort = () => controller.abort(signal.reason);
  if (signal.aborted) abort();
  else signal.addEventListener("abort", abort, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`no answer within ${timeout} ms`));
  }, timeout);
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    clear() {
      clearTimeout(timer);
      signal.removeEventListener("abort", abort);
    },
  };
}

export function failureReason(error: unknown, timedOut: boolean, stop: AbortSignal, timeout: number): string {
  if (timedOut) return `no answer within ${timeout} ms`;
  if (stop.aborted) return "stopped because the client was closed";
  const { message, cause } = error as { message?: string; cause?: { message?: string; code?: string } };
  // Node's fetch says only "fetch failed" and keeps the reason (ECONNREFUSED, ...) in `cause`.
  const detail = cause?.code ?? cause?.message;
  return detail && !message?.includes(detail) ? `${message}: ${detail}` : message ?? String(error);
}

export function quote(text: string): string {
  return text.length > QUOTED_BODY_LENGTH ? `${text.slice(0, QUOTED_BODY_LENGTH)}...` : text;
}
