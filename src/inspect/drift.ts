// Drift check: does the recent score distribution differ from the training-time one? Two-sample Kolmogorov–Smirnov
// statistic with the asymptotic critical value at level alpha (task brief "Model life-cycle").

export interface DriftReport {
  /** KS statistic D = sup |F_train − F_recent| in [0, 1]. */
  ks: number;
  /** Critical value c(alpha)·sqrt((n+m)/(n·m)). */
  critical: number;
  drifted: boolean;
  trainMedian: number;
  recentMedian: number;
}

const sortedFinite = (a: ArrayLike<number>): number[] => Array.from(a).filter(Number.isFinite).sort((x, y) => x - y);

/** alpha default 0.01. Throws RangeError when either sample has fewer than 2 finite scores. */
export function driftCheck(train: ArrayLike<number>, recent: ArrayLike<number>, alpha = 0.01): DriftReport {
  const a = sortedFinite(train);
  const b = sortedFinite(recent);
  if (a.length < 2 || b.length < 2) throw new RangeError(`drift check needs ≥2 finite scores on each side (got ${a.length} and ${b.length})`);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1) (got ${alpha})`);
  let i = 0, j = 0, d = 0;
  while (i < a.length && j < b.length) {
    const x = Math.min(a[i], b[j]);
    while (i < a.length && a[i] <= x) i++;
    while (j < b.length && b[j] <= x) j++;
    d = Math.max(d, Math.abs(i / a.length - j / b.length));
  }
  const n = a.length, m = b.length;
  const critical = Math.sqrt(-0.5 * Math.log(alpha / 2)) * Math.sqrt((n + m) / (n * m));
  return { ks: d, critical, drifted: d > critical, trainMedian: a[n >> 1], recentMedian: b[m >> 1] };
}
