// Every CLI option is checked at the edge: commander calls these parsers on each value, and a bad one is a usage error
// — one line naming the option and what was expected, exit code 2 (main.ts) — before anything runs. `check(p)` keeps
// the value as typed (only validates), for command bodies that convert it themselves. Defaults are literals that
// pass their own parser. Checks that involve several options throw UsageError from the action.
import { InvalidArgumentError, Option } from 'commander';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseMetricValue } from '../core/value.js';
import { detectorKinds, parseParamsFor } from '../detectors/index.js';
import { LAB_SPEC_SYNTAX, parseLabSpec, parseSpec } from '../data/index.js';

/** A wrong command line (exit 2), as opposed to a failure while running (exit 1). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Parser<T> = (value: string) => T;
const bad = (msg: string): never => {
  throw new InvalidArgumentError(msg);
};

/** A number as the metric readers accept it: decimal, finite; "0x10", "1e400", "" are not numbers. */
export const finiteNumber: Parser<number> = (v) => parseMetricValue(v) ?? bad('expected a number');
export const positiveNumber: Parser<number> = (v) => {
  const n = finiteNumber(v);
  return n > 0 ? n : bad('expected a number > 0');
};
export const positiveInt: Parser<number> = (v) => (/^\d+$/.test(v) && Number(v) >= 1 && Number.isSafeInteger(Number(v)) ? Number(v) : bad('expected a whole number ≥ 1'));
export const nonNegativeInt: Parser<number> = (v) => (/^\d+$/.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : bad('expected a whole number ≥ 0'));
export const port: Parser<number> = (v) => (/^\d+$/.test(v) && Number(v) <= 65535 ? Number(v) : bad('expected a port 0–65535 (0 = any free port)'));

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** "10s", "5m", "2h", "1.5d", "250ms"; a bare number is seconds. Milliseconds, > 0. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(s.trim());
  if (!m) throw new InvalidArgumentError(`'${s}' is not a duration (e.g. 10s, 5m, 2h)`);
  const ms = Number(m[1]) * UNITS[(m[2] ?? 's') as keyof typeof UNITS];
  if (!(ms >= 1)) throw new InvalidArgumentError(`'${s}' is not a duration > 0`);
  return ms;
}
export const duration: Parser<number> = parseDuration;
/** A duration, or '0': off (a grace period or sustained rule that never applies). */
export const durationOrOff: Parser<number> = (v) => (v === '0' ? 0 : parseDuration(v));

/** `--update-after`: a duration, 0 (every renewal notifies) or 'off' (none does: Infinity). */
export const updateAfter: Parser<number> = (v) => (v === 'off' ? Infinity : durationOrOff(v));

/** `--retrain-after`: a duration > 0, or 'off' (0: never). */
export const retrainAfter: Parser<number> = (v) => (v === 'off' ? 0 : duration(v));

export const httpUrl: Parser<string> = (v) => {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return bad('expected an http(s) URL, e.g. http://localhost:8081');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') bad(`expected an http(s) URL, got a ${u.protocol} one`);
  if (!u.hostname) bad('the URL has no host');
  return v;
};

export const nonEmpty: Parser<string> = (v) => (v.trim() !== '' ? v : bad('must not be empty'));

/** A host to bind: an IP address or a host name. */
export const host: Parser<string> = (v) => (isIP(v) || /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/.test(v) ? v : bad('expected an IP address or host name'));

export function oneOf<T extends string>(values: readonly T[]): Parser<T> {
  return (v) => ((values as readonly string[]).includes(v) ? (v as T) : bad(`expected one of ${values.join(', ')}`));
}

/** ISO 8601 time or epoch milliseconds → epoch ms. */
export const time: Parser<number> = (v) => {
  if (/^-?\d+$/.test(v)) return Number(v);
  const t = /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : NaN;
  return Number.isFinite(t) ? t : bad('expected an ISO 8601 time (2026-01-31T12:00:00Z) or epoch milliseconds');
};

/** A comma-separated list of known names, at least one, no repeats. */
export function listOf(known: () => string[], what: string): Parser<string[]> {
  return (v) => {
    const items = v.split(',').map((x) => x.trim()).filter(Boolean);
    if (items.length === 0) bad(`expected at least one ${what}`);
    const unknown = items.filter((x) => !known().includes(x));
    if (unknown.length) bad(`unknown ${what} ${unknown.join(', ')} (known: ${known().join(', ')})`);
    if (new Set(items).size !== items.length) bad(`a ${what} is listed twice`);
    return items;
  };
}

/** A dataset spec (kind:target[?k=v]) with a known kind. */
export const datasetSpec: Parser<string> = (v) => {
  try {
    parseSpec(v);
  } catch (e) {
    return bad((e as Error).message);
  }
  return v;
};

/** A file name with one of the given extensions (e.g. a report: .html or .md). */
export function withExtension(exts: string[]): Parser<string> {
  return (v) => (exts.some((x) => v.toLowerCase().endsWith(x)) && v.length > Math.min(...exts.map((x) => x.length)) ? v : bad(`expected a file name ending in ${exts.join(' or ')}`));
}

/** A readable PEM file (CA, certificate or key); returns its text. */
export const pemFile: Parser<string> = (path) => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return bad(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return /-----BEGIN [A-Z0-9 ]+-----/.test(text) ? text : bad(`${path} is not a PEM file`);
};

/** A readable file (e.g. a model); returns the path. */
export const existingFile: Parser<string> = (path) => {
  try {
    accessSync(path, constants.R_OK);
    if (!statSync(path).isFile()) bad(`${path} is not a file`);
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw e;
    return bad(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return path;
};

/** A flink-lab recording as a replay source: flink-lab:<dir>[?train=<share>] (parseLabSpec's syntax and errors). */
export const labSpec: Parser<string> = check(fromThrowing((v) => parseLabSpec(v) ?? bad(`expected ${LAB_SPEC_SYNTAX}`)));

/** Any parser that throws (e.g. a domain parser with its own errors) as an option parser. */
export function fromThrowing<T>(f: (v: string) => T): Parser<T> {
  return (v) => {
    try {
      return f(v);
    } catch (e) {
      return bad((e as Error).message);
    }
  };
}

/** Validates with `p` but keeps the string, for bodies that convert the value themselves. */
export function check(p: Parser<unknown>): Parser<string> {
  return (v) => {
    p(v);
    return v;
  };
}

/** For repeatable options (`<x...>`): each value parsed, collected into a list. */
export function each<T>(p: Parser<T>): (v: string, prev: T[] | undefined) => T[] {
  return (v, prev) => [...(prev ?? []), p(v)];
}

/** An option with a parser and a default given as text (shown in --help as typed, parsed like a given value). */
export function opt<T>(flags: string, description: string, parser: Parser<T>, dflt?: string): Option {
  const o = new Option(flags, description).argParser(parser);
  return dflt === undefined ? o : o.default(parser(dflt), dflt);
}

/** `--param key=value …` of one detector kind, typed and range-checked against its parameter table. */
export function paramsFor(kind: string, pairs: string[]): Record<string, unknown> {
  try {
    return parseParamsFor(kind, pairs);
  } catch (e) {
    throw new UsageError(`--param: ${(e as Error).message}`);
  }
}

/** `--param detector.key=value …` (eval): ["ccl.epochs=3", "usad.window=8"] → { ccl: { epochs: 3 }, usad: { window: 8 } }. */
export function detectorParams(pairs: string[]): Record<string, Record<string, unknown>> {
  const by = new Map<string, string[]>();
  for (const p of pairs) {
    const m = /^([a-z0-9-]+)\.([^=]+=.*)$/.exec(p);
    if (!m) throw new UsageError(`--param '${p}' is not detector.key=value (e.g. ccl.epochs=3)`);
    if (!detectorKinds().includes(m[1])) throw new UsageError(`--param '${p}': unknown detector '${m[1]}' (known: ${detectorKinds().join(', ')})`);
    by.set(m[1], [...(by.get(m[1]) ?? []), m[2]]);
  }
  return Object.fromEntries([...by].map(([kind, kv]) => [kind, paramsFor(kind, kv)]));
}
