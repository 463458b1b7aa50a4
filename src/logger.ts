/**
 * Leveled logging to stderr, one line per event. Everything that logs takes a {@link Logger}
 * and defaults to {@link silentLogger}, so tests stay quiet.
 *
 * @module
 */

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  /** Whether `debug` lines are written, so callers can skip building them. */
  readonly debugEnabled: boolean;
}

const noop = () => {};

export const silentLogger: Logger = { error: noop, warn: noop, info: noop, debug: noop, debugEnabled: false };

/** A logger writing `<ISO time> <level> <message>` lines at `level` and above to `write`. */
export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => console.error(line),
): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const at = (lineLevel: LogLevel) =>
    LOG_LEVELS.indexOf(lineLevel) <= threshold
      ? (message: string) => write(`${new Date().toISOString()} ${lineLevel} ${message}`)
      : noop;
  return {
    error: at("error"),
    warn: at("warn"),
    info: at("info"),
    debug: at("debug"),
    debugEnabled: threshold >= LOG_LEVELS.indexOf("debug"),
  };
}
