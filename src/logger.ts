/**
 * Leveled logging to stderr, one line per event, as text or JSON. A line is a constant message
 * and fields: `logger.info("register", { name, address, id })`. Everything that logs takes a
 * {@link Logger} and defaults to {@link silentLogger}, so tests stay quiet.
 *
 * Field values may hold what a client sent (a path, a header), so neither format lets one start
 * a new line or pass for another field: text escapes control characters and quotes a value with
 * a space, `=` or quote in it; JSON escapes through `JSON.stringify`. Messages come from the
 * code; anything a client chose goes in a field.
 *
 * @module
 */

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** A line's fields; `undefined` ones are left out. */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export type LogMethod = (message: string, fields?: LogFields) => void;

export interface Logger {
  error: LogMethod;
  warn: LogMethod;
  info: LogMethod;
  debug: LogMethod;
  /** Whether `debug` lines are written, so callers can skip building them. */
  readonly debugEnabled: boolean;
}

/** The server's own logger: also writes the lines that appear at every level. */
export interface ServerLogger extends Logger {
  /**
   * Writes `message` whatever the level (the start-up line). In text, the message alone, as
   * people and scripts read it; in JSON, an `info` object like any other.
   */
  announce(message: string): void;
}

export interface LoggerOptions {
  /** @default "text" */
  format?: LogFormat;
  /** @default () => new Date() */
  now?: () => Date;
}

const noop = () => {};

export const silentLogger: Logger = { error: noop, warn: noop, info: noop, debug: noop, debugEnabled: false };

// Beyond the C0 controls JSON.stringify escapes: DEL, the C1 controls (NEL among them) and the
// Unicode line and paragraph separators, which some viewers break lines at.
const MORE_BREAKS = /[\u007f-\u009f\u2028\u2029]/g;
const escapeMore = (text: string) => text.replace(MORE_BREAKS, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
/** What makes a text value need quotes: what separates fields, or could fake one, or breaks a line. */
const NEEDS_QUOTES = /[\s="\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** One text value: bare when that is unambiguous, else a JSON string (quoted, escaped). */
function textValue(value: string | number | boolean): string {
  const text = String(value);
  return text === "" || NEEDS_QUOTES.test(text) ? escapeMore(JSON.stringify(text)) : text;
}

/** A message in text: control characters escaped, so it stays on its line. */
const textMessage = (message: string) =>
  escapeMore(message.replace(/[\u0000-\u001f]/g, (char) => JSON.stringify(char).slice(1, -1)));

/** `<ISO time> <level> <message> key=value …` */
export function formatText(time: Date, level: LogLevel, message: string, fields?: LogFields): string {
  let line = `${time.toISOString()} ${level} ${textMessage(message)}`;
  if (fields) {
    for (const key in fields) {
      const value = fields[key];
      if (value !== undefined) line += ` ${key}=${textValue(value)}`;
    }
  }
  return line;
}

/** `{"time":…,"level":…,"msg":…,<fields>}`: fields must not be named `time`, `level` or `msg`. */
export function formatJson(time: Date, level: LogLevel, message: string, fields?: LogFields): string {
  return escapeMore(JSON.stringify({ time: time.toISOString(), level, msg: message, ...fields }));
}

/** A logger writing lines at `level` and above to `write`. */
export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => console.error(line),
  { format = "text", now = () => new Date() }: LoggerOptions = {},
): ServerLogger {
  const threshold = LOG_LEVELS.indexOf(level);
  const render = format === "json" ? formatJson : formatText;
  const at = (lineLevel: LogLevel): LogMethod =>
    LOG_LEVELS.indexOf(lineLevel) <= threshold ? (message, fields) => write(render(now(), lineLevel, message, fields)) : noop;
  return {
    error: at("error"),
    warn: at("warn"),
    info: at("info"),
    debug: at("debug"),
    debugEnabled: threshold >= LOG_LEVELS.indexOf("debug"),
    announce: format === "json" ? (message) => write(formatJson(now(), "info", message)) : (message) => write(textMessage(message)),
  };
}
