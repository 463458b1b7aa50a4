/**
 * The address a registration is stored with, one rule for the legacy and the v1 API: the
 * address given (with `:port` appended when a port is given too), or `http://<client IP>[:port]`.
 *
 * @module
 */

import type { Context } from "hono";
import { addressFromClientIp, addressProblem } from "../address.ts";
import { httpError } from "../http.ts";
import type { RequestIp } from "../middleware/client_ip.ts";

export function registrationAddress(
  c: Context,
  requestIp: RequestIp,
  { address, port }: { address?: string | null; port?: number },
): string {
  if (address) {
    const registered = port === undefined ? address : `${address}:${port}`;
    const problem = addressProblem(registered);
    if (problem) throw httpError(400, `address: ${problem}`);
    return registered;
  }
  const ip = requestIp(c);
  const deduced = ip === undefined ? undefined : addressFromClientIp(ip, port);
  if (deduced === undefined) throw httpError(400, "address: is required: the client's IP address could not be determined");
  return deduced;
}
