/**
 * Checks a `sqlite:PATH` location before SQLite touches it, and turns SQLite's errors into
 * sentences for people. Checking first is what keeps a wrong path from being modified: SQLite
 * itself would happily create files or write a header.
 *
 * @module
 */

import { closeSync, existsSync, openSync, readSync, rmSync, statSync, truncateSync } from "node:fs";
import { dirname } from "node:path";

/** The first 16 bytes of every SQLite database file. */
const SQLITE_HEADER = "SQLite format 3\u0000";

const errorCode = (error: unknown) => (error as { code?: string }).code;

/** Whether the file at `path` opens for writing. Opening does not change it. */
function writable(path: string): boolean {
  // Not access(W_OK): on Deno that needs --allow-sys=uid, beyond the permissions srsr asks for.
  try {
    closeSync(openSync(path, "r+"));
    return true;
  } catch {
    return false;
  }
}

function startsWithSqliteHeader(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const header = new Uint8Array(SQLITE_HEADER.length);
    const read = readSync(fd, header, 0, header.length, 0);
    return read === header.length && new TextDecoder().decode(header) === SQLITE_HEADER;
  } finally {
    closeSync(fd);
  }
}

/**
 * What is wrong with using `path` as srsr's database, or `undefined` if SQLite may open it:
 * an existing SQLite file (or an empty one) we can write, or a new file in a writable folder.
 */
export function locationProblem(path: string): string | undefined {
  const where = `sqlite:${path}`;
  if (path === "") return "the sqlite store needs a file path: sqlite:PATH, e.g. sqlite:./reg.db";
  if (path === ":memory:") return undefined;
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    if (errorCode(error) !== "ENOENT") return `cannot open ${where}: ${(error as Error).message}`;
  }
  if (stats === undefined) {
    const folder = dirname(path);
    let folderStats;
    try {
      folderStats = statSync(folder);
    } catch {
      return `cannot create ${where}: folder ${folder} does not exist (create it first)`;
    }
    // Whether the folder is writable shows when SQLite creates the file; see openFailure().
    return folderStats.isDirectory() ? undefined : `cannot create ${where}: ${folder} is not a folder`;
  }
  if (stats.isDirectory()) return `cannot open ${where}: it is a folder, not a database file`;
  if (!stats.isFile()) return `cannot open ${where}: it is not a regular file`;
  if (!writable(path)) return `cannot open ${where}: the file is not writable (check its permissions)`;
  if (stats.size > 0 && !startsWithSqliteHeader(path)) {
    return `cannot open ${where}: the file is not a SQLite database (left untouched; choose a new path)`;
  }
  return undefined;
}

/**
 * Notes which of `path` and its `-wal` and `-journal` files exist, and whether `path` is
 * empty; the returned function removes those that did not exist and empties `path` again if
 * it was empty. A file with content is never touched: SQLite's rollback keeps it as it was.
 */
export function filesPutBack(path: string): () => void {
  if (path === ":memory:") return () => {};
  const companions = [`${path}-wal`, `${path}-journal`].filter((file) => !existsSync(file));
  const size = existsSync(path) ? statSync(path).size : undefined;
  if (size !== undefined && size > 0) return () => {};
  return () => {
    for (const file of companions) rmSync(file, { force: true });
    if (size === undefined) rmSync(path, { force: true });
    else truncateSync(path, 0);
  };
}

/** SQLite's own error text, found through wrappers such as Drizzle's `DrizzleQueryError`. */
function sqliteMessages(error: unknown): string {
  const messages: string[] = [];
  for (let cause = error; cause instanceof Error && messages.length < 5; cause = cause.cause) {
    messages.push(cause.message);
    const errstr = (cause as { errstr?: string }).errstr; // node:sqlite keeps SQLite's text here
    if (errstr) messages.push(errstr);
  }
  return messages.join("\n");
}

/** SQLite's own words for `error`, without the query text Drizzle wraps around them. */
export function sqliteReason(error: unknown): string {
  let innermost = error;
  for (let depth = 0; innermost instanceof Error && innermost.cause instanceof Error && depth < 5; depth++) {
    innermost = innermost.cause;
  }
  return (innermost as Error)?.message || (innermost as { errstr?: string })?.errstr || String(innermost);
}

/** A sentence saying why SQLite could not open or prepare `path`, for {@link StoreSpecError}. */
export function openFailure(path: string, error: unknown): string {
  const where = `sqlite:${path}`;
  const text = sqliteMessages(error);
  if (/database is locked|database table is locked|SQLITE_BUSY/i.test(text)) {
    return `cannot open ${where}: another srsr process holds it (one server per file: stop the other or use another path)`;
  }
  if (/file is not a database|SQLITE_NOTADB/i.test(text)) {
    return `cannot open ${where}: the file is not a SQLite database (left untouched; choose a new path)`;
  }
  if (/readonly database|SQLITE_READONLY/i.test(text)) {
    return `cannot open ${where}: the file is not writable (check its permissions)`;
  }
  if (/unable to open database file|SQLITE_CANTOPEN/i.test(text)) {
    if (!existsSync(path)) {
      return `cannot create ${where}: folder ${dirname(path)} is not writable (check its permissions)`;
    }
    return `cannot open ${where}: SQLite could not open the file (check the path and its permissions)`;
  }
  if (/database or disk is full|SQLITE_FULL|No space left on device/i.test(text)) {
    return `cannot open ${where}: the disk is full (free some space or use another path); the file was left as it was`;
  }
  return `cannot open ${where}: ${sqliteReason(error)}`;
}
