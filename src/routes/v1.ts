/**
 * The v1 API under `/v1`: services and their instances as JSON resources, with metadata,
 * per-instance TTLs and blocking reads (long-polls). Server-Sent Events are in events.ts.
 *
 * @module
 */

import { type Context, Hono } from "hono";
import { NEVER_CHANGED } from "../../stores/store.ts";
import { httpError, readJson, readParam, readValue } from "../http.ts";
import type { RequestIp } from "../middleware/client_ip.ts";
import type { Registry } from "../registry.ts";
import type { HoldOpen } from "../runtime/types.ts";
import type { Watchers } from "../watch.ts";
import { instanceId, serviceName } from "../wire/fields.ts";
import {
  DEFAULT_WAIT_MS,
  indexQuery,
  type InstanceListResponse,
  patchRequest,
  registerRequest,
  type ServiceListResponse,
  waitQuery,
  wireInstance,
} from "../wire/v1.ts";
import { registrationAddress } from "./registration.ts";

export interface V1RoutesOptions {
  requestIp: RequestIp;
  watchers: Watchers;
  holdOpen: HoldOpen;
  /** A float in [0, 1), for the long-poll jitter. @default Math.random */
  random?: () => number;
}

export const INDEX_HEADER = "X-Srsr-Index";

// Both are the fourth segment of their paths: /v1/services/:name…, /v1/instances/:id….
const nameParam = (c: Context) => readParam(c, "name", 3, serviceName);
const idParam = (c: Context) => readParam(c, "id", 3, instanceId);

/** `?meta.KEY=VALUE` (repeatable, all must match), or `undefined` when there is none. */
function metaFilter(c: Context): Record<string, string> | undefined {
  let filter: Record<string, string> | undefined;
  for (const [parameter, values] of Object.entries(c.req.queries())) {
    if (!parameter.startsWith("meta.")) continue;
    const key = parameter.slice("meta.".length);
    if (key === "" || key === "__proto__") throw httpError(400, `${parameter}: must name a meta key: meta.KEY=VALUE`);
    if (values.length > 1) throw httpError(400, `${parameter}: is given ${values.length} times; give each key once`);
    (filter ??= {})[key] = values[0];
  }
  return filter;
}

const notFound = (id: string) => httpError(404, `id: no live instance ${id} (it expired or was deregistered: register again)`);

export function v1Routes(registry: Registry, { requestIp, watchers, holdOpen, random = Math.random }: V1RoutesOptions): Hono {
  /**
   * Holds the request while `current()` is the client's view (`?index=N`), up to `?wait` plus
   * a jitter of at most wait/16, woken by changes to `names` (every change when omitted).
   */
  const longPoll = async (c: Context, current: (index: number) => boolean, names?: ReadonlySet<string>) => {
    const index = c.req.query("index");
    const wait = c.req.query("wait");
    const clientIndex = index === undefined ? 0 : readValue("index", index, indexQuery);
    const waitMs = wait === undefined ? DEFAULT_WAIT_MS : readValue("wait", wait, waitQuery);
    if (clientIndex === 0 || !current(clientIndex)) return;
    const timeoutMs = waitMs + random() * (waitMs / 16);
    holdOpen(c, Math.ceil(timeoutMs / 1000) + 30);
    const done = watchers.trackLongPoll();
    try {
      await watchers.until(() => !current(clientIndex), { names, timeoutMs, signal: c.req.raw.signal });
    } finally {
      done();
    }
  };

  /** Whether a client that read `name` at `index` has seen its latest state. */
  const nameIsAt = (name: string) => (index: number) => {
    if (index > registry.index()) return false; // the store was reset: answer at once
    const nameIndex = registry.nameIndex(name);
    if (nameIndex !== NEVER_CHANGED) return nameIndex === index;
    // Unknown: never registered, or forgotten. Nothing changed above reapedIndex() for it.
    return index === NEVER_CHANGED || index >= registry.reapedIndex();
  };

  return new Hono()
    .post("/services/:name/instances", async (c) => {
      const name = nameParam(c);
      const body = await readJson(c, registerRequest);
      const address = registrationAddress(c, requestIp, body);
      const instance = await registry.register({ name, address, meta: body.meta, ttl: body.ttl });
      c.header("Location", `/v1/instances/${encodeURIComponent(instance.id)}`);
      return c.json(wireInstance(instance), 201);
    })
    .get("/services", async (c) => {
      await longPoll(c, (index) => registry.index() === index);
      const { index, services } = await registry.services();
      c.header(INDEX_HEADER, String(index));
      return c.json({ index, services: [...services] } satisfies ServiceListResponse);
    })
    .get("/services/:name", async (c) => {
      const name = nameParam(c);
      const filter = metaFilter(c);
      await longPoll(c, nameIsAt(name), new Set([name]));
      const { index, instances } = await registry.list(name, filter);
      c.header(INDEX_HEADER, String(index));
      return c.json({ name, index, instances: instances.map(wireInstance) } satisfies InstanceListResponse);
    })
    .get("/services/:name/pick", async (c) => {
      const name = nameParam(c);
      const filter = metaFilter(c);
      const instance = await registry.pick(name, filter);
      c.header(INDEX_HEADER, String(registry.nameIndex(name)));
      if (!instance) {
        throw httpError(404, `name: no live instance of ${name}${filter ? " with that meta" : ""}`);
      }
      return c.json(wireInstance(instance));
    })
    .get("/instances/:id", async (c) => {
      const id = idParam(c);
      const instance = await registry.get(id);
      if (!instance) throw notFound(id);
      return c.json(wireInstance(instance));
    })
    .put("/instances/:id/heartbeat", async (c) => {
      const id = idParam(c);
      const instance = await registry.heartbeat(id);
      if (!instance) throw notFound(id);
      return c.json(wireInstance(instance));
    })
    .patch("/instances/:id", async (c) => {
      const id = idParam(c);
      const { meta } = await readJson(c, patchRequest);
      const instance = await registry.patchMeta(id, meta);
      if (!instance) throw notFound(id);
      return c.json(wireInstance(instance));
    })
    .delete("/instances/:id", async (c) => {
      const id = idParam(c);
      if (!(await registry.deregister(id))) throw notFound(id);
      return c.body(null, 204);
    });
}
