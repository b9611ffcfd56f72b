// Time to breach: for an incident whose leading metric is rising (a slow trend, growing lag, climbing GC), when will
// that metric cross the operator's limit (an SLO per metric, `watch --slo latency_ms=500`)? A robust line (Theil–Sen:
// the median of pairwise slopes, so a GC pause or one bad sample does not tilt it) through the machine's recent
// points of that metric; breach in (limit − level now) / slope when the slope is positive.
import type { Breach, Contribution } from '../core/incident.js';
import { median } from '../core/stats.js';

/** Theil–Sen line through (t, y): slope = median of pairwise slopes, intercept = median of y − slope·t (NaNs skipped;
 *  at most ~20 000 pairs: longer inputs use evenly spaced pairs). */
export function theilSen(t: ArrayLike<number>, y: ArrayLike<number>): { slope: number; intercept: number } {
  const idx: number[] = [];
  for (let i = 0; i < t.length; i++) if (Number.isFinite(t[i]) && Number.isFinite(y[i])) idx.push(i);
  if (idx.length < 2) return { slope: NaN, intercept: NaN };
  const step = Math.max(1, Math.floor((idx.length * idx.length) / 2 / 20_000));
  const slopes: number[] = [];
  let k = 0;
  for (let a = 0; a < idx.length; a++) {
    for (let b = a + 1; b < idx.length; b++) {
      if (k++ % step) continue;
      const dt = t[idx[b]] - t[idx[a]];
      if (dt !== 0) slopes.push((y[idx[b]] - y[idx[a]]) / dt);
    }
  }
  const slope = median(slopes);
  return { slope, intercept: median(idx.map((i) => y[i] - slope * t[i])) };
}

/**
 * The breach estimate of a metric from its recent points (timestamps ms, values) against `limit`, at time `now`:
 * null when the fitted line is not rising (or there are too few points); inMs 0 when the fitted level is already at or
 * beyond the limit.
 */
export function timeToBreach(metric: string, ts: ArrayLike<number>, values: ArrayLike<number>, limit: number, now: number, minPoints = 6): Omit<Breach, 'firstWarnedAt'> | null {
  let n = 0;
  for (let i = 0; i < ts.length; i++) if (Number.isFinite(values[i])) n++;
  if (n < minPoints) return null;
  const t0 = ts[0];
  const rel = Array.from(ts, (t) => t - t0); // ms since the first point: keeps the products small
  const { slope, intercept } = theilSen(rel, values);
  if (!Number.isFinite(slope)) return null;
  const level = intercept + slope * (now - t0);
  if (level >= limit) return { metric, limit, level, slopePerMin: slope * 60_000, at: now, inMs: 0 };
  if (!(slope > 0)) return null;
  const inMs = (limit - level) / slope;
  return { metric, limit, level, slopePerMin: slope * 60_000, at: now + inMs, inMs };
}

/** The metric a breach is estimated for: the incident's highest-share rising contributor that has a limit. */
export function leadingMetric(explanation: readonly Contribution[], limits: Readonly<Record<string, number>>): string | null {
  for (const c of explanation) if (c.meanZ > 0 && limits[c.name] !== undefined) return c.name;
  return null;
}

/** Parses `metric=limit` (repeatable `--slo`). */
export function parseSlo(specs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of specs) {
    const m = /^\s*([A-Za-z0-9_.:-]+)\s*=\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*$/i.exec(s);
    if (!m) throw new Error(`--slo '${s}' is not metric=limit (e.g. latency_ms=500)`);
    if (out[m[1]] !== undefined) throw new Error(`--slo gives a limit for '${m[1]}' twice`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}
