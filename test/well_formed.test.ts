/**
 * Text that is not well-formed is refused, not repaired: bodies whose bytes are not UTF-8, and
 * lone UTF-16 surrogates from JSON escapes (`"\ud800"`) in names, ids, addresses and meta.
 * In-process with real bytes, then once over HTTP on each runtime.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "../src/app.ts";
import { BODY_NOT_UTF8 } from "../src/http.ts";
import { Registry } from "../src/registry.ts";
import { MemoryStore } from "../stores/memory/store.ts";
import { type RunningServer, srsrCommand, startServer } from "./support/server.ts";

const NOT_UTF8 = { error: BODY_NOT_UTF8 };
const LONE = "must not contain a lone UTF-16 surrogate (\\ud800-\\udfff without its pair)";

/** JSON text with raw bytes spliced in where `parts` has numbers. */
function bytes(...parts: (string | number[])[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array(parts.flatMap((part) => (typeof part === "string" ? [...new TextEncoder().encode(part)] : part)));
}

function setup() {
  const registry = new Registry(new MemoryStore({}), { defaultTtl: 30 });
  const app = createApp({ registry, clientIp: () => "10.1.2.3" });
  const call = async (method: string, path: string, body?: string | Uint8Array<ArrayBuffer>) => {
    const response = await app.request(path, { method, body });
    return { status: response.status, json: await response.json() };
  };
  return { registry, call };
}

describe("a body that is not UTF-8", () => {
  // Each byte sequence is refused by a strict decoder and was read as U+FFFD by a lax one.
  const invalid: [string, number[]][] = [
    ["a stray 0xff", [0xff]],
    ["a lone continuation byte", [0x80]],
    ["a truncated sequence", [0xe2, 0x82]],
    ["an overlong encoding of /", [0xc0, 0xaf]],
    ["an encoded surrogate (CESU-8)", [0xed, 0xa0, 0x80]],
    ["a code point past U+10FFFF", [0xf4, 0x90, 0x80, 0x80]],
    ["Latin-1 é", [0xe9]],
  ];

  test.each(invalid)("%s in a legacy name -> 400, and nothing is registered", async (_, raw) => {
    const { call, registry } = setup();
    expect(await call("POST", "/register", bytes('{"name":"bill', raw, 'ing","address":"10.0.0.5:80"}'))).toEqual({
      status: 400,
      json: NOT_UTF8,
    });
    expect((await registry.services()).services).toEqual([]);
  });

  test.each([
    ["POST", "/lookup", bytes('{"name":"a', [0xff], '"}')],
    ["POST", "/heartbeat", bytes('{"id":"', [0xff], '"}')],
    ["POST", "/deregister", bytes('{"id":"', [0xff], '"}')],
    ["POST", "/v1/services/billing/instances", bytes('{"address":"http://10.0.0.5:80","meta":{"zone":"', [0xff], '"}}')],
    ["PATCH", "/v1/instances/some-id", bytes('{"meta":{"zone":"', [0xfe], '"}}')],
  ] as [string, string, Uint8Array<ArrayBuffer>][])("%s %s with a 0xff byte -> 400", async (method, path, body) => {
    expect(await setup().call(method, path, body)).toEqual({ status: 400, json: NOT_UTF8 });
  });

  test("valid UTF-8 is kept as sent, with a byte-order mark too; U+FFFD only as the escape \\ufffd", async () => {
    const { call } = setup();
    for (const name of ["bïlling", "請求", "🧾"]) {
      expect((await call("POST", "/register", bytes(JSON.stringify({ name, address: "10.0.0.5:80" })))).status).toBe(200);
      expect((await call("GET", `/v1/services/${encodeURIComponent(name)}`)).json.instances).toHaveLength(1);
    }
    // A literal U+FFFD cannot be told from a decoder's stand-in for a bad byte: refused. The
    // JSON escape says the client meant it.
    expect(await call("POST", "/register", bytes('{"name":"a', [0xef, 0xbf, 0xbd], 'b","address":"10.0.0.5:80"}'))).toEqual({ status: 400, json: NOT_UTF8 });
    expect((await call("POST", "/register", bytes('{"name":"a\\ufffdb","address":"10.0.0.5:80"}'))).status).toBe(200);
    expect((await call("GET", `/v1/services/${encodeURIComponent("a\ufffdb")}`)).json.instances).toHaveLength(1);
    const withBom = await call("POST", "/lookup", bytes([0xef, 0xbb, 0xbf], '{"name":"bïlling"}'));
    expect(withBom).toEqual({ status: 200, json: { success: true, address: "10.0.0.5:80" } });
  });
});

describe("a lone UTF-16 surrogate from a JSON escape", () => {
  test.each([
    ["POST", "/register", '{"name":"s\\ud800","address":"10.0.0.5:80"}', `name: ${LONE}`],
    ["POST", "/register", '{"name":"\\udc00s","address":"10.0.0.5:80"}', `name: ${LONE}`],
    ["POST", "/register", '{"name":"s\\udc00\\ud800","address":"10.0.0.5:80"}', `name: ${LONE}`],
    ["POST", "/register", '{"name":"s","address":"http://a\\ud800b:80"}', `address: ${LONE}`],
    ["POST", "/lookup", '{"name":"s\\ud800"}', `name: ${LONE}`],
    ["POST", "/heartbeat", '{"id":"\\ud800"}', `id: ${LONE}`],
    ["POST", "/deregister", '{"id":"x\\udfff"}', `id: ${LONE}`],
    ["POST", "/v1/services/s/instances", '{"address":"10.0.0.5:80","meta":{"zone":"eu\\ud800"}}', `meta.zone: ${LONE}`],
    ["POST", "/v1/services/s/instances", '{"address":"10.0.0.5:80","meta":{"z\\ud800":"eu"}}', `meta: keys ${LONE}`],
    ["POST", "/v1/services/s/instances", '{"address":"\\ud800"}', `address: ${LONE}`],
    ["POST", "/v1/services/s/instances", '{"\\ud800":1}', `body: keys ${LONE}`],
    ["PATCH", "/v1/instances/some-id", '{"meta":{"zone":"\\udbff"}}', `meta.zone: ${LONE}`],
    ["PATCH", "/v1/instances/some-id", '{"meta":{"":"\\udbff"}}', `meta."": ${LONE}`],
    ["POST", "/lookup", '{"name":"s","extra":[{"a":"\\ud800"}]}', `extra.0.a: ${LONE}`],
  ])("%s %s %s -> 400 %s", async (method, path, body, error) => {
    const { call, registry } = setup();
    expect(await call(method, path, body)).toEqual({ status: 400, json: { error } });
    expect((await registry.services()).services).toEqual([]);
  });

  test("a surrogate pair, escaped or not, is a character like any other", async () => {
    const { call } = setup();
    expect((await call("POST", "/register", '{"name":"s\\ud83e\\uddfe","address":"10.0.0.5:80"}')).status).toBe(200);
    expect(await call("POST", "/lookup", '{"name":"s🧾"}')).toEqual({ status: 200, json: { success: true, address: "10.0.0.5:80" } });
    expect((await call("POST", "/lookup", '{"name":"\\u0041\\u00e9"}')).status).toBe(200);
  });

  test("one found ten thousand objects deep is named, with no stack overflow", async () => {
    const depth = 10_000;
    const body = `{"name":"s","x":${'{"a":'.repeat(depth)}"\\ud800"${"}".repeat(depth)}}`;
    const answer = await setup().call("POST", "/lookup", body);
    expect(answer.status).toBe(400);
    expect(answer.json.error).toBe(`x${".a".repeat(depth)}: ${LONE}`);
  });
});

for (const runtime of ["bun", "deno"] as const) {
  describe(`over HTTP on ${runtime}`, () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startServer(srsrCommand(runtime));
    });
    afterAll(async () => {
      await server?.stop("SIGKILL");
    });

    test("a name with a 0xff byte and one with a lone surrogate are refused; neither is stored", async () => {
      const response = await fetch(`${server.url}/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: bytes('{"name":"bill', [0xff], 'ing","address":"10.0.0.5:80"}'),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual(NOT_UTF8);
      expect(await server.post("/register", '{"name":"s\\ud800","address":"10.0.0.5:80"}')).toEqual({
        status: 400,
        json: { error: `name: ${LONE}` },
      });
      const services = await fetch(`${server.url}/v1/services`);
      expect((await services.json()).services).toEqual([]);
    });
  });
}
