/** The one error body every API surface answers with. @module */

import { z } from "zod";

export const errorResponse = z.object({
  error: z.string().meta({ description: "`<field>: <what is wrong>`", example: "name: must not contain whitespace or control characters" }),
});

export type ErrorResponse = z.infer<typeof errorResponse>;
