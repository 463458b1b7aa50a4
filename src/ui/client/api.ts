/**
 * The dashboard's calls to srsr: the same origin, with the tab's bearer token when it has one.
 * The token lives in `sessionStorage`, so it is asked for once per tab and forgotten with it.
 *
 * @module
 */

const TOKEN_KEY = "srsr.token";

export const storedToken = (): string | undefined => sessionStorage.getItem(TOKEN_KEY) ?? undefined;
export const storeToken = (token: string): void => sessionStorage.setItem(TOKEN_KEY, token);

/** srsr said 401: no token, or one it does not accept. `message` is srsr's own `error`. */
export class Unauthorized extends Error {}

/** Any other answer that is not 2xx, carrying srsr's `error`. */
export class RequestFailed extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  const token = storedToken();
  return token === undefined ? extra : { ...extra, authorization: `Bearer ${token}` };
}

async function errorOf(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: unknown };
    if (typeof body.error === "string") return body.error;
  } catch {
    // not JSON: say what we have
  }
  return `HTTP ${response.status}`;
}

/** Throws {@link Unauthorized} on a 401 and {@link RequestFailed} on any other failure. */
export async function checked(response: Response): Promise<Response> {
  if (response.ok) return response;
  const message = await errorOf(response);
  if (response.status === 401) throw new Unauthorized(message);
  throw new RequestFailed(response.status, message);
}

export async function getJson<T>(path: string): Promise<T> {
  const response = await checked(await fetch(path, { headers: authHeaders({ accept: "application/json" }) }));
  return (await response.json()) as T;
}

/** `DELETE /v1/instances/ID`; `false` when it was already gone. */
export async function deregister(id: string): Promise<boolean> {
  const response = await fetch(`/v1/instances/${encodeURIComponent(id)}`, { method: "DELETE", headers: authHeaders() });
  if (response.status === 404) return false;
  await checked(response);
  return true;
}
