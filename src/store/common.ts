// Pieces both store engines share: rows → Series, bucketed columns, incident page cursors.
import type { Series } from '../core/series.js';
import type { Downsampled } from './store.js';
import { StoreError } from './store.js';

/** (metric, ts, value) rows of one machine, oldest first → a Series over the union of timestamps (gaps NaN). */
export function rowsToSeries(machine: string, metrics: string[], rows: { metric: string; ts: number; value: number }[], meta: Series['meta']): Series {
  const times: number[] = [];
  for (const r of rows) if (times.length === 0 || times[times.length - 1] !== r.ts) times.push(r.ts);
  const at = new Map(times.map((t, i) => [t, i]));
  const col = new Map(metrics.map((m, j) => [m, j]));
  const values = new Float64Array(times.length * metrics.length).fill(NaN); // float64: stored values come back exact
  for (const r of rows) {
    const j = col.get(r.metric);
    if (j !== undefined) values[at.get(r.ts)! * metrics.length + j] = r.value;
  }
  return { name: machine, timestamps: Float64Array.from(times), channels: [...metrics], values, meta };
}

/** Rows (key, bucket, value) → columns over the buckets present (sorted), one per key in `keys`. */
export function bucketed(rows: { key: string; b: number; v: number }[], keys: string[], from: number, bucketMs: number): Downsampled {
  const buckets = [...new Set(rows.map((r) => r.b))].sort((a, b) => a - b);
  const at = new Map(buckets.map((b, i) => [b, i]));
  const col = new Map(keys.map((k, j) => [k, j]));
  const values: (number | null)[][] = keys.map(() => new Array(buckets.length).fill(null));
  for (const r of rows) {
    const j = col.get(r.key);
    if (j !== undefined && Number.isFinite(r.v)) values[j][at.get(r.b)!] = r.v;
  }
  const keep = values.map((c) => c.some((v) => v !== null));
  return { t: buckets.map((b) => from + b * bucketMs), channels: keys.filter((_, j) => keep[j]), values: values.filter((_, j) => keep[j]), bucketMs };
}

/** The bucket width that cuts [from, to] (inclusive) into at most n buckets. */
export function bucketWidth(from: number, to: number, n: number): number {
  return Math.max(1, Math.ceil((Math.max(0, to - from) + 1) / Math.max(1, Math.floor(n))));
}

/** Page size: default 50, between 1 and 500. */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new StoreError(`page size must be an integer in 1..500 (got ${limit})`);
  return limit;
}

export function encodeCursor(c: { onset: number; id: string }): string {
  return Buffer.from(JSON.stringify([c.onset, c.id])).toString('base64url');
}

export function decodeCursor(s: string): { onset: number; id: string } {
  try {
    const [onset, id] = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof onset === 'number' && Number.isSafeInteger(onset) && typeof id === 'string') return { onset, id };
  } catch { /* fall through */ }
  throw new StoreError(`not a valid page cursor: '${s.slice(0, 40)}'`);
}
