/**
 * Whether what a command printed is what a README shows it printing.
 *
 * A README shows an example, not a transcript, so a few things stand for any value of their
 * kind: `…` for whatever was left out (any string; in an object, any further keys; at the end of
 * an array, any further elements), an id (`0b7e6f0e-…`, or abbreviated `0b7e…`) for any id, and
 * an `index` for any index (it counts every change made before, which depends on what ran
 * first). Everything else must be exactly as shown. A shown header (`X-Srsr-Index: 7`) asks only
 * for that header; shown text that is neither JSON nor a header must be the whole output.
 *
 * @module
 */

const ELLIPSIS = "…";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_IN_TEXT = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const HEADER = /^([A-Za-z][A-Za-z0-9-]*): (\S.*)$/;

/** An example id: a whole one, or its first characters and `…`. Answers the part shown. */
function exampleId(shown: string): string | undefined {
  if (UUID.test(shown)) return shown;
  const prefix = shown.slice(0, -1);
  return shown.endsWith(ELLIPSIS) && /^[0-9a-f][0-9a-f-]*$/.test(prefix) ? prefix : undefined;
}

/**
 * The JSON that `shown` starts with, `…` outside strings turned into `"…"` (as an array element)
 * or `"…": "…"` (as an object member); `undefined` when it does not start with `{` or `[`.
 */
export function shownJson(shown: string): unknown {
  const text = shown.trim();
  if (!text.startsWith("{") && !text.startsWith("[")) return undefined;
  const open: string[] = [];
  let json = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (inString) {
      json += char;
      if (char === "\\") json += text[++i] ?? "";
      else if (char === '"') inString = false;
      continue;
    }
    if (char === ELLIPSIS) {
      json += open.at(-1) === "{" ? `"${ELLIPSIS}": "${ELLIPSIS}"` : `"${ELLIPSIS}"`;
      continue;
    }
    json += char;
    if (char === '"') inString = true;
    else if (char === "{" || char === "[") open.push(char);
    else if (char === "}" || char === "]") {
      open.pop();
      if (open.length === 0) return JSON.parse(json);
    }
  }
  throw new Error(`the JSON in ${JSON.stringify(shown)} is never closed`);
}

/** Whether `actual` (parsed JSON) is what `shown` (from {@link shownJson}) shows, under `key`. */
export function matchesShown(actual: unknown, shown: unknown, key = ""): boolean {
  if (typeof shown === "string") {
    if (typeof actual !== "string") return false;
    if (shown === ELLIPSIS) return true;
    if (exampleId(shown) !== undefined) return UUID.test(actual);
    return shown.endsWith(ELLIPSIS) ? actual.startsWith(shown.slice(0, -1)) : actual === shown;
  }
  if (typeof shown === "number" && key === "index") return Number.isInteger(actual) && (actual as number) >= 1;
  if (Array.isArray(shown)) {
    if (!Array.isArray(actual)) return false;
    const open = shown.at(-1) === ELLIPSIS;
    const items = open ? shown.slice(0, -1) : shown;
    if (open ? actual.length < items.length : actual.length !== items.length) return false;
    return items.every((item, i) => matchesShown(actual[i], item));
  }
  if (shown !== null && typeof shown === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) return false;
    const { [ELLIPSIS]: open, ...members } = shown as Record<string, unknown>;
    const actualMembers = actual as Record<string, unknown>;
    if (open === undefined && Object.keys(actualMembers).length !== Object.keys(members).length) return false;
    return Object.entries(members).every(([name, value]) => name in actualMembers && matchesShown(actualMembers[name], value, name));
  }
  return actual === shown;
}

/** Whether `output` is what one shown line says; a line that is neither JSON nor a header counts when `wholeText`. */
export function outputMatches(output: string, shownLine: string, { wholeText }: { wholeText: boolean }): boolean {
  const json = shownJson(shownLine);
  if (json !== undefined) {
    try {
      return matchesShown(JSON.parse(output), json);
    } catch {
      return false;
    }
  }
  const header = HEADER.exec(shownLine.trim());
  if (header) return output.split(/\r?\n/).some((line) => line.toLowerCase().startsWith(`${header[1]!.toLowerCase()}:`));
  return wholeText ? output.trim() === shownLine.trim() : true;
}

/** An example shown in a README, and what it stands for in this run. */
export type Binding = [example: string, actual: string];

/**
 * What the examples in a shown line stand for in this run, to put into the commands after it:
 * each example id (whole, or the characters shown before `…`) -> the id answered, and for a
 * shown `X-Srsr-Index: 7`, `index=7` -> `index=<the index answered>`.
 */
export function bindingsFrom(output: string, shownLine: string): Binding[] {
  const bindings: Binding[] = [];
  const header = HEADER.exec(shownLine.trim());
  if (header && header[1]!.toLowerCase() === "x-srsr-index") {
    const answered = new RegExp(`^${header[1]}: *(\\d+)`, "im").exec(output)?.[1];
    if (answered) bindings.push([`index=${header[2]}`, `index=${answered}`]);
    return bindings;
  }
  const collect = (actual: unknown, shown: unknown) => {
    if (typeof shown === "string" && typeof actual === "string") {
      const id = exampleId(shown);
      if (id !== undefined) bindings.push([id, actual]);
    } else if (Array.isArray(shown) && Array.isArray(actual)) shown.forEach((item, i) => collect(actual[i], item));
    else if (shown && typeof shown === "object" && actual && typeof actual === "object") {
      for (const [name, value] of Object.entries(shown)) collect((actual as Record<string, unknown>)[name], value);
    }
  };
  const json = shownJson(shownLine);
  if (json !== undefined) collect(JSON.parse(output), json);
  return bindings;
}

/** `command` with every bound example replaced by what it stands for; the latest binding wins. */
export function applyBindings(command: string, bindings: Binding[]): string {
  let text = command.replace(UUID_IN_TEXT, (id) => {
    const bound = bindings.findLast(([example]) => UUID.test(example) ? id === example : id.startsWith(example));
    return bound?.[1] ?? id;
  });
  for (const [example, actual] of bindings.toReversed()) if (example.startsWith("index=")) text = text.replaceAll(example, actual);
  return text;
}
