// Anomalous segments from a score stream: runs of timestamps whose anomaly score is ≥ threshold, with short gaps
// (≤ maxGap points) bridged so one flapping hotspot stays one segment (task brief "Hotspot typing").

export interface Segment {
  /** Index of the first anomalous point. */
  start: number;
  /** Index one past the last anomalous point. */
  end: number;
  /** Highest score inside the segment. */
  peak: number;
}

export interface SegmentConfig {
  /** Scores ≥ threshold are anomalous. Required. */
  threshold: number;
  /** Normal runs of at most this many points between two anomalous runs are bridged. Default 2. */
  maxGap?: number;
}

/** (T,) scores → anomalous segments in time order. NaN scores count as normal. */
export function findSegments(scores: ArrayLike<number>, cfg: SegmentConfig): Segment[] {
  if (!Number.isFinite(cfg.threshold)) throw new RangeError(`threshold must be a finite number (got ${cfg.threshold})`);
  const maxGap = cfg.maxGap ?? 2;
  if (!Number.isInteger(maxGap) || maxGap < 0) throw new RangeError(`maxGap must be a non-negative integer (got ${maxGap})`);
  const out: Segment[] = [];
  let cur: Segment | null = null;
  let lastHit = -1;
  for (let t = 0; t < scores.length; t++) {
    const s = scores[t];
    if (!(s >= cfg.threshold)) continue;
    if (cur && t - lastHit - 1 <= maxGap) {
      cur.end = t + 1;
      cur.peak = Math.max(cur.peak, s);
    } else {
      cur = { start: t, end: t + 1, peak: s };
      out.push(cur);
    }
    lastHit = t;
  }
  return out;
}
