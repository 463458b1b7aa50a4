/**
 * Black-box: what srsr prints and how it exits for flags and variables it cannot use, on Bun
 * and on Deno. parseFlags() itself is table-tested in test/config.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { freePort, runToExit, srsrCommand } from "./support/server.ts";

for (const runtime of ["bun", "deno"] as const) {
  describe(`srsr on ${runtime}`, () => {
    const command = srsrCommand(runtime);

    test.each([
      [["--host", "999.1.1.1"], {}, '--host: invalid host "999.1.1.1": expected an IPv4 address, an IPv6 address or a hostname, such as 0.0.0.0, ::1 or localhost'],
      [["-t", "-1"], {}, '--timeout: invalid timeout "-1": expected seconds greater than 0 and at most 31536000'],
      [["-p"], {}, "--port: missing value: expected an integer from 1 to 65535"],
      [["--trust-proxy=yes"], {}, "--trust-proxy: takes no value (write --trust-proxy alone)"],
      [[], { SRSR_HOST: "999.1.1.1" }, 'SRSR_HOST: invalid host "999.1.1.1"'],
      [[], { SRSR_LOG_LEVEL: "loud" }, 'SRSR_LOG_LEVEL: invalid log level "loud": expected error, warn, info, debug'],
      [[], { SRSR_TRUST_PROXY: "yes" }, 'SRSR_TRUST_PROXY: invalid value "yes": expected 1, true, 0 or false'],
    ] as [string[], Record<string, string>, string][])("%j %j exits 2 with one line: %s", async (args, env, message) => {
      const result = await runToExit([...command, ...args], { env });
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toStartWith(`srsr: ${message}`);
    });

    test("an IPv6 address it cannot bind is bracketed in the one line, exit 1", async () => {
      const port = await freePort();
      // 2001:db8::/32 is for documentation: no machine has it.
      const result = await runToExit([...command, "--host", "2001:db8::1", "--port", String(port)]);
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(
        `srsr: cannot listen on [2001:db8::1]:${port}: the address is not on this machine (see --host)`,
      );
    });
  });
}
