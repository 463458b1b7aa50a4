/**
 * Debian's Chromium, driven by playwright-core, for the dashboard's browser tests and its
 * screenshots: headless, and kept from making any connection of its own (no component
 * updates, no sync, no background networking), so whatever it requests the page asked for.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/** Where Debian's `chromium` package puts it; `.ci/prerequisites` installs it when missing. */
export const CHROMIUM = process.env.SRSR_CHROMIUM ?? "/usr/bin/chromium";

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    // playwright-core's own message suggests a download this project never makes.
    return Promise.reject(new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (sudo apt-get install chromium) or set SRSR_CHROMIUM to its path`));
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors, uncaught exceptions, failed requests and requests to other hosts, so far. */
  problems: string[];
}

/**
 * A page in a fresh context (its own sessionStorage) at 1280×800, in `colorScheme`, recording
 * every problem the page runs into. Requests to any host but `allowedHost` are aborted.
 */
export async function openWatchedPage(
  browser: Browser,
  { allowedHost = "127.0.0.1", colorScheme = "light" }: { allowedHost?: string; colorScheme?: "light" | "dark" } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme });
  const problems: string[] = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === "data:" || url.hostname === allowedHost) return route.continue();
    problems.push(`request leaving ${allowedHost}: ${url.href}`);
    return route.abort();
  });
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
  page.on("requestfailed", (request) => {
    // A stream cut by a restart or by leaving the page is not a failure of the page.
    if (new URL(request.url()).pathname === "/v1/events") return;
    problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`);
  });
  return { page, context, problems };
}
