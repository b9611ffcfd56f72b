// Threshold functions over calibration scores — scores of held-out training data, or the training data's own
// scores with trivial self-matches excluded (src/eval/runner.ts says which) — never test scores or labels. Which rule
// a run uses, and its text form, is src/eval/rules.ts.
//  - percentile: the q-quantile of the calibration scores;
//  - POT (Siffer et al., KDD 2017): fit a generalised Pareto distribution to the excesses over an initial high
//    quantile t, then z_q = t + σ/γ ((q · n / N_t)^(−γ) − 1) (γ ≠ 0) or t − σ ln(q · n / N_t) (γ = 0), so that the
//    probability of exceeding z_q is about q. GPD parameters by the method of moments (documented, robust).

import { madSigma, median, quantileSorted, sortedFinite as finiteSorted } from '../core/stats.js';

function sortedFinite(scores: ArrayLike<number>): Float64Array {
  const v = finiteSorted(scores);
  if (v.length === 0) throw new RangeError('threshold: no finite training scores');
  return v;
}

export function percentileThreshold(trainScores: ArrayLike<number>, q: number): number {
  const v = sortedFinite(trainScores);
  return quantileSorted(v, q);
}

export interface PotOptions {
  /** Target exceedance probability q. */
  risk?: number;
  /** Quantile of the training scores used as the initial threshold t. */
  initialQuantile?: number;
}

export function potThreshold(trainScores: ArrayLike<number>, opts: PotOptions = {}): { threshold: number; gamma: number; sigma: number } {
  const risk = opts.risk ?? 1e-3;
  const v = sortedFinite(trainScores);
  const t = percentileThreshold(v, opts.initialQuantile ?? 0.98);
  const ex = Array.from(v).filter((s) => s > t).map((s) => s - t);
  if (ex.length < 5) return { threshold: v[v.length - 1], gamma: 0, sigma: 0 };
  const m = ex.reduce((a, b) => a + b, 0) / ex.length;
  const s2 = ex.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(ex.length - 1, 1);
  const gamma = s2 > 0 ? 0.5 * (1 - (m * m) / s2) : 0;
  const sigma = s2 > 0 ? 0.5 * m * ((m * m) / s2 + 1) : m;
  const r = (risk * v.length) / ex.length;
  const z = Math.abs(gamma) < 1e-6 ? t - sigma * Math.log(r) : t + (sigma / gamma) * (Math.pow(r, -gamma) - 1);
  return { threshold: Number.isFinite(z) ? z : v[v.length - 1], gamma, sigma };
}

/**
 * Robust rule: median + k · 1.4826 · MAD of the training scores. Unlike a percentile it does not move when the
 * training data holds unlabelled anomalies (up to half of it), which is the case flinkscope is built for.
 * k = 8 was chosen on the development instance (synthetic:flink seed 1, 3 machines), never on evaluation seeds.
 */
export function madThreshold(trainScores: ArrayLike<number>, k = 8): number {
  const v = sortedFinite(trainScores);
  const med = median(v);
  const mad = madSigma(v, med);
  // a zero MAD (over half the scores equal) would flag every point above the median: use the spread to the maximum
  return med + k * (mad > 0 ? mad : Math.max(v[v.length - 1] - med, 1e-9) / k);
}
