/** A fetch trusting a private CA, on Deno: Deno's fetch takes it through an HTTP client. @module */

import type { FetchTrustingCa } from "../types.ts";

interface DenoGlobal {
  createHttpClient(options: { caCerts: string[] }): unknown;
}

export const fetchTrustingCa: FetchTrustingCa = (ca) => {
  const client = (globalThis as unknown as { Deno: DenoGlobal }).Deno.createHttpClient({ caCerts: [ca] });
  return (input, init) => fetch(input, { ...init, client } as RequestInit);
};
