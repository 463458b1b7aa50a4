/**
 * Writes the dashboard's screenshots for the README: both views, light and dark, at 1280×800,
 * into docs/. Starts its own srsr (memory store) on a free port with a few made-up services,
 * drives Debian's Chromium, and stops srsr. Not run by the tests: `npm run screenshots`.
 *
 * Exit codes: 0 written, 1 something failed.
 *
 * @module
 */

import { join } from "node:path";
import { freePort, ROOT, srsrCommand, startServer } from "../test/support/server.ts";
import { launchChromium, openWatchedPage } from "./lib/browser.ts";

const DEMO: { name: string; address: string; meta: Record<string, string>; ttl: number }[] = [
  { name: "billing", address: "10.0.4.21:8080", meta: { zone: "eu-west-1a", version: "2.14.0" }, ttl: 60 },
  { name: "billing", address: "10.0.4.22:8080", meta: { zone: "eu-west-1b", version: "2.14.0" }, ttl: 60 },
  { name: "billing", address: "10.0.5.17:8080", meta: { zone: "eu-west-1c", version: "2.15.0-rc1", canary: "true" }, ttl: 30 },
  { name: "checkout", address: "10.0.6.3:9000", meta: { zone: "eu-west-1a" }, ttl: 30 },
  { name: "checkout", address: "10.0.6.4:9000", meta: { zone: "eu-west-1b" }, ttl: 30 },
  { name: "inventory", address: "10.0.7.9:7000", meta: {}, ttl: 45 },
  { name: "search", address: "10.0.8.2:9200", meta: { shard: "1" }, ttl: 90 },
  { name: "search", address: "10.0.8.3:9200", meta: { shard: "2" }, ttl: 90 },
];

const server = await startServer(srsrCommand("bun"), ["--host", "127.0.0.1"], { port: await freePort() });
const browser = await launchChromium();
try {
  for (const { name, ...body } of DEMO) {
    const { status } = await server.post(`/v1/services/${name}/instances`, body);
    if (status !== 201) throw new Error(`registering ${name}: ${status}`);
  }
  for (const colorScheme of ["light", "dark"] as const) {
    const { page, context, problems } = await openWatchedPage(browser, { colorScheme });
    for (const [view, path] of [["services", "/ui"], ["service", "/ui/services/billing"]] as const) {
      await page.goto(server.url + path);
      await page.locator('#connection[data-state="live"]').waitFor();
      await page.locator("tbody tr").first().waitFor();
      if (view === "services") {
        // Something in the recent-changes panel: a heartbeat-less instance comes and goes.
        const { json } = await server.post("/v1/services/reports/instances", { address: "10.0.9.1:8000" });
        await server.fetch(`${server.url}/v1/instances/${json.id}`, { method: "DELETE" });
        await page.locator("#changes li").nth(1).waitFor();
        await page.waitForFunction(() => document.querySelectorAll("#services tbody tr").length === 4);
      }
      const file = join(ROOT, "docs", `dashboard-${view}-${colorScheme}.png`);
      await page.screenshot({ path: file });
      console.error(`wrote ${file}`);
    }
    if (problems.length > 0) throw new Error(`the page ran into problems:\n${problems.join("\n")}`);
    await context.close();
  }
} finally {
  await browser.close();
  await server.stop();
}
