import { describe, expect, test } from "bun:test";
import { type Command, type Config, DEFAULT_CONFIG, parseFlags, UsageError } from "../src/config.ts";

const serve = (args: string[], env: Record<string, string> = {}) => {
  const command = parseFlags(args, env);
  if (command.kind !== "serve") throw new Error(`expected serve, got ${command.kind}`);
  return command.config;
};

describe("parseFlags()", () => {
  test("defaults: port 4214, 127.0.0.1, 30 s, max TTL 3600 s, memory, info", () => {
    expect(serve([])).toEqual({ ...DEFAULT_CONFIG });
    expect(DEFAULT_CONFIG).toEqual({
      port: 4214,
      host: "127.0.0.1",
      timeout: 30,
      maxTtl: 3600,
      store: "memory",
      trustProxy: false,
      logLevel: "info",
    });
  });

  test.each([
    [["-p", "8080"], { port: 8080 }],
    [["--port=1"], { port: 1 }],
    [["--port", "65535"], { port: 65535 }],
    [["-t", "5"], { timeout: 5 }],
    [["--timeout", "0.5"], { timeout: 0.5 }],
    [["--max-ttl", "86400"], { maxTtl: 86400 }],
    [["--max-ttl=0.25"], { maxTtl: 0.25 }],
    [["--host", "0.0.0.0"], { host: "0.0.0.0" }],
    [["--host", "::1"], { host: "::1" }],
    [["--store", "memory"], { store: "memory" }],
    [["--store", "sqlite:./reg.db"], { store: "sqlite:./reg.db" }],
    [["--store", "sqlite:/var/lib/srsr/reg.db"], { store: "sqlite:/var/lib/srsr/reg.db" }],
    [["--trust-proxy"], { trustProxy: true }],
    [["--log-level", "debug"], { logLevel: "debug" }],
  ] as [string[], Partial<Config>][])("%j sets %j", (args, expected) => {
    expect(serve(args)).toEqual({ ...DEFAULT_CONFIG, ...expected });
  });

  test("environment variables apply when the flag is absent; the flag wins", () => {
    const env = { SRSR_PORT: "9000", SRSR_TIMEOUT: "7", SRSR_HOST: "0.0.0.0", SRSR_STORE: "memory", SRSR_MAX_TTL: "60" };
    expect(serve([], env)).toEqual({ ...DEFAULT_CONFIG, port: 9000, timeout: 7, host: "0.0.0.0", maxTtl: 60 });
    expect(serve(["--max-ttl", "90"], env).maxTtl).toBe(90);
    expect(serve(["-p", "9001", "-t", "8"], env).port).toBe(9001);
    expect(serve(["-p", "9001", "-t", "8"], env).timeout).toBe(8);
    expect(serve([], { SRSR_PORT: "" }).port).toBe(4214);
  });

  test.each([
    [["-h"], "help"],
    [["--help", "-p", "0"], "help"],
    [["-V"], "version"],
    [["--version"], "version"],
  ] as [string[], Command["kind"]][])("%j is %s", (args, kind) => {
    expect(parseFlags(args, {}).kind).toBe(kind);
  });

  test.each([
    [["-p", "0"], '--port: invalid port "0": expected an integer from 1 to 65535'],
    [["-p", "70000"], '--port: invalid port "70000"'],
    [["-p", "abc"], '--port: invalid port "abc"'],
    [["-p", "80.5"], '--port: invalid port "80.5"'],
    [["-p", ""], '--port: invalid port ""'],
    [["-t", "0"], '--timeout: invalid timeout "0"'],
    [["--timeout=-5"], "--timeout: invalid timeout"],
    [["-t", "-5"], "Option '-t' argument is ambiguous"],
    [["-t", "abc"], '--timeout: invalid timeout "abc"'],
    [["-t", "99999999999"], '--timeout: invalid timeout "99999999999"'],
    [["--max-ttl", "0"], '--max-ttl: invalid TTL "0": expected seconds greater than 0 and at most 31536000'],
    [["--max-ttl", "1h"], '--max-ttl: invalid TTL "1h"'],
    [["--store", "redis://x"], '--store: unknown store "redis://x": expected memory or sqlite:PATH'],
    [["--store", "memory:x"], '--store: unknown store "memory:x"'],
    [["--store", "sqlite"], '--store: store "sqlite" names no file: expected sqlite:PATH'],
    [["--log-level", "loud"], '--log-level: invalid log level "loud": expected error, warn, info, debug'],
    [["--host", "a b"], '--host: invalid host "a b"'],
    [["--bogus"], "Unknown option '--bogus'"],
    [["extra"], "Unexpected argument 'extra'"],
    [["-p"], "Option '-p, --port <value>' argument missing"],
  ])("%j -> UsageError %s", (args, message) => {
    expect(() => parseFlags(args, {})).toThrow(UsageError);
    expect(() => parseFlags(args, {})).toThrow(message);
  });

  test.each([
    [{ SRSR_PORT: "0" }, 'SRSR_PORT: invalid port "0"'],
    [{ SRSR_TIMEOUT: "-1" }, 'SRSR_TIMEOUT: invalid timeout "-1"'],
    [{ SRSR_STORE: "mongo" }, 'SRSR_STORE: unknown store "mongo"'],
    [{ SRSR_MAX_TTL: "x" }, 'SRSR_MAX_TTL: invalid TTL "x"'],
  ])("bad environment %j -> UsageError %s", (env, message) => {
    expect(() => parseFlags([], env)).toThrow(message);
  });

  test("a usage error is a single line", () => {
    try {
      parseFlags(["--nope"], {});
      throw new Error("expected a UsageError");
    } catch (error) {
      expect((error as Error).message).not.toContain("\n");
    }
  });
});
