/**
 * The two tables, drawn from the instances the stream holds: rows are keyed (a service's name,
 * an instance's id), so a change touches only its row, focus stays where it was, and a row
 * that goes fades out before it is removed.
 *
 * @module
 */

import type { WireInstance } from "../../wire/v1.ts";
import { formatAgo, formatDuration, matchesMeta, parseMetaFilter } from "./format.ts";

/** How long a leaving row fades (the stylesheet's `.leaving` transition) before it is removed. */
const FADE_MS = 400;

function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/** Puts `keys`' rows into `body` in that order, making new ones and fading out the rest. */
function reconcile(body: HTMLTableSectionElement, keys: readonly string[], make: (key: string) => HTMLTableRowElement, update: (row: HTMLTableRowElement, key: string) => void) {
  const rows = new Map<string, HTMLTableRowElement>();
  for (const row of body.rows) rows.set(row.dataset.key!, row);
  let before: ChildNode | null = body.firstChild;
  for (const key of keys) {
    let row = rows.get(key);
    if (row) {
      row.classList.remove("leaving");
      rows.delete(key);
    } else row = make(key);
    update(row, key);
    if (row !== before) body.insertBefore(row, before);
    before = row.nextSibling;
  }
  for (const row of rows.values()) {
    if (row.classList.contains("leaving")) continue;
    row.classList.add("leaving");
    setTimeout(() => row.classList.contains("leaving") && row.remove(), FADE_MS);
  }
}

export interface ServiceSummary {
  name: string;
  instances: number;
  /** Epoch ms of its last change seen. */
  lastChange: number;
}

/** The services table, filtered by a name substring. */
export function drawServices(services: readonly ServiceSummary[], filter: string, now: number): void {
  const body = document.querySelector<HTMLTableSectionElement>("#services tbody")!;
  const byName = new Map(services.map((service) => [service.name, service]));
  const needle = filter.trim().toLowerCase();
  const shown = services.filter(({ name }) => name.toLowerCase().includes(needle)).map(({ name }) => name);
  reconcile(body, shown, (name) => {
    const link = element("a", { href: `/ui/services/${encodeURIComponent(name)}`, textContent: name });
    const row = element("tr", {}, element("th", { scope: "row" }, link), element("td", { className: "number" }), element("td", {}, element("time")));
    row.dataset.key = name;
    return row;
  }, (row, name) => {
    const service = byName.get(name)!;
    row.cells[1].textContent = String(service.instances);
    const time = row.cells[2].firstElementChild as HTMLTimeElement;
    time.dateTime = new Date(service.lastChange).toISOString();
    time.textContent = formatAgo(service.lastChange, now);
  });
  setEmpty(shown.length === 0, services.length === 0 ? "No services are registered." : "No service matches the filter.");
}

function setEmpty(empty: boolean, text: string) {
  const note = document.getElementById("empty")!;
  note.hidden = !empty;
  note.textContent = text;
}

/** The instances table of one service, filtered by meta; `onDeregister` is the row's button. */
export function drawInstances(instances: readonly WireInstance[], filter: string, now: number, onDeregister: (instance: WireInstance) => void): void {
  const body = document.querySelector<HTMLTableSectionElement>("#instances tbody")!;
  const byId = new Map(instances.map((instance) => [instance.id, instance]));
  const wanted = parseMetaFilter(filter);
  const shown = instances.filter(({ meta }) => matchesMeta(meta, wanted))
    .sort((a, b) => a.registeredAt.localeCompare(b.registeredAt) || a.id.localeCompare(b.id)).map(({ id }) => id);
  reconcile(body, shown, (id) => {
    const bar = element("span", { className: "countdown" }, element("span", { className: "remaining" }));
    bar.setAttribute("role", "meter");
    bar.setAttribute("aria-valuemin", "0");
    const button = element("button", { type: "button", className: "danger small", textContent: "Deregister" });
    button.addEventListener("click", () => byId.get(id) && onDeregister(byId.get(id)!));
    const row = element("tr", {},
      element("th", { scope: "row" }, element("code", { textContent: id.slice(0, 8), title: id })),
      element("td", {}, element("code")),
      element("td", {}, element("div", { className: "meta" })),
      element("td", { className: "nowrap" }),
      element("td", { className: "number nowrap" }),
      element("td", { className: "nowrap" }, bar, element("span", { className: "left" })),
      element("td", {}, button));
    row.dataset.key = id;
    button.setAttribute("aria-label", `Deregister ${id}`);
    return row;
  }, (row, id) => {
    const instance = byId.get(id)!;
    (row.cells[1].firstElementChild as HTMLElement).textContent = instance.address;
    const badges = Object.entries(instance.meta).map(([key, value]) => element("span", { className: "badge", textContent: `${key}=${value}` }));
    row.cells[2].firstElementChild!.replaceChildren(...badges);
    row.cells[4].textContent = formatDuration(instance.ttl);
    row.dataset.expiresAt = String(Date.parse(instance.expiresAt));
    row.dataset.registeredAt = String(Date.parse(instance.registeredAt));
    row.dataset.ttl = String(instance.ttl);
  });
  tickInstances(now);
  setEmpty(shown.length === 0, instances.length === 0 ? "No live instance of this service." : "No instance matches the filter.");
}

/** Moves every age and countdown bar to `now`. */
export function tickInstances(now: number): void {
  for (const row of document.querySelectorAll<HTMLTableRowElement>("#instances tbody tr")) {
    const ttlMs = Number(row.dataset.ttl) * 1000;
    const leftMs = Math.max(0, Math.min(ttlMs, Number(row.dataset.expiresAt) - now));
    row.cells[3].textContent = formatDuration((now - Number(row.dataset.registeredAt)) / 1000);
    const bar = row.cells[5].firstElementChild as HTMLElement;
    const seconds = Math.ceil(leftMs / 1000);
    bar.setAttribute("aria-valuemax", String(ttlMs / 1000));
    bar.setAttribute("aria-valuenow", String(seconds));
    bar.setAttribute("aria-label", `Expires in ${formatDuration(seconds)}`);
    (bar.firstElementChild as HTMLElement).style.inlineSize = `${ttlMs > 0 ? (leftMs / ttlMs) * 100 : 0}%`;
    bar.classList.toggle("low", leftMs < ttlMs / 3);
    row.cells[5].lastElementChild!.textContent = formatDuration(seconds);
  }
}

/** Services' rows: only "… ago" moves. */
export function tickServices(now: number): void {
  for (const time of document.querySelectorAll<HTMLTimeElement>("#services tbody time")) {
    time.textContent = formatAgo(Date.parse(time.dateTime), now);
  }
}

export { element };
