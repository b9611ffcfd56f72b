// Explanation of an anomalous segment: each metric's share of the deviation from the machine's baseline (robust
// z-score, summed over the segment, normalised to 1), and the jobs/operators on the machine that moved most
// (task brief "Explanation"), from the per-job samples the Flink REST collector stores. Model-agnostic, so it works
// for every detector kind.

import { madSigma, median, robustSpread } from '../core/stats.js';
import type { Contribution, JobMover } from '../core/incident.js';

export type { Contribution, JobMover };



/** Each channel's robust level (median) and scale (1.4826 · MAD) over a baseline; null where it has no finite value.
 *  A channel that sits on one value most of the time (a GC rate of 2 per minute: MAD 0) falls back to its standard
 *  deviation, as the detectors' scaling does (src/detectors/robust.ts) — a floor near 0 would make its every step
 *  from that value a deviation of 10⁵ and the whole explanation. */
export type BaselineLevels = ({ level: number; scale: number } | null)[];

const column = (a: ArrayLike<number>, c: number, C: number): number[] => {
  const out: number[] = [];
  for (let i = c; i < a.length; i += C) if (Number.isFinite(a[i])) out.push(a[i]);
  return out;
};

/** The levels of a baseline (B, C) row-major; computed once per segment (the baseline is fixed while it is open). */
export function baselineLevels(C: number, baseline: ArrayLike<number>): BaselineLevels {
  if (C === 0 || baseline.length % C) throw new RangeError(`baseline length must be a multiple of ${C} channels`);
  return Array.from({ length: C }, (_, c) => {
    const b = column(baseline, c, C);
    if (b.length === 0) return null;
    const level = median(b);
    return { level, scale: robustSpread(b, level) };
  });
}

/**
 * baseline (B, C) and segment (T, C) row-major with C = names.length. NaN values are skipped; a channel with no finite
 * value on either side contributes 0. Returned sorted by share, largest first.
 */
export function contributions(names: string[], baseline: ArrayLike<number>, segment: ArrayLike<number>): Contribution[] {
  return contributionsFrom(names, baselineLevels(names.length, baseline), segment);
}

/** contributions() against a baseline's levels computed beforehand (the online loop: once per incident). */
export function contributionsFrom(names: string[], levels: BaselineLevels, segment: ArrayLike<number>): Contribution[] {
  const C = names.length;
  if (C === 0 || segment.length % C) throw new RangeError(`segment length must be a multiple of ${C} channels`);
  if (levels.length !== C) throw new RangeError(`baseline levels for ${levels.length} channels, expected ${C}`);
  const raw = names.map((name, c) => {
    const s = column(segment, c, C);
    const lv = levels[c];
    if (!lv || s.length === 0) return { name, dev: 0, meanZ: 0 };
    let dev = 0;
    let sum = 0;
    for (const v of s) {
      const z = (v - lv.level) / lv.scale;
      dev += Math.abs(z);
      sum += z;
    }
    return { name, dev: dev / s.length, meanZ: sum / s.length };
  });
  const total = raw.reduce((acc, r) => acc + r.dev, 0);
  return raw
    .map((r) => ({ name: r.name, share: total > 0 ? r.dev / total : 0, meanZ: r.meanZ }))
    .sort((a, b) => b.share - a.share || a.name.localeCompare(b.name));
}

/** One job / operator on the machine and the metric of it that moved most during an incident. */

/**
 * The jobs / operators on a machine ranked by how far their own metrics moved during [onset, end] against the
 * baseline [baselineFrom, onset) (largest |mean robust z| over their metrics). rows: per-job samples of the machine.
 */
export function jobMovers(rows: { job: string; operator: string; metric: string; ts: number; value: number }[], baselineFrom: number, onset: number, end: number, top = 5): JobMover[] {
  const units = new Map<string, { base: number[]; seg: number[] }>(); // job \t operator \t metric
  for (const r of rows) {
    if (r.ts < baselineFrom || r.ts > end || !Number.isFinite(r.value)) continue;
    const k = `${r.job}\t${r.operator}\t${r.metric}`;
    const u = units.get(k) ?? units.set(k, { base: [], seg: [] }).get(k)!;
    (r.ts < onset ? u.base : u.seg).push(r.value);
  }
  // the metric's magnitude on this machine (largest |value| over all its jobs): scales are at least 5 % of it, so an idle
  // job going from 0 to 1 ms/s busy does not outrank a busy job gaining 500
  const magnitude = new Map<string, number>();
  for (const [k, u] of units) {
    const metric = k.split('\t')[2];
    magnitude.set(metric, Math.max(magnitude.get(metric) ?? 1e-9, ...u.base.map(Math.abs), ...u.seg.map(Math.abs)));
  }
  const best = new Map<string, JobMover>(); // job \t operator → its strongest metric
  for (const [k, u] of units) {
    if (u.base.length < 3 || u.seg.length === 0) continue;
    const [job, operator, metric] = k.split('\t');
    const level = median(u.base);
    const scale = Math.max(madSigma(u.base, level), 0.05 * magnitude.get(metric)!);
    const meanZ = u.seg.reduce((a, v) => a + (v - level) / scale, 0) / u.seg.length;
    const cur = best.get(`${job}\t${operator}`);
    if (!cur || Math.abs(meanZ) > Math.abs(cur.meanZ)) best.set(`${job}\t${operator}`, { job, operator, metric, meanZ });
  }
  return [...best.values()].sort((a, b) => Math.abs(b.meanZ) - Math.abs(a.meanZ) || a.job.localeCompare(b.job)).slice(0, top);
}
