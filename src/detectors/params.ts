// Typed detector parameters: one table per detector gives each parameter's default, range and meaning.
// Overrides are validated once, at construction: an unknown key, a wrong type or an out-of-range value is an error.
import { parseMetricValue } from '../core/value.js';

export interface ParamRule<V> {
  default: V;
  doc: string;
  min?: number;
  max?: number;
  integer?: boolean;
  choices?: readonly V[];
}
export type ParamSpec<P> = { [K in keyof P]: ParamRule<P[K]> };

export class ParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParamError';
  }
}

/** Defaults of `spec` overridden by `overrides`, every value checked. */
export function resolveParams<P extends object>(kind: string, spec: ParamSpec<P>, overrides: Partial<P> | Record<string, unknown> = {}): P {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(overrides)) {
    if (!(key in spec)) throw new ParamError(`${kind}: unknown parameter '${key}' (known: ${Object.keys(spec).join(', ')})`);
  }
  for (const [key, rule] of Object.entries(spec) as [string, ParamRule<unknown>][]) {
    const given = (overrides as Record<string, unknown>)[key];
    const v = given === undefined ? rule.default : given;
    const want = Array.isArray(rule.default) ? 'array' : typeof rule.default;
    const got = Array.isArray(v) ? 'array' : typeof v;
    if (got !== want) throw new ParamError(`${kind}: parameter '${key}' must be a ${want}, got ${got} (${JSON.stringify(v)})`);
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new ParamError(`${kind}: parameter '${key}' must be finite, got ${v}`);
      if (rule.integer && !Number.isInteger(v)) throw new ParamError(`${kind}: parameter '${key}' must be an integer, got ${v}`);
      if (rule.min !== undefined && v < rule.min) throw new ParamError(`${kind}: parameter '${key}' must be ≥ ${rule.min}, got ${v}`);
      if (rule.max !== undefined && v > rule.max) throw new ParamError(`${kind}: parameter '${key}' must be ≤ ${rule.max}, got ${v}`);
    }
    if (rule.choices && !rule.choices.includes(v)) {
      throw new ParamError(`${kind}: parameter '${key}' must be one of ${rule.choices.map((c) => JSON.stringify(c)).join(', ')}, got ${JSON.stringify(v)}`);
    }
    out[key] = Array.isArray(v) ? [...v] : v;
  }
  return out as P;
}

/** Parses "key=value" strings (from a CLI) against a spec: numbers, booleans ("true"/"false" only) and lists. */
export function parseParamStrings<P extends object>(kind: string, spec: ParamSpec<P>, pairs: string[]): Partial<P> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new ParamError(`${kind}: expected key=value, got '${pair}'`);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    const rule = (spec as Record<string, ParamRule<unknown>>)[key];
    if (!rule) throw new ParamError(`${kind}: unknown parameter '${key}' (known: ${Object.keys(spec).join(', ')})`);
    const d = rule.default;
    if (typeof d === 'number') {
      const n = parseMetricValue(raw);
      if (n === null) throw new ParamError(`${kind}: parameter '${key}' must be a number, got '${raw}'`);
      out[key] = n;
    } else if (typeof d === 'boolean') {
      if (raw !== 'true' && raw !== 'false') throw new ParamError(`${kind}: parameter '${key}' must be true or false, got '${raw}'`);
      out[key] = raw === 'true';
    } else if (Array.isArray(d)) {
      out[key] = raw.split(',').map((x) => {
        if (typeof d[0] !== 'number') return x;
        const n = parseMetricValue(x);
        if (n === null) throw new ParamError(`${kind}: parameter '${key}' must be a comma-separated list of numbers, got '${raw}'`);
        return n;
      });
    } else {
      out[key] = raw;
    }
  }
  return out as Partial<P>;
}
