/**
 * Black-box: token auth on a spawned srsr, on Bun and on Deno — a token file with several
 * tokens plus SRSR_TOKEN, the start-up warning without them, and token files it cannot use.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "./support/eventually.ts";
import { type RunningServer, runToExit, srsrCommand, startServer } from "./support/server.ts";

const dir = mkdtempSync(join(tmpdir(), "srsr-auth-e2e-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FILE_TOKENS = ["t0k3n-retiring", "t0k3n-current"];
const ENV_TOKEN = "t0k3n-from-env";
const tokenFile = join(dir, "tokens");
writeFileSync(tokenFile, `# srsr tokens: one per line\n${FILE_TOKENS[0]}\n\n  ${FILE_TOKENS[1]}  \n`);

const WARNING = "anyone who can reach";

/** A POST as a client sends it, with `token` as its bearer token when given. */
async function post(server: RunningServer, path: string, body: unknown, token?: string) {
  const response = await fetch(server.url + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  return { status: response.status, challenge: response.headers.get("www-authenticate"), json: await response.json() };
}

for (const runtime of ["bun", "deno"] as const) {
  describe(`srsr on ${runtime}`, () => {
    const command = srsrCommand(runtime);

    test("with --token-file and SRSR_TOKEN: writes and reads need one of the tokens; no warning; no token printed", async () => {
      const server = await startServer(command, ["--token-file", tokenFile], { env: { SRSR_TOKEN: ENV_TOKEN } });
      try {
        const refused = await post(server, "/register", { name: "billing", address: "10.0.0.5:80" });
        expect(refused.status).toBe(401);
        expect(refused.challenge).toStartWith("Bearer");
        expect(refused.json.error).toStartWith("authorization: ");
        expect((await post(server, "/register", { name: "billing", address: "10.0.0.5:80" }, "t0k3n-currenu")).status).toBe(401);
        expect((await post(server, "/lookup", { name: "billing" })).status).toBe(401);

        for (const [index, token] of [...FILE_TOKENS, ENV_TOKEN].entries()) {
          const address = `10.0.0.${index + 1}:80`;
          const registered = await post(server, "/register", { name: `svc-${index}`, address }, token);
          expect({ token, status: registered.status }).toEqual({ token, status: 200 });
          expect((await post(server, "/lookup", { name: `svc-${index}` }, token)).json).toEqual({ success: true, address });
        }
        const v1 = await fetch(`${server.url}/v1/services`, { headers: { authorization: `Bearer ${FILE_TOKENS[1]}` } });
        expect(v1.status).toBe(200);
        expect((await v1.json()).services.map((service: { name: string }) => service.name)).toEqual(["svc-0", "svc-1", "svc-2"]);

        // The registrations are logged after the start-up lines: once the last is in, a warning would be too.
        await eventually(() => server.stderr().includes("svc-2"), "srsr logs the last registration");
        expect(server.stderr()).toContain(`srsr listening on ${server.url} `);
        expect(server.stderr()).not.toContain(WARNING);
        for (const token of [...FILE_TOKENS, ENV_TOKEN]) expect(server.stderr()).not.toContain(token);
      } finally {
        await server.stop("SIGKILL");
      }
    });

    test("with --open-reads: lookups need no token, registrations still do", async () => {
      const server = await startServer(command, ["--token-file", tokenFile, "--open-reads"]);
      try {
        expect((await post(server, "/register", { name: "billing", address: "10.0.0.5:80" })).status).toBe(401);
        expect((await post(server, "/register", { name: "billing", address: "10.0.0.5:80" }, FILE_TOKENS[0])).status).toBe(200);
        expect(await post(server, "/lookup", { name: "billing" })).toEqual({
          status: 200,
          challenge: null,
          json: { success: true, address: "10.0.0.5:80" },
        });
      } finally {
        await server.stop("SIGKILL");
      }
    });

    test("without tokens: one start-up line warns that anyone who reaches it can change it", async () => {
      const server = await startServer(command);
      try {
        await eventually(
          () => server.stderr().includes(`srsr: no --token-file: ${WARNING} ${server.url} can register and deregister\n`),
          "srsr warns that it has no tokens",
        );
        expect(server.stderr().split(WARNING)).toHaveLength(2);
      } finally {
        await server.stop("SIGKILL");
      }
    });

    test.each([
      ["a missing file", () => join(dir, "absent"), "cannot read it: no such file"],
      ["a folder", () => dir, "cannot read it: it is a folder, not a file"],
      ["an empty file", () => writeTokenFile("empty", ""), "holds no token"],
      ["a file of comments", () => writeTokenFile("comments", "# no tokens yet\n\n#\n"), "holds no token"],
      ["a file with a line that is no token", () => writeTokenFile("bad-line", "good\nsecret value\n"), "line 2 is not a bearer token"],
    ])("%s: one line naming the file, exit 1, nothing served", async (_, path, problem) => {
      const file = path();
      const result = await runToExit([...command, "--token-file", file]);
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toStartWith(`srsr: --token-file ${file}: ${problem}`);
      expect(result.stderr).not.toContain("secret");
    });

    test("an SRSR_TOKEN that is no bearer token: one line without the value, exit 2", async () => {
      const result = await runToExit(command, { env: { SRSR_TOKEN: "secret value" } });
      expect(result.code).toBe(2);
      expect(result.stderr.trim()).toBe("srsr: SRSR_TOKEN: is not a bearer token: use letters, digits and - . _ ~ + / with = only at the end");
    });
  });
}

function writeTokenFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
