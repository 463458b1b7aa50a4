/**
 * The benchmark's ceiling: the least a server can do with srsr's legacy requests on this
 * runtime. A bare `Bun.serve` handler that reads the JSON body, looks the name or id up in a
 * `Map`, and answers JSON: no framework, no validation, no store, no expiry. srsr is measured
 * against it, so anything srsr spends beyond this is its own.
 *
 * Usage: bun scripts/ceiling.ts PORT
 *
 * @module
 */

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error("ceiling: usage: bun scripts/ceiling.ts PORT (an integer from 1 to 65535)");
  process.exit(2);
}

interface Entry {
  name: string;
  address: string;
}

const byId = new Map<string, Entry>();
const byName = new Map<string, string[]>();

const json = (body: unknown, status = 200) => Response.json(body, { status });

Bun.serve({
  port,
  hostname: "127.0.0.1",
  development: false,
  async fetch(request) {
    const url = request.url;
    const path = url.slice(url.indexOf("/", 8));
    const body = (await request.json()) as { name?: string; id?: string; address?: string; port?: number };
    switch (path) {
      case "/lookup": {
        const addresses = byName.get(body.name!);
        if (!addresses) return json({ address: "", success: false });
        return json({ address: addresses[Math.floor(Math.random() * addresses.length)], success: true });
      }
      case "/heartbeat":
        return json({ success: byId.has(body.id!) });
      case "/register": {
        const id = crypto.randomUUID();
        const address = `${body.address}:${body.port}`;
        byId.set(id, { name: body.name!, address });
        let addresses = byName.get(body.name!);
        if (!addresses) byName.set(body.name!, (addresses = []));
        addresses.push(address);
        return json({ id, success: true });
      }
      case "/deregister": {
        // Leaves the address in byName: the ceiling prices the request, not bookkeeping.
        return json({ success: byId.delete(body.id!) });
      }
      default:
        return json({ error: "not found" }, 404);
    }
  },
});
console.error(`ceiling listening on http://127.0.0.1:${port}`);
// An orderly exit, so `bun --cpu-prof scripts/ceiling.ts` writes its profile when stopped.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(0));
