/**
 * The dashboard is inside srsr however it runs (issue 15): from source on Bun and on Deno, and
 * as the compiled binary run alone from an empty folder. On each, Chromium loads it with no
 * problem and shows a registration live.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { launchChromium, openWatchedPage } from "../scripts/lib/browser.ts";
import { EVERY_RUNTIME, serversOnEveryRuntime } from "./support/binary.ts";

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
}, 20_000);
afterAll(async () => {
  await browser?.close();
});

describe("the dashboard on every runtime", () => {
  const server = serversOnEveryRuntime();

  test.each(EVERY_RUNTIME)("%s: /ui loads with no problem and shows a registration within 1 s", async (runtime) => {
    const srsr = server(runtime);
    const { page, context, problems } = await openWatchedPage(browser);
    try {
      await page.goto(`${srsr.url}/`);
      await page.locator('#connection[data-state="live"]').waitFor({ timeout: 20_000 });
      const { status } = await srsr.post(`/v1/services/ui-${runtime}/instances`, { address: "10.0.0.9:80" });
      expect(status).toBe(201);
      await page.locator(`#services tbody tr[data-key="ui-${runtime}"]`).waitFor({ timeout: 1_000 });
      expect(await page.locator('[data-fact="version"]').textContent()).toMatch(/^\d+\.\d+\.\d+/);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
