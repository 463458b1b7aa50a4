/**
 * README's "In production" configs say what srsr accepts: the systemd unit's command line parses
 * to the config it means, and the Prometheus scrape config is YAML that scrapes /metrics with a
 * bearer token; where systemd is installed, `systemd-analyze verify` finds nothing wrong in the unit.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseFlags } from "../src/config.ts";
import { codeBlocks } from "./support/markdown_commands.ts";
import { ROOT } from "./support/server.ts";

const blocks = codeBlocks(readFileSync(join(ROOT, "README.md"), "utf8"), "README.md");
/** The one block of `lang` that holds `containing` (README.md has another YAML block, In CI's job). */
const only = (lang: string, containing = "") => {
  const found = blocks.filter((block) => block.lang === lang && block.lines.join("\n").includes(containing));
  expect(found).toHaveLength(1);
  return found[0]!.lines.join("\n");
};

describe("README: In production", () => {
  test("the systemd unit's ExecStart is a command line srsr accepts, with tokens, TLS, a SQLite file and JSON logs", () => {
    const unit = only("ini");
    const execStart = /^ExecStart=((?:.*\\\n)*.*)$/m.exec(unit)?.[1];
    expect(execStart).toBeDefined();
    const [binary, ...args] = execStart!.replace(/\\\n/g, " ").replaceAll("%d", "/run/credentials/srsr.service").split(/\s+/);
    expect(binary).toBe("/usr/local/bin/srsr");
    const command = parseFlags(args, {});
    expect(command).toMatchObject({
      kind: "serve",
      config: {
        host: "0.0.0.0",
        store: "sqlite:/var/lib/srsr/reg.db",
        tokenFile: "/run/credentials/srsr.service/tokens",
        tls: { cert: "/run/credentials/srsr.service/cert.pem", key: "/run/credentials/srsr.service/key.pem" },
        logFormat: "json",
      },
    });
    // Each file the command line names is a credential the unit loads, and the store lives in its state folder.
    for (const name of ["tokens", "cert.pem", "key.pem"]) expect(unit).toContain(`LoadCredential=${name}:/etc/srsr/${name}`);
    expect(unit).toContain("StateDirectory=srsr\n");
    expect(unit).toContain("DynamicUser=yes\n");
  });

  // Skipped where systemd is not installed (macOS, most containers): it needs no running systemd.
  test.skipIf(!Bun.which("systemd-analyze"))("systemd-analyze verify finds no unknown key or bad value in the unit", async () => {
    const folder = mkdtempSync(join(tmpdir(), "srsr-unit-"));
    try {
      // verify also checks that ExecStart's program exists: stand one in for the binary.
      const unit = join(folder, "srsr.service");
      writeFileSync(unit, only("ini").replace("ExecStart=/usr/local/bin/srsr ", `ExecStart=${process.execPath} `));
      const verify = Bun.spawn(["systemd-analyze", "verify", unit], { stdout: "pipe", stderr: "pipe" });
      const [stdout, stderr, code] = await Promise.all([new Response(verify.stdout).text(), new Response(verify.stderr).text(), verify.exited]);
      expect({ code, output: stdout + stderr }).toEqual({ code: 0, output: "" });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  test("the Prometheus scrape config scrapes srsr's /metrics with a bearer token from a file", () => {
    const config = Bun.YAML.parse(only("yaml", "scrape_configs:")) as { scrape_configs: Record<string, unknown>[] };
    expect(config.scrape_configs).toEqual([
      {
        job_name: "srsr",
        scheme: "https",
        authorization: { type: "Bearer", credentials_file: expect.any(String) },
        tls_config: { ca_file: expect.any(String) },
        static_configs: [{ targets: ["registry.internal:4214"] }],
      },
    ]);
  });
});
