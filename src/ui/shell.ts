/**
 * The dashboard's page, rendered by srsr: the landmarks, headings, tables and dialogs, empty;
 * the bundled script (src/ui/client/) fills them from the API and keeps them live. It holds no
 * data, so it is served without a token; what it shows is read with the tab's token.
 *
 * @module
 */

import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

export type View = { kind: "services" } | { kind: "service"; name: string };

export interface ShellAssets {
  /** The script's URL, named by its content's hash. */
  script: string;
  stylesheet: string;
}

const servicesView = () =>
  html`<section class="facts" aria-labelledby="facts-title">
  <h2 id="facts-title" class="visually-hidden">Server</h2>
  <dl id="facts">
    <div><dt>Version</dt><dd data-fact="version">–</dd></div>
    <div><dt>Store</dt><dd data-fact="store">–</dd></div>
    <div><dt>Timeout</dt><dd data-fact="timeout">–</dd></div>
    <div><dt>Uptime</dt><dd data-fact="uptime">–</dd></div>
    <div><dt>Services</dt><dd data-fact="services">–</dd></div>
    <div><dt>Instances</dt><dd data-fact="instances">–</dd></div>
  </dl>
</section>
<section class="listing" aria-labelledby="list-title">
  <div class="listing-head">
    <h1 id="list-title">Services</h1>
    <label class="filter">Filter by name <input id="filter" type="search" autocomplete="off" spellcheck="false"></label>
  </div>
  <table id="services">
    <thead><tr><th scope="col">Service</th><th scope="col" class="number">Instances</th><th scope="col">Last change</th></tr></thead>
    <tbody></tbody>
  </table>
  <p id="empty" class="empty" hidden>No services are registered.</p>
</section>`;

const serviceView = (name: string) =>
  html`<section class="listing" aria-labelledby="list-title">
  <div class="listing-head">
    <h1 id="list-title" tabindex="-1">${name}</h1>
    <label class="filter">Filter by meta <input id="filter" type="search" placeholder="key=value" autocomplete="off" spellcheck="false"></label>
  </div>
  <table id="instances">
    <thead><tr><th scope="col">Instance</th><th scope="col">Address</th><th scope="col">Meta</th><th scope="col">Age</th><th scope="col" class="number">TTL</th><th scope="col">Expires in</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
    <tbody></tbody>
  </table>
  <p id="empty" class="empty" hidden>No live instance of this service.</p>
</section>`;

const dialogs = () =>
  html`<dialog id="token-dialog" aria-labelledby="token-title">
  <form method="dialog">
    <h2 id="token-title">Token required</h2>
    <p id="token-reason"></p>
    <label>Bearer token <input id="token-input" type="password" autocomplete="off" required></label>
    <p id="token-error" class="error" role="alert"></p>
    <div class="actions"><button type="button" value="cancel">Cancel</button><button type="submit" value="ok" class="primary">Use this token</button></div>
  </form>
</dialog>
<dialog id="confirm-dialog" aria-labelledby="confirm-title">
  <form method="dialog">
    <h2 id="confirm-title">Deregister this instance?</h2>
    <p id="confirm-text"></p>
    <div class="actions"><button type="button" value="cancel" autofocus>Cancel</button><button type="submit" value="ok" class="danger">Deregister</button></div>
  </form>
</dialog>`;

/** The whole page for `view`. */
export function renderShell(view: View, assets: ShellAssets): HtmlEscapedString | Promise<HtmlEscapedString> {
  const title = view.kind === "service" ? `${view.name} · srsr` : "Services · srsr";
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${assets.stylesheet}">
<script type="module" src="${assets.script}"></script>
</head>
<body data-view="${view.kind}" data-name="${view.kind === "service" ? view.name : ""}">
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/ui">srsr</a>
  <nav aria-label="Breadcrumb"><ol>
    <li><a href="/ui"${view.kind === "services" ? html` aria-current="page"` : ""}>Services</a></li>
    ${view.kind === "service" ? html`<li><a href="/ui/services/${encodeURIComponent(view.name)}" aria-current="page">${view.name}</a></li>` : ""}
  </ol></nav>
  <p id="connection" class="connection" role="status" data-state="connecting">Connecting…</p>
</header>
<div class="layout">
<main id="main" class="content">
<p id="problem" class="problem" role="alert" hidden></p>
${view.kind === "service" ? serviceView(view.name) : servicesView()}
</main>
<aside class="changes" aria-labelledby="changes-title">
  <h2 id="changes-title">Recent changes</h2>
  <ol id="changes"></ol>
  <p id="no-changes" class="empty">None since this page opened.</p>
</aside>
</div>
${dialogs()}
<noscript><p class="problem">The dashboard needs JavaScript; the API is at /v1/services.</p></noscript>
</body>
</html>`;
}
