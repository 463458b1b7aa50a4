/**
 * The original srsr protocol's bodies, requests and answers, as zod schemas. Keys are declared
 * in the order the original's Go structs declare them (`id, success`; `success, address`), so
 * answers match it byte for byte.
 *
 * @module
 */

import { z } from "zod";
import { isPort } from "../address.ts";
import { address, instanceId, serviceName } from "./fields.ts";

// The original Python client sends `"port": ""` and `"address": ""` for "not given".
const legacyPort = z.union([z.number(), z.string(), z.null()], { error: "must be a number or a numeric string" })
  .optional()
  .transform((value, ctx) => {
    if (value === undefined || value === null || value === "") return undefined;
    const number = typeof value === "number" ? value : /^\d+$/.test(value) ? Number(value) : NaN;
    if (!isPort(number)) {
      ctx.issues.push({ code: "custom", input: value, message: "must be an integer from 1 to 65535" });
      return z.NEVER;
    }
    return number;
  })
  .meta({ description: "1–65535, as a number or a numeric string; `\"\"` means absent. Appended to the address as `:port`" });

export const registerRequest = z.object({ name: serviceName, address: address.nullable().optional(), port: legacyPort });
export const lookupRequest = z.object({ name: serviceName });
export const idRequest = z.object({ id: instanceId });

export const registerResponse = z.object({ id: z.string(), success: z.literal(true) });
export const lookupResponse = z.object({
  success: z.boolean(),
  address: z.string().meta({ description: "A live instance's address; empty when there is none" }),
});
export const successResponse = z.object({
  success: z.boolean().meta({ description: "false: unknown, removed or expired (register again)" }),
});

/** Bodies as a client may send them (before the `port` transform). */
export type RegisterRequest = z.input<typeof registerRequest>;
export type LookupRequest = z.input<typeof lookupRequest>;
export type IdRequest = z.input<typeof idRequest>;

export type RegisterResponse = z.infer<typeof registerResponse>;
export type LookupResponse = z.infer<typeof lookupResponse>;
export type SuccessResponse = z.infer<typeof successResponse>;
