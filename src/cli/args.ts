/**
 * Reading a subcommand's arguments: its flags and positionals, and the values every subcommand
 * shares (durations, `--meta KEY=VALUE`, service names). Pure, so each subcommand's parser is
 * table-tested; every mistake is a {@link UsageError} of one line naming the flag, which
 * `main.ts` prints before exiting 2.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { UsageError } from "../config.ts";
import { metaKeyProblem, serviceName } from "../wire/fields.ts";
import { parseDuration } from "../wire/v1.ts";

export interface FlagSpec {
  type: "string" | "boolean";
  short?: string;
  /** Repeatable: every value is kept, in order. Otherwise giving it twice is a mistake. */
  multiple?: boolean;
  /** The accepted form, quoted when the value is missing. */
  expected?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** The flags given: a switch as `true`, a repeatable flag as its values, any other as its value. */
export type Flags<Specs extends FlagSpecs> = {
  [Name in keyof Specs]?: Specs[Name]["type"] extends "boolean" ? true : Specs[Name]["multiple"] extends true ? string[] : string;
};

/**
 * The flags (by `specs`) and positionals in `args`, for `srsr <command>`. Arguments after a
 * `--` are positionals even when they start with `-`.
 */
export function readFlags<Specs extends FlagSpecs>(command: string, args: readonly string[], specs: Specs): { flags: Flags<Specs>; positionals: string[] } {
  const options = Object.fromEntries(Object.entries(specs).map(([name, { type, short }]) => [name, short ? { type, short } : { type }]));
  // Not strict: parseArgs's own errors run to several lines; from the tokens each mistake is one line.
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  const flags: Record<string, string | string[] | true> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "option-terminator") continue;
    if (token.kind === "positional") {
      positionals.push(token.value);
      continue;
    }
    if (!Object.hasOwn(specs, token.name)) throw new UsageError(`${command}: unknown option ${token.rawName} (see srsr ${command} --help)`);
    const spec = specs[token.name]!;
    const flag = `--${token.name}`;
    if (spec.type === "boolean") {
      if (token.value !== undefined) throw new UsageError(`${command}: ${flag}: takes no value (write ${flag} alone)`);
      flags[token.name] = true;
      continue;
    }
    // `--meta --json` means the value was left out; `--meta=-x` is a value.
    if (token.value === undefined || (!token.inlineValue && /^-[A-Za-z-]/.test(token.value))) {
      throw new UsageError(`${command}: ${flag}: missing value${spec.expected ? `: expected ${spec.expected}` : ""}`);
    }
    if (spec.multiple) ((flags[token.name] ??= []) as string[]).push(token.value);
    else if (flags[token.name] !== undefined) throw new UsageError(`${command}: ${flag}: given twice; give it once`);
    else flags[token.name] = token.value;
  }
  return { flags: flags as Flags<Specs>, positionals };
}

/** Exactly `names.length` positionals, named in the error when one is missing or extra. */
export function expectPositionals(command: string, positionals: readonly string[], names: readonly string[]): string[] {
  if (positionals.length < names.length) throw new UsageError(`${command}: missing ${names[positionals.length]} (see srsr ${command} --help)`);
  if (positionals.length > names.length) {
    throw new UsageError(`${command}: unexpected argument "${positionals[names.length]}" (see srsr ${command} --help)`);
  }
  return [...positionals];
}

/** A service name as the wire contract allows it; `what` names the argument in the error. */
export function checkServiceName(command: string, name: string, what = "NAME"): string {
  const result = serviceName.safeParse(name);
  if (!result.success) throw new UsageError(`${command}: ${what} "${name}": ${result.error.issues[0]!.message}`);
  return name;
}

export const DURATION_FORM = "a duration such as 500ms, 30s, 2m or 1m30s, or seconds";

/**
 * Milliseconds of a duration (`500ms`, `30s`, `2m`, `1m30s`) or of plain seconds (`30`,
 * `0.5`), greater than 0; `undefined` for anything else.
 */
export function parseDurationMs(text: string): number | undefined {
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : parseDuration(text);
  // At most what a timer can wait (about 24.8 days): a longer setTimeout fires at once.
  return ms !== undefined && ms > 0 && ms <= 2 ** 31 - 1 ? ms : undefined;
}

/** `value` of `flag` as {@link parseDurationMs} reads it, or a UsageError. */
export function durationFlag(command: string, flag: string, value: string): number {
  const ms = parseDurationMs(value);
  if (ms === undefined) throw new UsageError(`${command}: ${flag}: invalid duration "${value}": expected ${DURATION_FORM}, greater than 0 and at most 596h`);
  return ms;
}

export const META_FORM = "KEY=VALUE, KEY of letters, digits, _ . -";

/** `--meta KEY=VALUE`, each given once, into an object; `undefined` when none was given. */
export function metaFlags(command: string, values: readonly string[] | undefined): Record<string, string> | undefined {
  if (values === undefined) return undefined;
  const meta: Record<string, string> = {};
  for (const text of values) {
    const equals = text.indexOf("=");
    const key = equals === -1 ? "" : text.slice(0, equals);
    if (equals === -1 || metaKeyProblem(key)) throw new UsageError(`${command}: --meta: invalid "${text}": expected ${META_FORM}`);
    if (Object.hasOwn(meta, key)) throw new UsageError(`${command}: --meta: ${key} is given twice; give each key once`);
    meta[key] = text.slice(equals + 1);
  }
  return meta;
}

/** A whole number from `min` to `max`, or a UsageError naming `flag`. */
export function integerFlag(command: string, flag: string, value: string, min: number, max: number): number {
  const number = /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!(number >= min && number <= max)) throw new UsageError(`${command}: ${flag}: invalid number "${value}": expected an integer from ${min} to ${max}`);
  return number;
}
