import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Command, type Config, DEFAULT_CONFIG, HELP, parseFlags, UsageError } from "../src/config.ts";

const serve = (args: string[], env: Record<string, string> = {}) => {
  const command = parseFlags(args, env);
  if (command.kind !== "serve") throw new Error(`expected serve, got ${command.kind}`);
  return command.config;
};

describe("parseFlags()", () => {
  test("defaults: port 4214, 127.0.0.1, 30 s, max TTL 3600 s, memory, info, no tokens, no TLS, metrics on", () => {
    expect(serve([])).toEqual({ ...DEFAULT_CONFIG });
    expect(DEFAULT_CONFIG).toEqual({
      port: 4214,
      host: "127.0.0.1",
      timeout: 30,
      maxTtl: 3600,
      store: "memory",
      trustProxy: false,
      trustedProxies: [],
      corsOrigins: [],
      logLevel: "info",
      logFormat: "text",
      tokenFile: undefined,
      token: undefined,
      openReads: false,
      tls: undefined,
      maxInstances: 1_000_000,
      maxInstancesPerName: 10_000,
      maxConnectionsPerIp: 256,
      metrics: true,
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
    [["--store", "postgres://srsr:secret@db.internal:5432/srsr"], { store: "postgres://srsr:secret@db.internal:5432/srsr" }],
    [["--store", "postgresql://srsr@db.internal/srsr"], { store: "postgresql://srsr@db.internal/srsr" }],
    [["--trust-proxy"], { trustProxy: true }],
    [["--trusted-proxy", "10.0.0.0/8"], { trustedProxies: ["10.0.0.0/8"] }],
    [["--trusted-proxy", "10.0.0.0/8, 192.168.1.7,fd00::/8"], { trustedProxies: ["10.0.0.0/8", "192.168.1.7", "fd00::/8"] }],
    [["--trusted-proxy", "10.0.0.0/8", "--trusted-proxy=::1"], { trustedProxies: ["10.0.0.0/8", "::1"] }],
    [["--cors-origin", "https://dash.example"], { corsOrigins: ["https://dash.example"] }],
    [["--cors-origin", "http://localhost:3000,https://Dash.Example:443/"], { corsOrigins: ["http://localhost:3000", "https://dash.example"] }],
    [["--cors-origin", "http://a.example", "--cors-origin", "http://b.example:8080"], { corsOrigins: ["http://a.example", "http://b.example:8080"] }],
    [["--log-level", "debug"], { logLevel: "debug" }],
    [["--log-format", "json"], { logFormat: "json" }],
    [["--token-file", "/etc/srsr/tokens"], { tokenFile: "/etc/srsr/tokens" }],
    [["--open-reads"], { openReads: true }],
    [["--tls-cert", "c.pem", "--tls-key", "k.pem"], { tls: { cert: "c.pem", key: "k.pem" } }],
    [["--max-instances", "5"], { maxInstances: 5 }],
    [["--max-instances-per-name", "100000000"], { maxInstancesPerName: 100_000_000 }],
    [["--max-connections-per-ip", "16"], { maxConnectionsPerIp: 16 }],
    [["--metrics", "off"], { metrics: false }],
    [["--metrics=on"], { metrics: true }],
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
    [["-p", "-1"], '--port: invalid port "-1": expected an integer from 1 to 65535'],
    [["-p", "1e3"], '--port: invalid port "1e3"'],
    [["-t", "0"], '--timeout: invalid timeout "0"'],
    [["--timeout=-5"], '--timeout: invalid timeout "-5": expected seconds greater than 0 and at most 31536000'],
    [["-t", "-1"], '--timeout: invalid timeout "-1": expected seconds greater than 0 and at most 31536000'],
    [["-t-1"], '--timeout: invalid timeout "-1"'],
    [["--timeout", "-0.5"], '--timeout: invalid timeout "-0.5"'],
    [["-t", "abc"], '--timeout: invalid timeout "abc"'],
    [["-t", "99999999999"], '--timeout: invalid timeout "99999999999"'],
    [["-t", "1e3"], '--timeout: invalid timeout "1e3"'],
    [["--max-ttl", "0"], '--max-ttl: invalid TTL "0": expected seconds greater than 0 and at most 31536000'],
    [["--log-format", "xml"], '--log-format: invalid log format "xml": expected text or json'],
    [["--tls-cert", "c.pem"], "--tls-cert: needs --tls-key too: HTTPS takes a certificate and its key"],
    [["--tls-key", "k.pem"], "--tls-key: needs --tls-cert too: HTTPS takes a certificate and its key"],
    [["--max-instances", "0"], '--max-instances: invalid count "0": expected an integer from 1 to 100000000'],
    [["--max-instances", "1e6"], '--max-instances: invalid count "1e6"'],
    [["--max-instances-per-name", "-3"], '--max-instances-per-name: invalid count "-3"'],
    [["--max-connections-per-ip", "0"], '--max-connections-per-ip: invalid count "0": expected an integer from 1 to 100000000'],
    [["--metrics", "yes"], '--metrics: invalid value "yes": expected on or off'],
    [["--open-reads=1"], "--open-reads: takes no value"],
    [["--token-file"], "--token-file: missing value"],
    [["--max-ttl", "1h"], '--max-ttl: invalid TTL "1h"'],
    [["--max-ttl", "-3"], '--max-ttl: invalid TTL "-3"'],
    [["--store", "redis://x"], '--store: unknown store "redis://x": expected memory, sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE'],
    [["--store", "memory:x"], '--store: unknown store "memory:x"'],
    [["--store", "sqlite"], '--store: store "sqlite" names no file: expected sqlite:PATH'],
    [["--store", "postgres:srsr:secret@db"], '--store: store "postgres:srsr@db" is not a PostgreSQL URL'],
    [["--store", "pg://srsr:secret@db/srsr"], '--store: unknown store "pg://srsr@db/srsr"'],
    [["--log-level", "loud"], '--log-level: invalid log level "loud": expected error, warn, info, debug'],
    [["--log-level", "INFO"], '--log-level: invalid log level "INFO"'],
    [["--host", "a b"], '--host: invalid host "a b": expected an IPv4 address, an IPv6 address or a hostname'],
    [["--host", "999.1.1.1"], '--host: invalid host "999.1.1.1": expected an IPv4 address, an IPv6 address or a hostname'],
    [["--host", "1.2.3"], '--host: invalid host "1.2.3"'],
    [["--host", "10.1"], '--host: invalid host "10.1"'],
    [["--host", "1.2.3.4.5"], '--host: invalid host "1.2.3.4.5"'],
    [["--host", "01.2.3.4"], '--host: invalid host "01.2.3.4"'],
    [["--host", "4214"], '--host: invalid host "4214"'],
    [["--host", "::g"], '--host: invalid host "::g"'],
    [["--host", "1::2::3"], '--host: invalid host "1::2::3"'],
    [["--host", "[::1"], '--host: invalid host "[::1"'],
    [["--host", "[127.0.0.1]"], '--host: invalid host "[127.0.0.1]"'],
    [["--host", "-bad.example"], "--host: missing value"],
    [["--host=-bad.example"], '--host: invalid host "-bad.example"'],
    [["--host", "bad-.example"], '--host: invalid host "bad-.example"'],
    [["--host", "a..b"], '--host: invalid host "a..b"'],
    [["--host", "example.com."], '--host: invalid host "example.com."'],
    [["--host", `${"a".repeat(64)}.example`], "--host: invalid host"],
    [["--host", "http://localhost"], '--host: invalid host "http://localhost"'],
    [["--host", "localhost:4214"], '--host: invalid host "localhost:4214"'],
    [["--host", "h\u00f6st"], '--host: invalid host "h\u00f6st"'],
    [["--host", ""], '--host: invalid host ""'],
    [["--trust-proxy=1"], "--trust-proxy: takes no value (write --trust-proxy alone)"],
    [["--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "nope"], '--trusted-proxy: invalid address or range "nope"'],
    [["--trusted-proxy"], "--trusted-proxy: missing value: expected IP addresses or CIDR ranges"],
    [["--cors-origin", "https://dash.example?x"], '--cors-origin: invalid origin "https://dash.example?x"'],
    [["--cors-origin", "ftp://dash.example"], '--cors-origin: invalid origin "ftp://dash.example"'],
    [["--help=yes"], "--help: takes no value"],
    [["-p"], "--port: missing value: expected an integer from 1 to 65535"],
    [["--host"], "--host: missing value: expected an IPv4 address, an IPv6 address or a hostname"],
    [["-p", "--host", "0.0.0.0"], "--port: missing value: expected an integer from 1 to 65535"],
    [["-t", "-p", "80"], "--timeout: missing value: expected seconds greater than 0"],
    [["--store", "--log-level=debug"], "--store: missing value: expected memory, sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE"],
    [["--log-level"], "--log-level: missing value: expected error, warn, info, debug"],
    [["--bogus"], "unknown option --bogus (see --help)"],
    [["-x"], "unknown option -x (see --help)"],
    [["--port8080"], "unknown option --port8080 (see --help)"],
    [["extra"], 'unexpected argument "extra": srsr takes only options (see --help)'],
    [["--trust-proxy", "true"], 'unexpected argument "true"'],
    [["--", "-p", "80"], 'unexpected argument "-p"'],
    [["-p", "80\n81"], '--port: invalid port "80\\n81"'],
  ])("%j -> UsageError %s", (args, message) => {
    expect(() => parseFlags(args, {})).toThrow(UsageError);
    expect(() => parseFlags(args, {})).toThrow(message);
  });

  test.each([
    [["--host", "127.0.0.1"], "127.0.0.1"],
    [["--host", "::"], "::"],
    [["--host", "::2"], "::2"],
    [["--host", "[::1]"], "::1"],
    [["--host", "fe80::1%lo"], "fe80::1%lo"],
    [["--host", "::ffff:10.0.0.1"], "::ffff:10.0.0.1"],
    [["--host", "localhost"], "localhost"],
    [["--host", "srsr.internal.example.com"], "srsr.internal.example.com"],
    [["--host", "my_service"], "my_service"],
    [["--host", "host-1.example"], "host-1.example"],
    [["--host", "1host.example"], "1host.example"],
    [["--host", "a".repeat(63)], "a".repeat(63)],
  ])("--host %j binds %s", (args, host) => {
    expect(serve(args).host).toBe(host);
  });

  test("every flag but --help and --version has an environment variable, named in --help and the README", () => {
    const env = {
      SRSR_PORT: "9000",
      SRSR_HOST: "::1",
      SRSR_TIMEOUT: "7",
      SRSR_MAX_TTL: "60",
      SRSR_STORE: "sqlite:./reg.db",
      SRSR_TRUST_PROXY: "1",
      SRSR_TRUSTED_PROXY: "10.0.0.0/8",
      SRSR_CORS_ORIGIN: "https://dash.example",
      SRSR_LOG_LEVEL: "debug",
      SRSR_LOG_FORMAT: "json",
      SRSR_TOKEN_FILE: "tokens.txt",
      SRSR_OPEN_READS: "true",
      SRSR_TLS_CERT: "c.pem",
      SRSR_TLS_KEY: "k.pem",
      SRSR_MAX_INSTANCES: "10",
      SRSR_MAX_INSTANCES_PER_NAME: "2",
      SRSR_MAX_CONNECTIONS_PER_IP: "3",
      SRSR_METRICS: "off",
    };
    expect(serve([], { ...env, SRSR_TOKEN: "s3cret" })).toEqual({
      port: 9000,
      host: "::1",
      timeout: 7,
      maxTtl: 60,
      store: "sqlite:./reg.db",
      trustProxy: true,
      trustedProxies: ["10.0.0.0/8"],
      corsOrigins: ["https://dash.example"],
      logLevel: "debug",
      logFormat: "json",
      tokenFile: "tokens.txt",
      token: "s3cret",
      openReads: true,
      tls: { cert: "c.pem", key: "k.pem" },
      maxInstances: 10,
      maxInstancesPerName: 2,
      maxConnectionsPerIp: 3,
      metrics: false,
    });
    const readme = readFileSync(join(import.meta.dir, "..", "README.md"), "utf8");
    const flagsTable = readme.slice(readme.indexOf("## Flags"), readme.indexOf("A flag wins over"));
    for (const variable of Object.keys(env)) {
      expect(HELP).toContain(variable);
      expect(flagsTable).toContain(`\`${variable}\``);
    }
  });

  test.each([
    ["1", true],
    ["true", true],
    ["TRUE", true],
    ["0", false],
    ["false", false],
    ["False", false],
    ["", false],
  ])("SRSR_TRUST_PROXY=%j -> trustProxy %p", (value, expected) => {
    expect(serve([], { SRSR_TRUST_PROXY: value }).trustProxy).toBe(expected);
  });

  test("--trust-proxy wins over SRSR_TRUST_PROXY=0", () => {
    expect(serve(["--trust-proxy"], { SRSR_TRUST_PROXY: "0" }).trustProxy).toBe(true);
  });

  test.each([
    [{ SRSR_PORT: "0" }, 'SRSR_PORT: invalid port "0": expected an integer from 1 to 65535'],
    [{ SRSR_PORT: "-1" }, 'SRSR_PORT: invalid port "-1"'],
    [{ SRSR_HOST: "999.1.1.1" }, 'SRSR_HOST: invalid host "999.1.1.1": expected an IPv4 address, an IPv6 address or a hostname'],
    [{ SRSR_TIMEOUT: "-1" }, 'SRSR_TIMEOUT: invalid timeout "-1": expected seconds greater than 0 and at most 31536000'],
    [{ SRSR_MAX_TTL: "x" }, 'SRSR_MAX_TTL: invalid TTL "x": expected seconds greater than 0 and at most 31536000'],
    [{ SRSR_STORE: "mongo" }, 'SRSR_STORE: unknown store "mongo": expected memory, sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE'],
    [{ SRSR_TRUST_PROXY: "yes" }, 'SRSR_TRUST_PROXY: invalid value "yes": expected 1, true, 0 or false'],
    [{ SRSR_TRUST_PROXY: "2" }, 'SRSR_TRUST_PROXY: invalid value "2"'],
    [
      { SRSR_TRUSTED_PROXY: "10.0.0.0/33" },
      'SRSR_TRUSTED_PROXY: invalid address or range "10.0.0.0/33": expected IP addresses or CIDR ranges, comma-separated, such as 10.0.0.0/8,fd00::/8',
    ],
    [{ SRSR_TRUSTED_PROXY: "10.0.0.1,proxy.internal" }, 'SRSR_TRUSTED_PROXY: invalid address or range "proxy.internal"'],
    [
      { SRSR_CORS_ORIGIN: "*" },
      'SRSR_CORS_ORIGIN: invalid origin "*": expected origins, comma-separated, such as https://dash.example or http://localhost:3000 (scheme, host and port only)',
    ],
    [{ SRSR_CORS_ORIGIN: "null" }, 'SRSR_CORS_ORIGIN: invalid origin "null"'],
    [{ SRSR_CORS_ORIGIN: "https://dash.example/app" }, 'SRSR_CORS_ORIGIN: invalid origin "https://dash.example/app"'],
    [{ SRSR_CORS_ORIGIN: "https://user:pw@dash.example" }, 'SRSR_CORS_ORIGIN: invalid origin "https://user:pw@dash.example"'],
    [{ SRSR_CORS_ORIGIN: "file:///index.html" }, 'SRSR_CORS_ORIGIN: invalid origin "file:///index.html"'],
    [{ SRSR_CORS_ORIGIN: "dash.example" }, 'SRSR_CORS_ORIGIN: invalid origin "dash.example"'],
    [{ SRSR_LOG_LEVEL: "verbose" }, 'SRSR_LOG_LEVEL: invalid log level "verbose": expected error, warn, info, debug'],
    [{ SRSR_PORT: "80\n81" }, 'SRSR_PORT: invalid port "80\\n81"'],
  ])("bad environment %j -> UsageError %s", (env, message) => {
    expect(() => parseFlags([], env)).toThrow(UsageError);
    expect(() => parseFlags([], env)).toThrow(message);
  });

  test("a flag wins over a bad variable", () => {
    expect(serve(["--log-level", "warn"], { SRSR_LOG_LEVEL: "verbose" }).logLevel).toBe("warn");
    expect(serve(["--host", "0.0.0.0"], { SRSR_HOST: "999.1.1.1" }).host).toBe("0.0.0.0");
  });

  test("every usage error is a single line", () => {
    const cases: [string[], Record<string, string>][] = [
      [["--nope"], {}],
      [["-t", "-1"], {}],
      [["-p"], {}],
      [["--host", "a\nb"], {}],
      [["--store", "x\ny"], {}],
      [[], { SRSR_LOG_LEVEL: "a\r\nb" }],
      [["extra\nline"], {}],
    ];
    for (const [args, env] of cases) {
      expect(() => parseFlags(args, env)).toThrow(UsageError);
      try {
        parseFlags(args, env);
      } catch (error) {
        expect((error as Error).message).not.toMatch(/[\r\n]/);
      }
    }
  });
});
