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
 */
export function limitPerAddress<Info>(
  max: number | undefined,
  addressOf: (request: Request, info: Info) => string | undefined,
  handle: (request: Request, info: Info) => Response | Promise<Response>,
): (request: Request, info: Info) => Response | Promise<Response> {
  if (max === undefined) return handle;
  const inProgress = new Map<string, number>();
  const leave = (address: string) => {
    const count = inProgress.get(address)! - 1;
    if (count === 0) inProgress.delete(address);
    else inProgress.set(address, count);
  };
  return (request, info) => {
    if (UNCOUNTED.has(request.method)) return handle(request, info);
    const address = addressOf(request, info);
    if (address === undefined) return handle(request, info);
    const count = inProgress.get(address) ?? 0;
    if (count >= max) return refusal(address, max);
    inProgress.set(address, count + 1);
    let answer;
    try {
      answer = handle(request, info);
    } catch (error) {
      leave(address);
      throw error;
    }
    if (!(answer instanceof Promise)) {
      leave(address);
      return answer;
    }
    return answer.finally(() => leave(address));
  };
}
