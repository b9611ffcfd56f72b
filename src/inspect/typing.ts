// Hotspot typing: classifies one anomalous segment of a machine's metric as a slow-rising trend, sustained high level,
// spike, level shift or back-pressure propagation, with onset time and duration (task brief "Online inspection").
// Rule-based on robust statistics of the segment against the window before it; no learned parameters.

import type { HotspotType } from '../core/incident.js';
import { median, robustSpread } from '../core/stats.js';

export interface SegmentInput {
  /** (T,) epoch ms of the segment. */
  timestamps: ArrayLike<number>;
  /** (T,) metric values inside the segment. */
  values: ArrayLike<number>;
  /** (B,) values of the same metric just before the segment (the baseline). */
  before: ArrayLike<number>;
  /** (A,) values just after the segment (empty when the segment is still open). */
  after?: ArrayLike<number>;
  /** Fraction of the segment's timestamps where the machine was back-pressured/busy AND an upstream/downstream
   *  machine was too; from busy/back-pressured metrics across machines. Default 0. */
  backpressureShare?: number;
}

export interface TypedSegment {
  type: HotspotType;
  onset: number;
  durationMs: number;
  /** Size of the deviation in baseline robust standard deviations. */
  magnitude: number;
}

export class TypingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TypingError';
  }
}

const finite = (a: ArrayLike<number>): number[] => Array.from(a).filter((v) => Number.isFinite(v));


/** Least-squares slope of y over index, and the R² of that line. */
function linearFit(y: number[]): { slope: number; r2: number } {
  const n = y.length;
  const mx = (n - 1) / 2;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (i - mx) * (y[i] - my);
    sxx += (i - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const r2 = sxx > 0 && syy > 0 ? (sxy * sxy) / (sxx * syy) : 0;
  return { slope, r2 };
}

/** Types one segment. Throws TypingError when the segment or its baseline has no finite values. */
export function typeSegment(seg: SegmentInput): TypedSegment {
  const T = seg.timestamps.length;
  if (T === 0 || seg.values.length !== T) throw new TypingError(`segment needs ≥1 timestamp and one value per timestamp (got ${T} / ${seg.values.length})`);
  const vals = finite(seg.values);
  const base = finite(seg.before);
  if (vals.length === 0) throw new TypingError('segment has no finite values');
  if (base.length < 3) throw new TypingError(`baseline needs ≥3 finite values (got ${base.length})`);
  const onset = seg.timestamps[0];
  const durationMs = seg.timestamps[T - 1] - onset;
  const level = median(base);
  const scale = robustSpread(base, level); // the explanation's spread (src/core/stats.ts)
  const z = vals.map((v) => (v - level) / scale);
  const magnitude = Math.max(...z.map(Math.abs));
  if ((seg.backpressureShare ?? 0) >= 0.5) return { type: 'backpressure', onset, durationMs, magnitude };
  // Spike: short, or only a few points far out while the rest stays near the baseline.
  const high = z.filter((v) => Math.abs(v) > 3).length;
  if (vals.length <= 3 || high / vals.length < 0.25) return { type: 'spike', onset, durationMs, magnitude };
  // Trend: a steady rise across the segment (good linear fit, total rise large vs. the baseline spread).
  const { slope, r2 } = linearFit(vals);
  const rise = (slope * (vals.length - 1)) / scale;
  if (r2 > 0.6 && Math.abs(rise) > 3) return { type: 'trend', onset, durationMs, magnitude };
  // Level shift vs sustained high: a shift persists after the segment; a sustained high level returns to baseline
  // (or is still open and elevated, which we report as sustained high).
  const after = finite(seg.after ?? []);
  if (after.length >= 3) {
    const afterZ = (median(after) - level) / scale;
    const segZ = median(z);
    if (Math.abs(afterZ) > 0.5 * Math.abs(segZ) && Math.sign(afterZ) === Math.sign(segZ)) {
      return { type: 'level-shift', onset, durationMs, magnitude };
    }
  }
  return { type: 'sustained-high', onset, durationMs, magnitude };
}
