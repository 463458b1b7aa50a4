/**
 * limitPerAddress(): the bound on one client address's writes in progress that both runtime
 * adapters wrap their handler with (src/runtime/per_address.ts). Over real sockets in
 * test/body_limits_e2e.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { limitPerAddress } from "../src/runtime/per_address.ts";

/** A handler whose answers wait until released, one per request, in order. */
function heldHandler() {
  const releases: (() => void)[] = [];
  const handle = () => new Promise<Response>((resolve) => releases.push(() => resolve(new Response("ok"))));
  return { handle, releases };
}

const post = (address: string) => new Request(`http://srsr.test/register?from=${address}`, { method: "POST", body: "{}" });
const addressOf = (request: Request) => new URL(request.url).searchParams.get("from") ?? undefined;

describe("limitPerAddress()", () => {
  test("refuses the write past the bound from one address with a 429 naming it, and serves another address", async () => {
    const { handle, releases } = heldHandler();
    const limited = limitPerAddress(2, addressOf, handle);
    const held = [limited(post("10.0.0.1"), undefined), limited(post("10.0.0.1"), undefined)];
    const refused = await limited(post("10.0.0.1"), undefined);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("connection")).toBe("close");
    expect(await refused.json()).toEqual({
      error: "connections: 10.0.0.1 has 2 requests in progress, the limit (--max-connections-per-ip); finish some first, or raise the limit",
    });
    const other = limited(post("10.0.0.2"), undefined);
    expect(releases).toHaveLength(3);
    for (const release of releases) release();
    expect((await other).status).toBe(200);
    await Promise.all(held);
    // Answered, they no longer count.
    const again = limited(post("10.0.0.1"), undefined);
    releases.at(-1)!();
    expect((await again).status).toBe(200);
  });

  test("names no peer while fewer than the bound are in progress, and each one once after", async () => {
    const { handle, releases } = heldHandler();
    const looked: string[] = [];
    const limited = limitPerAddress(3, (request: Request) => {
      looked.push(addressOf(request)!);
      return addressOf(request);
    }, handle);
    const held = [limited(post("10.0.0.1"), undefined), limited(post("10.0.0.2"), undefined), limited(post("10.0.0.1"), undefined)];
    expect(looked).toEqual([]);
    // The fourth finds three in progress: theirs are named once, then its own.
    const fourth = limited(post("10.0.0.1"), undefined);
    expect(looked.slice(0, 3)).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.1"]);
    const refused = await limited(post("10.0.0.1"), undefined);
    expect(refused.status).toBe(429);
    expect(looked.filter((address) => address === "10.0.0.2")).toHaveLength(1);
    for (const release of releases) release();
    await Promise.all([...held, fourth]);
  });

  test("a handler that throws or answers at once frees its place", async () => {
    const limited = limitPerAddress(1, addressOf, (request: Request) => {
      if (request.headers.has("x-throw")) throw new Error("boom");
      return new Response("ok");
    });
    const throwing = new Request("http://srsr.test/?from=a", { method: "POST", headers: { "x-throw": "1" } });
    expect(() => limited(throwing, undefined)).toThrow("boom");
    expect(((await limited(post("a"), undefined)) as Response).status).toBe(200);
    expect(((await limited(post("a"), undefined)) as Response).status).toBe(200);
  });

  test("reads (GET, HEAD, OPTIONS) are not counted: long-polls and event streams may be many", async () => {
    const { handle, releases } = heldHandler();
    const limited = limitPerAddress(1, addressOf, handle);
    const polls = Array.from({ length: 5 }, () => limited(new Request("http://srsr.test/v1/services?from=a"), undefined));
    expect(releases).toHaveLength(5);
    const write = limited(post("a"), undefined);
    expect(releases).toHaveLength(6);
    for (const release of releases) release();
    expect((await Promise.all([...polls, write])).map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 200]);
  });

  test("without a bound, the handler itself", () => {
    const handle = () => new Response("ok");
    expect(limitPerAddress(undefined, addressOf, handle)).toBe(handle);
  });
});
