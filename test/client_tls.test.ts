/**
 * RegistryClient over HTTPS (issue 14): a real srsr serving a certificate the test's own CA
 * signed; the client trusts that CA through the `fetch` it is given (Bun's per-request `tls`),
 * and every resource works over it: registration, reads, a long-poll and the event stream. A
 * client that does not trust the CA fails with an unreachable-style RegistryError.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Fetch, RegistryClient, RegistryError } from "../src/client.ts";
import { makeTestCertificates, type TestCertificates } from "./support/certificates.ts";
import { type RunningServer, srsrCommand, startServer } from "./support/server.ts";

let certificates: TestCertificates;
let srsr: RunningServer;
beforeAll(async () => {
  certificates = await makeTestCertificates();
  srsr = await startServer(srsrCommand("bun"), ["--tls-cert", certificates.certFile, "--tls-key", certificates.keyFile], {
    ca: certificates.ca,
    env: { SRSR_TOKEN: "s3cret" },
  });
});
afterAll(async () => {
  await srsr?.stop();
  await certificates?.remove();
});

describe("RegistryClient over HTTPS with the test's CA", () => {
  test("trusting the CA, with a token: registers, reads, long-polls and watches; not trusting it, every call fails", async () => {
    expect(srsr.url.startsWith("https://")).toBe(true);
    const ca = certificates.ca;
    const trusting: Fetch = (input, init) => fetch(input, { ...init, tls: { ca } });
    const registry = new RegistryClient({ server: srsr.url, token: "s3cret", fetch: trusting });
    const name = `tls-${crypto.randomUUID().slice(0, 8)}`;

    const stop = new AbortController();
    const events = registry.events.watch({ names: [name], signal: stop.signal })[Symbol.asyncIterator]();
    expect((await events.next()).value).toMatchObject({ type: "snapshot", instances: [] });
    const { index } = await registry.instances.list(name);
    const polling = registry.instances.list(name, { index, wait: 60_000 });

    const instance = await registry.registration.register(name, { address: "10.0.0.1:443", meta: { tls: "yes" } });
    expect((await polling).instances.map((found) => found.id)).toEqual([instance.id]);
    expect((await events.next()).value).toMatchObject({ type: "register", instance: { id: instance.id } });
    expect((await registry.instances.pick(name, { meta: { tls: "yes" } }))?.id).toBe(instance.id);
    expect(await registry.registration.deregister(instance.id)).toBe(true);
    stop.abort();
    await events.return?.(undefined);

    const withoutToken = new RegistryClient({ server: srsr.url, fetch: trusting });
    expect(((await withoutToken.instances.services().catch((error: unknown) => error)) as RegistryError).status).toBe(401);

    const untrusting = new RegistryClient({ server: srsr.url, token: "s3cret" });
    const error = await untrusting.instances.services().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBeUndefined();
  }, 60_000);
});
