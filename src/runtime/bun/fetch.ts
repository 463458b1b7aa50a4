/** A fetch trusting a private CA, on Bun: Bun's fetch takes the CA per request (`tls.ca`). @module */

import type { FetchTrustingCa } from "../types.ts";

export const fetchTrustingCa: FetchTrustingCa = (ca) => (input, init) => fetch(input, { ...init, tls: { ca } });
