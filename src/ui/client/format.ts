/** How the dashboard writes durations and times: short, and the same everywhere. @module */

/** `42 s`, `3 min 5 s`, `2 h 10 min`, `3 d 4 h`: whole seconds, two units at most. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h${s % 3600 >= 60 ? ` ${Math.floor((s % 3600) / 60)} min` : ""}`;
  return `${Math.floor(s / 86_400)} d${s % 86_400 >= 3600 ? ` ${Math.floor((s % 86_400) / 3600)} h` : ""}`;
}

/** `14:03:09`, local time: the recent-changes panel's clock. */
export function formatClock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

/** `5 s ago` for a moment in the past. */
export const formatAgo = (ms: number, now: number): string => `${formatDuration((now - ms) / 1000)} ago`;

/** `env=prod zone=b` as a filter: every pair must match; words without `=` match a key. */
export function parseMetaFilter(text: string): [string, string | undefined][] {
  return text.split(/\s+/).filter((word) => word !== "").map((word) => {
    const equals = word.indexOf("=");
    return equals === -1 ? [word, undefined] : [word.slice(0, equals), word.slice(equals + 1)];
  });
}

export function matchesMeta(meta: Record<string, string>, filter: [string, string | undefined][]): boolean {
  return filter.every(([key, value]) => Object.hasOwn(meta, key) && (value === undefined || meta[key] === value));
}
