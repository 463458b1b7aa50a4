/**
 * The dashboard's embedded assets (issue 15): src/ui/assets.ts is exactly what bundling
 * src/ui/client/ and src/ui/style.css makes now (else run `npm run build`), and the page, its
 * script and its stylesheet stay within 60 KB after gzip and name no other host.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { createApp } from "../src/app.ts";
import { Registry } from "../src/registry.ts";
import { SCRIPT, STYLESHEET } from "../src/ui/assets.ts";
import { ASSETS_MODULE, renderAssetsModule } from "../scripts/embed_ui.ts";
import { MemoryStore } from "../stores/memory/store.ts";

const BUDGET_BYTES = 60 * 1024;

async function pages(): Promise<string[]> {
  const app = createApp({ registry: new Registry(new MemoryStore()) });
  return await Promise.all(["/ui", "/ui/services/billing"].map(async (path) => await (await app.request(`http://127.0.0.1${path}`)).text()));
}

describe("src/ui/assets.ts", () => {
  test("embeds exactly what bundling src/ui/client/ and src/ui/style.css makes (run `npm run build`)", async () => {
    expect(readFileSync(ASSETS_MODULE, "utf8")).toBe(await renderAssetsModule());
  }, 30_000);

  test("a page, the script and the stylesheet are at most 60 KB together after gzip", async () => {
    const [services, service] = await pages();
    const largest = Math.max(services.length, service.length) === services.length ? services : service;
    const gzipped = [largest, SCRIPT, STYLESHEET].reduce((total, text) => total + gzipSync(text).length, 0);
    expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES);
    expect(gzipped).toBeGreaterThan(1024);
  });

  test("nothing the page loads names another host: no CDN, no web font", async () => {
    for (const text of [...(await pages()), SCRIPT, STYLESHEET]) {
      expect(text.match(/\bhttps?:\/\/[^\s"'`)]*/g) ?? []).toEqual([]);
      expect(text).not.toContain("@import");
    }
  });
});
