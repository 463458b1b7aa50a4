/**
 * The bound on requests in progress per client address, shared by both runtime adapters: each
 * names the peer its own way (Bun's `server.requestIP`, Deno's `info.remoteAddr`) and wraps
 * its handler with {@link limitPerAddress}.
 *
 * @module
 */

/** The problem a refused request is told: the field is the connections of its address. */
export const tooManyConnections = (address: string, max: number) =>
  `connections: ${address} has ${max} requests in progress, the limit (--max-connections-per-ip); ` +
  "finish some first, or raise the limit";

/** The 429 of a request past the bound; its connection is closed so its body is never read. */
function refusal(address: string, max: number): Response {
  return new Response(JSON.stringify({ error: tooManyConnections(address, max) }), {
    status: 429,
    headers: { "content-type": "application/json", connection: "close" },
  });
}

/**
 * Methods whose requests are not counted: srsr reads no body for them, and they are the
 * long-polls and event streams, which a proxy or a watcher may hold by the thousand.
 */
const UNCOUNTED = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * `handle`, refusing a request whose peer address (`addressOf`) already has `max` requests in
 * progress. Counted are requests that may carry a body (POST, PUT, PATCH, DELETE…), from their
 * headers until their answer is ready, so one whose body is still arriving counts: what a
 * client can make the runtime buffer is bounded by `max` times the body cap. Without `max`,
 * `handle` itself.
 *
 * Addresses are looked up only when they could matter: while fewer than `max` requests are in
 * progress in all, no address can have `max` of them, and a request is let in knowing only
 * that it is in progress. Once `max` are, the new request's address and those of the requests
 * in progress (each looked up once) are compared. Naming the peer is the costly part on Bun
 * (`server.requestIP` took ~1 µs of a ~11 µs lookup), and ordinary traffic never pays it.
 */
export function limitPerAddress<Info>(
  max: number | undefined,
  addressOf: (request: Request, info: Info) => string | undefined,
  handle: (request: Request, info: Info) => Response | Promise<Response>,
): (request: Request, info: Info) => Response | Promise<Response> {
  if (max === undefined) return handle;
  /** Requests in progress, each with its info and, once looked up, its address (null: none). */
  const inProgress = new Map<Request, { info: Info; address?: string | null }>();
  /** Those in progress whose address was not looked up yet. */
  const unnamed = new Set<Request>();
  /** Requests in progress by address, of those whose address was looked up. */
  const counts = new Map<string, number>();
  const name = (request: Request, entry: { info: Info; address?: string | null }): string | null => {
    const address = addressOf(request, entry.info) ?? null;
    entry.address = address;
    if (address !== null) counts.set(address, (counts.get(address) ?? 0) + 1);
    return address;
  };
  const leave = (request: Request) => {
    const entry = inProgress.get(request);
    inProgress.delete(request);
    unnamed.delete(request);
    if (typeof entry?.address !== "string") return;
    const count = counts.get(entry.address)! - 1;
    if (count === 0) counts.delete(entry.address);
    else counts.set(entry.address, count);
  };
  return (request, info) => {
    if (UNCOUNTED.has(request.method)) return handle(request, info);
    const entry: { info: Info; address?: string | null } = { info };
    if (inProgress.size < max) {
      unnamed.add(request);
    } else {
      for (const other of unnamed) name(other, inProgress.get(other)!);
      unnamed.clear();
      const address = addressOf(request, info) ?? null;
      if (address !== null && (counts.get(address) ?? 0) >= max) return refusal(address, max);
      name(request, entry);
    }
    inProgress.set(request, entry);
    let answer;
    try {
      answer = handle(request, info);
    } catch (error) {
      leave(request);
      throw error;
    }
    if (!(answer instanceof Promise)) {
      leave(request);
      return answer;
    }
    return answer.finally(() => leave(request));
  };
}
