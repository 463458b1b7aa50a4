import { describe, expect, test } from "bun:test";
import { MemoryStore } from "../stores/memory/store.ts";
import { createApp } from "../src/app.ts";
import { createLogger, type LogFormat, type LogLevel } from "../src/logger.ts";
import { Registry } from "../src/registry.ts";

const TIME = new Date("2025-01-02T03:04:05.678Z");

/** A logger at `level` in `format` at a fixed time, writing into the returned lines. */
function capture(level: LogLevel = "debug", format: LogFormat = "text") {
  const lines: string[] = [];
  const logger = createLogger(level, (line) => lines.push(line), { format, now: () => TIME });
  return { logger, lines };
}

/** Splits a text line into its fields, reading quoted values as JSON strings. */
function textFields(line: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [, key, quoted, bare] of line.matchAll(/ ([^\s=]+)=(?:("(?:[^"\\]|\\.)*")|([^\s"]*))/g)) {
    fields[key] = quoted === undefined ? bare : JSON.parse(quoted);
  }
  return fields;
}

// What a client might send to break a line or fake a field.
const HOSTILE = ["a\nb", "a\r\nb", "a\rb", "tab\there", "a level=error", 'say "hi"', "a=b", "back\\slash", "nul\u0000", "del\u007f", "nel\u0085", "ls\u2028ps\u2029", ""];

describe("createLogger() in text", () => {
  test("writes `<time> <level> <message> key=value …`, leaving out undefined fields", () => {
    const { logger, lines } = capture();
    logger.info("register", { name: "billing", address: "http://10.0.0.5:8080", id: "0b7e", ttl: 15, extra: undefined });
    logger.debug("request", { method: "GET", path: "/v1/services", status: 200, ms: 0.42 });
    logger.warn("plain");
    expect(lines).toEqual([
      "2025-01-02T03:04:05.678Z info register name=billing address=http://10.0.0.5:8080 id=0b7e ttl=15",
      "2025-01-02T03:04:05.678Z debug request method=GET path=/v1/services status=200 ms=0.42",
      "2025-01-02T03:04:05.678Z warn plain",
    ]);
  });

  test("a value that could break the line or fake a field is quoted and escaped, and reads back as given", () => {
    for (const value of HOSTILE) {
      const { logger, lines } = capture();
      logger.info("request", { path: value, status: 200 });
      expect(lines).toHaveLength(1);
      expect(lines[0]).not.toMatch(/[\n\r\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
      expect(textFields(lines[0])).toEqual({ path: value, status: "200" });
    }
  });

  test("a forged ` level=error` stays inside its value", () => {
    const { logger, lines } = capture();
    logger.info("request", { path: "/x level=error msg=forged" });
    expect(lines).toEqual(['2025-01-02T03:04:05.678Z info request path="/x level=error msg=forged"']);
  });

  test("control characters in a message are escaped", () => {
    const { logger, lines } = capture();
    logger.error("a\nb\rc\u2028d");
    expect(lines).toEqual(["2025-01-02T03:04:05.678Z error a\\nb\\rc\\u2028d"]);
  });

  test("lines below the level are not written; debugEnabled says whether debug is", () => {
    const { logger, lines } = capture("warn");
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    expect(lines.map((line) => line.split(" ")[1])).toEqual(["warn", "error"]);
    expect(logger.debugEnabled).toBe(false);
    expect(capture("debug").logger.debugEnabled).toBe(true);
  });

  test("announce() writes the message alone, at every level", () => {
    const { logger, lines } = capture("error");
    logger.announce("srsr listening on http://127.0.0.1:4214 (store: memory, timeout: 30s)");
    expect(lines).toEqual(["srsr listening on http://127.0.0.1:4214 (store: memory, timeout: 30s)"]);
  });
});

describe("createLogger() in JSON", () => {
  test("writes one object per line: time, level, msg, then the fields", () => {
    const { logger, lines } = capture("debug", "json");
    logger.info("register", { name: "billing", address: "10.0.0.5:8080", id: "0b7e", skipped: undefined });
    logger.debug("request", { method: "GET", path: "/", status: 404, ms: 1.5, cached: false });
    expect(lines).toEqual([
      '{"time":"2025-01-02T03:04:05.678Z","level":"info","msg":"register","name":"billing","address":"10.0.0.5:8080","id":"0b7e"}',
      '{"time":"2025-01-02T03:04:05.678Z","level":"debug","msg":"request","method":"GET","path":"/","status":404,"ms":1.5,"cached":false}',
    ]);
  });

  test("every hostile value parses back as given, on one line", () => {
    for (const value of HOSTILE) {
      const { logger, lines } = capture("debug", "json");
      logger.debug(value, { path: value });
      expect(lines).toHaveLength(1);
      expect(lines[0]).not.toMatch(/[\n\r\u0085\u2028\u2029]/);
      expect(JSON.parse(lines[0])).toEqual({ time: TIME.toISOString(), level: "debug", msg: value, path: value });
    }
  });

  test("announce() is an info object, at every level", () => {
    const { logger, lines } = capture("error", "json");
    logger.announce("srsr listening on http://127.0.0.1:4214");
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { time: TIME.toISOString(), level: "info", msg: "srsr listening on http://127.0.0.1:4214" },
    ]);
  });
});

describe("the request log", () => {
  const requestLines = async (format: LogFormat, path: string) => {
    const { logger, lines } = capture("debug", format);
    const app = createApp({ registry: new Registry(new MemoryStore(), { logger }), logger });
    await app.request(path);
    return lines;
  };
  // Hono decodes the path: %0A arrives as a newline, %0D as a carriage return, %22 as a quote.
  const forged = "/v1/services/a%0A2025-01-02T03:04:05.678Z%20error%20forged%0D%20level=error%22";
  const decoded = '/v1/services/a\n2025-01-02T03:04:05.678Z error forged\r level=error"';

  test("in text, a path holding %0A, %0D and a forged level=error stays one line and one field", async () => {
    const lines = await requestLines("text", forged);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toStartWith("2025-01-02T03:04:05.678Z debug request method=GET path=");
    expect(lines[0]).not.toMatch(/[\n\r]/);
    expect(textFields(lines[0])).toEqual({ method: "GET", path: decoded, status: "400", ms: expect.stringMatching(/^[\d.]+$/) });
  });

  test("in JSON, the same path parses back whole, with the line's own level", async () => {
    const lines = await requestLines("json", forged);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toEqual({
      time: TIME.toISOString(),
      level: "debug",
      msg: "request",
      method: "GET",
      path: decoded,
      status: 400,
      ms: expect.any(Number),
    });
  });

  test("at info, lookups, heartbeats and reads log nothing", async () => {
    const { logger, lines } = capture("info");
    const app = createApp({ registry: new Registry(new MemoryStore(), { logger }), logger });
    const { id } = await (await app.request("/register", { method: "POST", body: '{"name":"a","address":"10.0.0.1:80"}' })).json();
    lines.length = 0;
    await app.request("/lookup", { method: "POST", body: '{"name":"a"}' });
    await app.request("/heartbeat", { method: "POST", body: JSON.stringify({ id }) });
    await app.request(`/v1/instances/${id}/heartbeat`, { method: "PUT" });
    await app.request("/v1/services/a/pick");
    await app.request("/v1/services/a");
    expect(lines).toEqual([]);
  });
});
