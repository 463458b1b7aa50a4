import { describe, expect, test } from "bun:test";
import { MemoryStore } from "../stores/memory/store.ts";
import { createApp } from "../src/app.ts";
import { createLogger, type LogLevel } from "../src/logger.ts";
import { Registry } from "../src/registry.ts";

function setup({ clientIp = "10.1.2.3", trustProxy = false } = {}) {
  let now = 5_000_000;
  const registry = new Registry(new MemoryStore({ now: () => now }), { defaultTtl: 30 });
  const app = createApp({ registry, clientIp: () => clientIp, trustProxy });
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await app.request(path, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: response.status, type: response.headers.get("content-type"), json: await response.json() };
  };
  const registerAndLookup = async (body: unknown, headers: Record<string, string> = {}) => {
    const registered = await post("/register", body, headers);
    expect(registered.status).toBe(200);
    const name = (body as { name: string }).name;
    return (await post("/lookup", { name })).json.address as string;
  };
  return { app, post, registerAndLookup, advance: (ms: number) => (now += ms) };
}

describe("POST /register", () => {
  test("answers a uuid and success, keys in the original's order", async () => {
    const { app } = setup();
    const response = await app.request("/register", { method: "POST", body: '{"name":"billing","address":"10.0.0.5:80"}' });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("application/json");
    const text = await response.text();
    expect(text).toMatch(/^\{"id":"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}","success":true\}$/);
  });

  test.each([
    [{ name: "a", address: "http://10.0.0.5:8080" }, "http://10.0.0.5:8080"],
    [{ name: "a", address: "grpc://svc:9000" }, "grpc://svc:9000"],
    [{ name: "a", address: "localhost:5000" }, "localhost:5000"],
    [{ name: "a", address: "10.0.0.7:8080" }, "10.0.0.7:8080"],
    [{ name: "a", address: "[fd00::1]:80" }, "[fd00::1]:80"],
    [{ name: "a", address: "db.internal:5432" }, "db.internal:5432"],
    [{ name: "a", address: "http://10.0.0.5", port: 8080 }, "http://10.0.0.5:8080"],
    [{ name: "a", address: "10.0.0.5", port: "8080" }, "10.0.0.5:8080"],
    [{ name: "a", port: 8080 }, "http://10.1.2.3:8080"],
    [{ name: "a", address: "", port: "4321" }, "http://10.1.2.3:4321"],
    [{ name: "a", address: "", port: "" }, "http://10.1.2.3"],
    [{ name: "a" }, "http://10.1.2.3"],
    [{ name: "a", address: null, port: null }, "http://10.1.2.3"],
  ])("stores %j as %s", async (body, expected) => {
    expect(await setup().registerAndLookup(body)).toBe(expected);
  });

  test.each([
    ["::ffff:10.9.8.7", "http://10.9.8.7:80"],
    ["::1", "http://[::1]:80"],
    ["2001:db8::5", "http://[2001:db8::5]:80"],
  ])("deduces the address from client IP %s", async (clientIp, expected) => {
    expect(await setup({ clientIp }).registerAndLookup({ name: "a", port: 80 })).toBe(expected);
  });

  test("ignores X-Forwarded-For unless the proxy is trusted, and then takes the entry the proxy added", async () => {
    // The proxy appended 10.0.0.1, where it was reached from; 203.0.113.9 is whatever the client sent.
    const headers = { "x-forwarded-for": "203.0.113.9, 10.0.0.1" };
    expect(await setup().registerAndLookup({ name: "a", port: 80 }, headers)).toBe("http://10.1.2.3:80");
    expect(await setup({ trustProxy: true }).registerAndLookup({ name: "a", port: 80 }, headers))
      .toBe("http://10.0.0.1:80");
    expect(await setup({ trustProxy: true }).registerAndLookup({ name: "a", port: 80 }, { "x-forwarded-for": "unknown" }))
      .toBe("http://10.1.2.3:80");
    expect(await setup({ trustProxy: true }).registerAndLookup({ name: "a", port: 80 }, { "x-forwarded-for": "::1" }))
      .toBe("http://[::1]:80");
  });

  test("without an address and with no known client IP, says address is required", async () => {
    const registry = new Registry(new MemoryStore());
    const app = createApp({ registry });
    const response = await app.request("/register", { method: "POST", body: '{"name":"a","port":80}' });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toStartWith("address: is required");
  });

  test.each([
    [{}, "name: is required"],
    [{ name: 5 }, "name: must be a string"],
    [{ name: "" }, "name: must not be empty"],
    [{ name: "x".repeat(254) }, "name: must be at most 253 characters"],
    [{ name: "bill ing" }, "name: must not contain whitespace or control characters"],
    [{ name: "bill\u0007ing" }, "name: must not contain whitespace or control characters"],
    [{ name: "a", address: 5 }, "address: must be a string"],
    [{ name: "a", address: "localhost" }, "address: must be an absolute URI"],
    [{ name: "a", address: "http://10.0.0.1 :80" }, "address: must not contain whitespace"],
    [{ name: "a", address: "http://10.0.0.1:80\n" }, "address: must not contain whitespace"],
    [{ name: "a", address: `http://h/${"x".repeat(2048)}` }, "address: must be at most 2048 characters"],
    [{ name: "a", address: "10.0.0.1:70000" }, "address: port must be an integer from 1 to 65535"],
    [{ name: "a", address: "http://" }, "address: must be an absolute URI"],
    [{ name: "a", port: 0 }, "port: must be an integer from 1 to 65535"],
    [{ name: "a", port: 65536 }, "port: must be an integer from 1 to 65535"],
    [{ name: "a", port: 80.5 }, "port: must be an integer from 1 to 65535"],
    [{ name: "a", port: "abc" }, "port: must be an integer from 1 to 65535"],
    [{ name: "a", port: "-1" }, "port: must be an integer from 1 to 65535"],
    [{ name: "a", port: true }, "port: must be a number or a numeric string"],
    [{ name: "a", port: [80] }, "port: must be a number or a numeric string"],
  ])("rejects %j: %s", async (body, message) => {
    const { status, json } = await setup().post("/register", body);
    expect(status).toBe(400);
    expect(json.error).toStartWith(message);
  });
});

describe("POST /lookup, /heartbeat, /deregister", () => {
  test("accepts the original Go client's bodies: json.Encoder's trailing newline, empty address", async () => {
    const { post } = setup();
    expect((await post("/register", '{"name":"a","address":"http://10.0.0.1:80"}\n')).status).toBe(200);
    expect((await post("/register", '{"name":"b","address":""}\n')).status).toBe(200);
    expect((await post("/lookup", '{"name":"b"}\n')).json).toEqual({ success: true, address: "http://10.1.2.3" });
  });

  test("lookup answers success then address, byte for byte as the original", async () => {
    const { app, post } = setup();
    await post("/register", { name: "a", address: "10.0.0.1:80" });
    const lookup = (name: string) => app.request("/lookup", { method: "POST", body: JSON.stringify({ name }) });
    expect(await (await lookup("a")).text()).toBe('{"success":true,"address":"10.0.0.1:80"}');
    expect(await (await lookup("b")).text()).toBe('{"success":false,"address":""}');
  });


  test("lookup of an unknown name is success false with an empty address", async () => {
    const { status, json } = await setup().post("/lookup", { name: "nobody" });
    expect(status).toBe(200);
    expect(json).toEqual({ address: "", success: false });
  });

  test("heartbeat keeps an instance alive; expiry ends it", async () => {
    const { post, advance } = setup();
    const { id } = (await post("/register", { name: "a", address: "10.0.0.1:80" })).json;
    advance(25_000);
    expect((await post("/heartbeat", { id })).json).toEqual({ success: true });
    advance(25_000);
    expect((await post("/lookup", { name: "a" })).json).toEqual({ address: "10.0.0.1:80", success: true });
    advance(5_000);
    expect((await post("/lookup", { name: "a" })).json).toEqual({ address: "", success: false });
    expect((await post("/heartbeat", { id })).json).toEqual({ success: false });
  });

  test("deregister removes one instance only; a second time is success false", async () => {
    const { post } = setup();
    const first = (await post("/register", { name: "a", address: "10.0.0.1:80" })).json.id;
    await post("/register", { name: "a", address: "10.0.0.2:80" });
    expect((await post("/deregister", { id: first })).json).toEqual({ success: true });
    expect((await post("/deregister", { id: first })).json).toEqual({ success: false });
    expect((await post("/lookup", { name: "a" })).json).toEqual({ address: "10.0.0.2:80", success: true });
  });

  test.each(["/heartbeat", "/deregister"])("%s validates id", async (path) => {
    const { post } = setup();
    expect((await post(path, {})).json.error).toBe("id: is required");
    expect((await post(path, { id: 7 })).json.error).toBe("id: must be a string");
    expect((await post(path, { id: "" })).json.error).toBe("id: must not be empty");
    expect((await post(path, { id: "x".repeat(129) })).json.error).toBe("id: must be at most 128 characters");
    expect((await post(path, { id: "unknown" })).json).toEqual({ success: false });
  });

  test("lookup validates name", async () => {
    const { post } = setup();
    expect((await post("/lookup", {})).status).toBe(400);
    expect((await post("/lookup", { name: ["a"] })).json.error).toBe("name: must be a string");
  });
});

describe("bad bodies and paths", () => {
  test.each([
    ["", "body: is empty; expected a JSON object"],
    [" \n", "body: is empty; expected a JSON object"],
    ["{", "body: malformed JSON"],
    ["{'name': 'a'}", "body: malformed JSON"],
    ["[]", "body: must be a JSON object"],
    ["\"billing\"", "body: must be a JSON object"],
    ["null", "body: must be a JSON object"],
    ["42", "body: must be a JSON object"],
  ])("body %j -> 400 %s", async (body, message) => {
    for (const path of ["/register", "/deregister", "/lookup", "/heartbeat"]) {
      const { status, type, json } = await setup().post(path, body);
      expect(status).toBe(400);
      expect(type).toStartWith("application/json");
      expect(json.error).toStartWith(message);
      expect(json.error).not.toContain("    at ");
    }
  });

  test("a body over 64 KiB -> 413, and nothing is registered", async () => {
    const { post } = setup();
    const { status, json } = await post("/register", { name: "a", address: "10.0.0.1:80", pad: "x".repeat(70_000) });
    expect(status).toBe(413);
    expect(json.error).toBe("body: must be at most 65536 bytes");
    expect((await post("/lookup", { name: "a" })).json.success).toBe(false);
  });

  test("the limit counts UTF-8 bytes, not characters", async () => {
    const { post } = setup();
    const under = await post("/register", { name: "a", address: "10.0.0.1:80", pad: "é".repeat(30_000) });
    expect(under.status).toBe(200);
    const over = await post("/register", { name: "b", address: "10.0.0.1:80", pad: "é".repeat(33_000) });
    expect(over.status).toBe(413);
  });

  test("a chunked body over 64 KiB without Content-Length -> 413", async () => {
    const { app } = setup();
    const chunk = new TextEncoder().encode(`{"name":"a","pad":"${"x".repeat(40_000)}`);
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(chunk);
        controller.enqueue(chunk);
        controller.close();
      },
    });
    const response = await app.request("/register", { method: "POST", body, duplex: "half" } as RequestInit);
    expect(response.status).toBe(413);
  });

  test("unknown path -> 404 JSON; wrong method -> 405 JSON", async () => {
    const { app } = setup();
    const missing = await app.request("/nope", { method: "POST" });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "not found: POST /nope" });
    const wrong = await app.request("/lookup");
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    expect((await wrong.json()).error).toBe("method GET not allowed on /lookup: use POST");
  });
});

describe("logging", () => {
  const linesAt = async (level: LogLevel) => {
    const lines: string[] = [];
    const logger = createLogger(level, (line) => lines.push(line));
    const registry = new Registry(new MemoryStore(), { logger });
    const app = createApp({ registry, logger });
    await app.request("/register", { method: "POST", body: '{"name":"a","address":"10.0.0.1:80"}' });
    await app.request("/lookup", { method: "POST", body: '{"name":"a"}' });
    return lines;
  };

  test("info logs one line per register and none per request", async () => {
    const lines = await linesAt("info");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\S+Z info register name=a address=10\.0\.0\.1:80 id=[0-9a-f-]{36}$/);
  });

  test("debug adds one line per request with its status", async () => {
    const lines = await linesAt("debug");
    expect(lines.filter((line) => / debug request method=POST path=\/lookup status=200 ms=[\d.]+$/.test(line))).toHaveLength(1);
    expect(lines.filter((line) => / debug request method=POST path=\/register status=200 /.test(line))).toHaveLength(1);
  });

  test("warn logs nothing for normal traffic", async () => {
    expect(await linesAt("warn")).toEqual([]);
  });
});
