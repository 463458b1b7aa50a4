/**
 * Look-alike names and dangerous addresses (issue 10, item 7): Unicode format characters in
 * names, and addresses a browser would run or read locally or that carry a password, are a 400
 * naming the field on the legacy and the v1 API alike; nothing is registered.
 */
import { describe, expect, test } from "bun:test";
import { createApp } from "../src/app.ts";
import { Registry } from "../src/registry.ts";
import { MemoryStore } from "../stores/memory/store.ts";

const FORMAT = "must not contain invisible or bidirectional format characters (Unicode Cf, such as U+200B or U+202E)";

function setup() {
  const registry = new Registry(new MemoryStore({ now: () => 1_000_000 }));
  const app = createApp({ registry, clientIp: () => "10.1.2.3" });
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await app.request(path, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, json: await response.json() };
  };
  const nothingRegistered = async () => expect((await registry.services()).services).toEqual([]);
  return { call, nothingRegistered };
}

// Each is invisible, or reorders what follows it: `billing` and one of these pass for `billing`.
const FORMAT_CHARACTERS: [string, string][] = [
  ["U+200B zero width space", "\u200B"],
  ["U+202E right-to-left override", "\u202E"],
  ["U+00AD soft hyphen", "\u00AD"],
  ["U+2066 left-to-right isolate", "\u2066"],
  ["U+180E Mongolian vowel separator", "\u180E"],
  ["U+FEFF zero width no-break space", "\uFEFF"],
  ["U+200D zero width joiner", "\u200D"],
  ["U+E0001 language tag", "\u{E0001}"],
];

describe("a name with a Unicode format character", () => {
  test.each(FORMAT_CHARACTERS)("%s -> 400 on legacy register and lookup, nothing registered", async (_, char) => {
    const { call, nothingRegistered } = setup();
    const name = `billing${char}`;
    expect(await call("POST", "/register", { name, address: "10.0.0.5:80" })).toEqual({ status: 400, json: { error: `name: ${FORMAT}` } });
    expect(await call("POST", "/lookup", { name })).toEqual({ status: 400, json: { error: `name: ${FORMAT}` } });
    await nothingRegistered();
  });

  test.each(FORMAT_CHARACTERS)("%s -> 400 in a v1 path and an event stream's ?name", async (_, char) => {
    const { call, nothingRegistered } = setup();
    const name = encodeURIComponent(`bill${char}ing`);
    const expected = { status: 400, json: { error: `name: ${FORMAT}` } };
    expect(await call("POST", `/v1/services/${name}/instances`, { address: "http://10.0.0.5:80" })).toEqual(expected);
    expect(await call("GET", `/v1/services/${name}`)).toEqual(expected);
    expect(await call("GET", `/v1/services/${name}/pick`)).toEqual(expected);
    expect(await call("GET", `/v1/events?name=${name}`)).toEqual(expected);
    await nothingRegistered();
  });

  test("whitespace is still told apart from format characters", async () => {
    expect((await setup().call("POST", "/lookup", { name: "bill ing" })).json.error).toBe(
      "name: must not contain whitespace or control characters",
    );
  });

  test("other non-ASCII names are kept: letters, ideographs, emoji, a ZWJ-free flag", async () => {
    const { call } = setup();
    for (const name of ["bïlling", "請求", "🧾", "🇫🇷", "مدفوعات"]) {
      expect((await call("POST", "/register", { name, address: "10.0.0.5:80" })).status).toBe(200);
    }
  });
});

describe("an address a browser would run, read locally, or leak a password from", () => {
  const refused: [string, string][] = [
    ["javascript:alert(document.cookie)", "must not be a javascript: URI"],
    ["JavaScript:alert(1)", "must not be a javascript: URI"],
    ["javascript://%0Aalert(1)", "must not be a javascript: URI"],
    ["javascript:80", "must not be a javascript: URI"],
    ["vbscript:msgbox(1)", "must not be a vbscript: URI"],
    ["VBScript:80", "must not be a vbscript: URI"],
    ["data:text/html,<script>alert(1)</script>", "must not be a data: URI"],
    ["data:text/html;base64,PHNjcmlwdD4=", "must not be a data: URI"],
    ["file:///etc/passwd", "must not be a file: URI"],
    ["FILE://server/share", "must not be a file: URI"],
    ["http://admin:hunter2@10.0.0.5:8080", "must not carry a password (user:password@): every lookup hands the address out"],
    ["postgres://app:secret@db.internal:5432/app", "must not carry a password (user:password@): every lookup hands the address out"],
    ["http://10.0.0.5\u200B:80", FORMAT],
    ["http://bill\u202Eing.internal:80", FORMAT],
  ];

  test.each(refused)("legacy register of %s -> 400", async (address, problem) => {
    const { call, nothingRegistered } = setup();
    expect(await call("POST", "/register", { name: "a", address })).toEqual({ status: 400, json: { error: `address: ${problem}` } });
    await nothingRegistered();
  });

  test.each(refused)("v1 register of %s -> 400", async (address, problem) => {
    const { call, nothingRegistered } = setup();
    expect(await call("POST", "/v1/services/a/instances", { address })).toEqual({ status: 400, json: { error: `address: ${problem}` } });
    await nothingRegistered();
  });

  test("a port given apart is checked with the address: javascript plus a port is still refused", async () => {
    const { call } = setup();
    expect((await call("POST", "/register", { name: "a", address: "javascript", port: 80 })).json).toEqual({
      error: "address: must not be a javascript: URI",
    });
  });

  test.each([
    // The original's rule: host:port parses as an absolute URI with the host as scheme. Hosts
    // named data or file (a Compose service, say) are real, and such a link runs nothing.
    "localhost:5000",
    "data:5432",
    "file:8080",
    // A bare user is no secret.
    "ssh://git@git.internal:22",
    "http://user@10.0.0.5:8080",
    "http://10.0.0.5:8080/data:x",
    "grpc://svc:9000",
  ])("%s is still accepted, on both APIs", async (address) => {
    const { call } = setup();
    expect((await call("POST", "/register", { name: "a", address })).status).toBe(200);
    expect((await call("POST", "/v1/services/b/instances", { address })).status).toBe(201);
    expect((await call("POST", "/lookup", { name: "a" })).json).toEqual({ success: true, address });
  });
});
