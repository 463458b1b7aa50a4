/**
 * The dashboard in a real browser (issue 15): Debian's Chromium driven by playwright-core
 * against a real srsr process. Live changes are awaited on the page (a row appearing, a row
 * gone) with the deadline, one second, counted from when the change happened; anything
 * else waits generously. Nothing here sleeps.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import axe from "axe-core";
import { launchChromium, openWatchedPage, type WatchedPage } from "../scripts/lib/browser.ts";
import { openEventStream } from "./support/event_stream.ts";
import { freePort, type RunningServer, srsrCommand, startServer } from "./support/server.ts";

/** "Within a second", from the issue: how long the page may take to show a change. */
const LIVE_MS = 1_000;
/** For what is not about liveness: a page loading, a server starting, a lease running out. */
const SLOW_MS = 20_000;

let browser: Browser;
const opened: WatchedPage[] = [];
const servers: RunningServer[] = [];
let scratch: string;

beforeAll(async () => {
  browser = await launchChromium();
  scratch = await mkdtemp(join(tmpdir(), "srsr-ui-"));
}, SLOW_MS);
afterEach(async () => {
  for (const { context } of opened.splice(0)) await context.close();
});
afterAll(async () => {
  await browser?.close();
  for (const server of servers) if (server.process.exitCode === null) await server.stop("SIGKILL");
  await rm(scratch, { recursive: true, force: true });
});

async function srsr(args: string[] = [], port?: number): Promise<RunningServer> {
  const server = await startServer(srsrCommand("bun"), args, { port });
  servers.push(server);
  return server;
}

/** Opens `path` and waits until the page is following the event stream. */
async function open(server: RunningServer, path: string, options: { colorScheme?: "light" | "dark" } = {}): Promise<WatchedPage> {
  const watched = await openWatchedPage(browser, options);
  opened.push(watched);
  await watched.page.goto(server.url + path);
  await watched.page.locator('#connection[data-state="live"]').waitFor({ timeout: SLOW_MS });
  return watched;
}

async function register(server: RunningServer, name: string, body: Record<string, unknown> = {}, token?: string) {
  const response = await server.fetch(`${server.url}/v1/services/${name}/instances`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ address: "10.0.0.7:8080", ...body }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; ttl: number };
}

const instanceRow = (page: Page, id: string) => page.locator(`#instances tbody tr[data-key="${id}"]:not(.leaving)`);
const serviceRow = (page: Page, name: string) => page.locator(`#services tbody tr[data-key="${name}"]:not(.leaving)`);
const countdownOf = async (page: Page, id: string) =>
  Number(await page.locator(`#instances tbody tr[data-key="${id}"] [role="meter"]`).getAttribute("aria-valuenow"));

/** Serious and critical axe-core violations on the page as it is now. */
async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the page's policy (rightly) refuses an inline script.
  await page.evaluate(axe.source);
  const results = await page.evaluate(() => (globalThis as unknown as { axe: typeof axe }).axe.run(document));
  return results.violations.filter(({ impact }) => impact === "serious" || impact === "critical")
    .map(({ id, help, nodes }) => `${id}: ${help} (${nodes.map((node) => node.target.join(" ")).join(", ")})`);
}

describe("the Services view", () => {
  test("loads with no console error, no failed request and no request leaving 127.0.0.1, showing the server's facts", async () => {
    const server = await srsr(["--timeout", "25"]);
    await register(server, "billing");
    const { page, problems } = await open(server, "/");
    expect(page.url()).toBe(`${server.url}/ui`);
    await serviceRow(page, "billing").waitFor({ timeout: SLOW_MS });
    await page.locator('[data-fact="version"]:not(:text("–"))').waitFor({ timeout: SLOW_MS });
    expect(await page.locator('[data-fact="store"]').textContent()).toBe("memory");
    expect(await page.locator('[data-fact="timeout"]').textContent()).toBe("25 s");
    expect(await page.locator('[data-fact="instances"]').textContent()).toBe("1");
    expect(problems).toEqual([]);
  }, 60_000);

  test("a service registered through the API appears within 1 s, and its name filters", async () => {
    const server = await srsr();
    const { page, problems } = await open(server, "/ui");
    await register(server, "search");
    await serviceRow(page, "search").waitFor({ timeout: LIVE_MS });
    await register(server, "billing");
    await serviceRow(page, "billing").waitFor({ timeout: LIVE_MS });
    expect(await page.locator("#changes li").count()).toBe(2);
    await page.locator("#filter").fill("bill");
    await serviceRow(page, "search").waitFor({ state: "detached", timeout: SLOW_MS });
    expect(await serviceRow(page, "billing").count()).toBe(1);
    expect(problems).toEqual([]);
  }, 60_000);

  test("axe-core finds no serious or critical violation, light and dark", async () => {
    const server = await srsr();
    await register(server, "billing", { meta: { zone: "a" } });
    for (const colorScheme of ["light", "dark"] as const) {
      const { page } = await open(server, "/ui", { colorScheme });
      await serviceRow(page, "billing").waitFor({ timeout: SLOW_MS });
      expect(await seriousViolations(page)).toEqual([]);
    }
  }, 60_000);
});

describe("the Service view", () => {
  test("an instance appears within 1 s, with its meta as badges, and a deregistration removes it within 1 s", async () => {
    const server = await srsr();
    const { page, problems } = await open(server, "/ui/services/billing");
    const { id } = await register(server, "billing", { meta: { zone: "eu-1", canary: "true" } });
    await instanceRow(page, id).waitFor({ timeout: LIVE_MS });
    expect(await instanceRow(page, id).locator(".badge").allTextContents()).toEqual(["zone=eu-1", "canary=true"]);
    expect((await server.fetch(`${server.url}/v1/instances/${id}`, { method: "DELETE" })).status).toBe(204);
    await page.locator(`#instances tbody tr[data-key="${id}"]`).waitFor({ state: "detached", timeout: LIVE_MS });
    expect(problems).toEqual([]);
  }, 60_000);

  test("a heartbeat resets the countdown, and an expiry removes the instance within 1 s of srsr's expire event", async () => {
    const server = await srsr();
    const { page, problems } = await open(server, "/ui/services/billing");
    const { id } = await register(server, "billing", { ttl: 6 });
    await instanceRow(page, id).waitFor({ timeout: LIVE_MS });
    await page.waitForFunction((id) => Number(document.querySelector(`tr[data-key="${id}"] [role="meter"]`)?.getAttribute("aria-valuenow")) <= 3, id, { timeout: SLOW_MS });
    expect((await server.fetch(`${server.url}/v1/instances/${id}/heartbeat`, { method: "PUT" })).status).toBe(200);
    await page.waitForFunction((id) => Number(document.querySelector(`tr[data-key="${id}"] [role="meter"]`)?.getAttribute("aria-valuenow")) >= 5, id, { timeout: SLOW_MS });
    expect(await countdownOf(page, id)).toBeGreaterThanOrEqual(5);

    const events = await openEventStream(`${server.url}/v1/events?name=billing`);
    try {
      await events.expectEvent("snapshot");
      await events.expectEvent("expire", SLOW_MS);
      await page.locator(`#instances tbody tr[data-key="${id}"]`).waitFor({ state: "detached", timeout: LIVE_MS });
    } finally {
      await events.close();
    }
    expect(await page.locator("#changes .tag.expire").count()).toBe(1);
    expect(problems).toEqual([]);
  }, 60_000);

  test("the deregister button asks for confirmation, then removes the instance; Cancel keeps it", async () => {
    const server = await srsr();
    const { id } = await register(server, "billing");
    const { page, problems } = await open(server, "/ui/services/billing");
    await instanceRow(page, id).waitFor({ timeout: SLOW_MS });
    const button = page.getByRole("button", { name: `Deregister ${id}` });
    await button.focus();
    await page.keyboard.press("Enter");
    await page.locator("#confirm-dialog[open]").waitFor({ timeout: SLOW_MS });
    await page.keyboard.press("Escape");
    await page.locator("#confirm-dialog:not([open])").waitFor({ state: "attached", timeout: SLOW_MS });
    expect((await server.fetch(`${server.url}/v1/instances/${id}`)).status).toBe(200);

    await button.click();
    await page.locator("#confirm-dialog").getByRole("button", { name: "Deregister" }).click();
    await page.locator(`#instances tbody tr[data-key="${id}"]`).waitFor({ state: "detached", timeout: SLOW_MS });
    expect((await server.fetch(`${server.url}/v1/instances/${id}`)).status).toBe(404);
    expect(problems).toEqual([]);
  }, 60_000);

  test("axe-core finds no serious or critical violation, with the confirmation open too", async () => {
    const server = await srsr();
    const { id } = await register(server, "billing", { meta: { zone: "a" } });
    const { page } = await open(server, "/ui/services/billing", { colorScheme: "dark" });
    await instanceRow(page, id).waitFor({ timeout: SLOW_MS });
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole("button", { name: `Deregister ${id}` }).click();
    await page.locator("#confirm-dialog[open]").waitFor({ timeout: SLOW_MS });
    expect(await seriousViolations(page)).toEqual([]);
  }, 60_000);
});

describe("with token auth on", () => {
  const TOKEN = "ui-t0ken-1";

  async function srsrWithToken(extra: string[] = []) {
    const file = join(scratch, `tokens-${crypto.randomUUID()}`);
    await writeFile(file, `${TOKEN}\n`);
    return await srsr(["--token-file", file, ...extra]);
  }

  test("with open reads, deregistering asks for the token; a wrong one is an error in the dialog, the right one deregisters", async () => {
    const server = await srsrWithToken(["--open-reads"]);
    const { id } = await register(server, "billing", {}, TOKEN);
    const { page } = await open(server, "/ui/services/billing");
    await instanceRow(page, id).waitFor({ timeout: SLOW_MS });
    await page.getByRole("button", { name: `Deregister ${id}` }).click();
    await page.locator("#confirm-dialog").getByRole("button", { name: "Deregister" }).click();
    await page.locator("#token-dialog[open]").waitFor({ timeout: SLOW_MS });
    await page.getByLabel("Bearer token").fill("not-the-token");
    await page.keyboard.press("Enter");
    await page.locator('#token-error:has-text("The token was refused")').waitFor({ timeout: SLOW_MS });
    expect((await server.fetch(`${server.url}/v1/instances/${id}`)).status).toBe(200);
    await page.getByLabel("Bearer token").fill(TOKEN);
    await page.getByRole("button", { name: "Use this token" }).click();
    await page.locator(`#instances tbody tr[data-key="${id}"]`).waitFor({ state: "detached", timeout: SLOW_MS });
    expect(await page.evaluate(() => sessionStorage.getItem("srsr.token"))).toBe(TOKEN);
  }, 60_000);

  test("with reads closed, the page asks for the token first, keeps it for the tab, and then shows the catalog", async () => {
    const server = await srsrWithToken();
    await register(server, "billing", {}, TOKEN);
    const watched = await openWatchedPage(browser);
    opened.push(watched);
    const { page } = watched;
    await page.goto(`${server.url}/ui`);
    await page.locator("#token-dialog[open]").waitFor({ timeout: SLOW_MS });
    expect(await page.locator("#connection").getAttribute("data-state")).toBe("locked");
    await page.getByLabel("Bearer token").fill(TOKEN);
    await page.keyboard.press("Enter");
    await serviceRow(page, "billing").waitFor({ timeout: SLOW_MS });
    await page.reload();
    await serviceRow(page, "billing").waitFor({ timeout: SLOW_MS });
    expect(await page.locator("#token-dialog[open]").count()).toBe(0);
  }, 60_000);
});

describe("when srsr goes away", () => {
  test("killed and restarted (SQLite store): the page says reconnecting, then catches up with what changed", async () => {
    const port = await freePort();
    const store = `sqlite:${join(scratch, "restart.db")}`;
    let server = await srsr(["--store", store], port);
    const { id: kept } = await register(server, "billing", { ttl: 600 });
    const { page } = await open(server, "/ui/services/billing");
    await instanceRow(page, kept).waitFor({ timeout: SLOW_MS });
    const resumedFrom: (string | undefined)[] = [];
    page.on("request", (request) => {
      if (new URL(request.url()).pathname === "/v1/events") resumedFrom.push(request.headers()["last-event-id"]);
    });

    await server.stop("SIGKILL");
    await page.locator('#connection[data-state="reconnecting"]').waitFor({ timeout: SLOW_MS });
    expect(await page.locator("#connection").textContent()).toContain("reconnecting");

    server = await srsr(["--store", store], port);
    const { id: added } = await register(server, "billing", { ttl: 600 });
    await page.locator('#connection[data-state="live"]').waitFor({ timeout: SLOW_MS });
    await instanceRow(page, added).waitFor({ timeout: SLOW_MS });
    expect(await instanceRow(page, kept).count()).toBe(1);
    // Every attempt after the drop asked to resume where the page left off.
    expect(resumedFrom.length).toBeGreaterThan(0);
    expect(resumedFrom.every((id) => id !== undefined && /^\d+$/.test(id))).toBe(true);
  }, 60_000);
});
