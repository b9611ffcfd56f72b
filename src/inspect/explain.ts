// Explanation of an anomalous segment: each metric's share of the deviation from the machine's baseline (robust
// z-score, summed over the segment, normalised to 1), and the jobs/operators on the machine that moved most
// (task brief "Explanation"). Model-agnostic, so it works for every detector kind.

export interface Contribution {
  name: string;
  /** Share of the total deviation in [0, 1]; shares sum to 1 (all 0 when nothing moved). */
  share: number;
  /** Mean signed robust z-score over the segment (positive = above baseline). */
  meanZ: number;
}

function median(a: number[]): number {
  if (a.length === 0) return NaN;
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * baseline (B, C) and segment (T, C) row-major with C = names.length. NaN values are skipped; a channel with no finite
 * value on either side contributes 0. Returned sorted by share, largest first.
 */
export function contributions(names: string[], baseline: ArrayLike<number>, segment: ArrayLike<number>): Contribution[] {
  const C = names.length;
  if (C === 0 || baseline.length % C || segment.length % C) throw new RangeError(`baseline/segment lengths must be multiples of ${C} channels`);
  const col = (a: ArrayLike<number>, c: number) => {
    const out: number[] = [];
    for (let i = c; i < a.length; i += C) if (Number.isFinite(a[i])) out.push(a[i]);
    return out;
  };
  const raw = names.map((name, c) => {
    const b = col(baseline, c);
    const s = col(segment, c);
    if (b.length === 0 || s.length === 0) return { name, dev: 0, meanZ: 0 };
    const level = median(b);
    const scale = Math.max(median(b.map((v) => Math.abs(v - level))) * 1.4826, 1e-6 * Math.max(1, Math.abs(level)));
    const z = s.map((v) => (v - level) / scale);
    return { name, dev: z.reduce((acc, v) => acc + Math.abs(v), 0) / z.length, meanZ: z.reduce((acc, v) => acc + v, 0) / z.length };
  });
  const total = raw.reduce((acc, r) => acc + r.dev, 0);
  return raw
    .map((r) => ({ name: r.name, share: total > 0 ? r.dev / total : 0, meanZ: r.meanZ }))
    .sort((a, b) => b.share - a.share || a.name.localeCompare(b.name));
}
