/**
 * The dashboard's script: follows the event stream of every name (Services view) or of one
 * (Service view), keeps the live instances, and draws them; bundled by scripts/embed_ui.ts.
 *
 * @module
 */

import type { ChangeEvent, WireInstance } from "../../wire/v1.ts";
import type { StatusResponse } from "../../wire/status.ts";
import { deregister, getJson, Unauthorized } from "./api.ts";
import { askToken, confirmDeregister } from "./dialogs.ts";
import { formatClock, formatDuration } from "./format.ts";
import { type ConnectionState, followEvents } from "./stream.ts";
import { drawInstances, drawServices, element, type ServiceSummary, tickInstances, tickServices } from "./views.ts";

const view = document.body.dataset.view === "service" ? { kind: "service" as const, name: document.body.dataset.name! } : { kind: "services" as const };
const instances = new Map<string, WireInstance>();
const lastChangeOf = new Map<string, number>();
const filter = document.getElementById("filter") as HTMLInputElement;
let status: { facts: StatusResponse; at: number } | undefined;

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Connection lost: reconnecting…",
  locked: "Needs a token",
  failed: "Stopped",
};

function showProblem(text: string | undefined) {
  const problem = document.getElementById("problem")!;
  problem.hidden = text === undefined;
  problem.textContent = text ?? "";
}

function draw() {
  const now = Date.now();
  if (view.kind === "service") {
    drawInstances([...instances.values()], filter.value, now, (instance) => void deregisterWithConfirmation(instance));
    return;
  }
  const counts = new Map<string, number>();
  for (const { name } of instances.values()) counts.set(name, (counts.get(name) ?? 0) + 1);
  const services: ServiceSummary[] = [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, count]) => ({ name, instances: count, lastChange: lastChangeOf.get(name) ?? now }));
  drawServices(services, filter.value, now);
  drawFacts(services.length, instances.size, now);
}

function drawFacts(services: number, total: number, now: number) {
  const set = (fact: string, text: string) => (document.querySelector(`[data-fact="${fact}"]`)!.textContent = text);
  set("services", String(services));
  set("instances", String(total));
  if (!status) return;
  set("version", status.facts.version);
  set("store", status.facts.store);
  set("timeout", formatDuration(status.facts.timeout));
  set("uptime", formatDuration(status.facts.uptime + (now - status.at) / 1000));
}

async function loadStatus() {
  if (view.kind !== "services") return;
  try {
    status = { facts: await getJson<StatusResponse>("/v1/status"), at: Date.now() };
    draw();
  } catch {
    // The stream says what is wrong; the facts wait for the next connection.
  }
}

function recordChange({ type, instance }: ChangeEvent) {
  const list = document.getElementById("changes")!;
  const now = Date.now();
  const time = element("time", { dateTime: new Date(now).toISOString(), textContent: formatClock(now) });
  const link = element("a", { href: `/ui/services/${encodeURIComponent(instance.name)}`, textContent: instance.name });
  list.prepend(element("li", {}, time, " ", element("span", { className: `tag ${type}`, textContent: type }), " ", link, " ", element("code", { textContent: instance.address })));
  while (list.children.length > 20) list.lastElementChild!.remove();
  document.getElementById("no-changes")!.hidden = true;
}

/** Asks for a token until one lets `check` through; a cancel leaves a button to ask again. */
function tokenNeeded(reason: string, check: () => Promise<string | undefined>): Promise<void> {
  return new Promise((resolve) => {
    const attempt = async () => {
      if (await askToken(reason, check)) {
        showProblem(undefined);
        resolve();
        return;
      }
      showProblem(`${reason} `);
      const again = element("button", { type: "button", textContent: "Enter a token" });
      again.addEventListener("click", () => void attempt(), { once: true });
      document.getElementById("problem")!.append(again);
    };
    void attempt();
  });
}

const problemOf = async (action: () => Promise<unknown>) => {
  try {
    await action();
    return undefined;
  } catch (error) {
    return error instanceof Unauthorized ? `The token was refused: ${error.message}` : String((error as Error).message ?? error);
  }
};

async function deregisterWithConfirmation(instance: WireInstance) {
  if (!(await confirmDeregister(`${instance.address} (${instance.id}) of ${instance.name} will be removed now.`))) return;
  const problem = await problemOf(() => deregister(instance.id));
  // Its row (and the focused button in it) is about to go: keep the keyboard user's place.
  if (problem === undefined) return document.getElementById("list-title")!.focus();
  if (!problem.startsWith("The token was refused")) {
    showProblem(`Could not deregister ${instance.id}: ${problem}`);
    return;
  }
  await tokenNeeded("srsr needs a bearer token to deregister.", () => problemOf(() => deregister(instance.id)));
}

function setConnection(state: ConnectionState, detail?: string) {
  const connection = document.getElementById("connection")!;
  connection.dataset.state = state;
  connection.textContent = CONNECTION_TEXT[state];
  if (state === "failed") showProblem(detail);
  if (state === "live") void loadStatus();
}

filter.addEventListener("input", draw);
setInterval(() => {
  const now = Date.now();
  if (view.kind === "service") tickInstances(now);
  else {
    tickServices(now);
    if (status) drawFacts(Number(document.querySelector('[data-fact="services"]')!.textContent), instances.size, now);
  }
}, 250);

// Heartbeats are not changes, so no event tells of them: while its page is watched, one
// service's expiry times are read again every second to move its countdown bars back.
if (view.kind === "service") {
  setInterval(async () => {
    if (document.hidden || document.getElementById("connection")!.dataset.state !== "live") return;
    try {
      const list = await getJson<{ instances: WireInstance[] }>(`/v1/services/${encodeURIComponent(view.name)}`);
      for (const fresh of list.instances) if (instances.has(fresh.id)) instances.set(fresh.id, fresh);
      draw();
    } catch {
      // The stream notices a lost server and says so.
    }
  }, 1000);
}

void followEvents(view.kind === "service" ? [view.name] : [], {
  snapshot({ instances: live }) {
    const now = Date.now();
    instances.clear();
    for (const instance of live) {
      instances.set(instance.id, instance);
      lastChangeOf.set(instance.name, Math.max(lastChangeOf.get(instance.name) ?? 0, Date.parse(instance.registeredAt)));
    }
    draw();
    tickInstances(now);
  },
  change(event) {
    if (event.type === "register" || event.type === "update") instances.set(event.instance.id, event.instance);
    else instances.delete(event.instance.id);
    lastChangeOf.set(event.instance.name, Date.now());
    recordChange(event);
    draw();
  },
  state: setConnection,
  needToken: (reason) =>
    tokenNeeded(`srsr needs a bearer token to show its catalog (${reason}).`, () => problemOf(() => getJson("/v1/status"))),
});
