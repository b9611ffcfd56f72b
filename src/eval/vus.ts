// Range-AUC-PR and VUS-PR (Paparrizos et al., VLDB 2022), as implemented here:
//  - soft labels with a buffer ℓ around each event: 1 inside, sqrt(1 − δ / (ℓ + 1)) at distance δ ≤ ℓ outside;
//  - at each threshold θ (up to 100 score quantiles): precision = Σ pred·l / Σ pred,
//    recall = (Σ over labelled points of pred / Σ labels) × (share of events whose buffered range holds a
//    prediction) — the buffer rewards near misses through precision and event existence, and a perfect
//    prediction scores 1 at every ℓ;
//  - range-AUC-PR = trapezoidal area under (recall, precision) between the measured points, the first point's
//    precision held back to recall 0; VUS-PR = its mean over ℓ ∈ {0, ℓmax/4, …, ℓmax} (ℓmax = 20 samples by
//    default). With ℓ = 0 it is a range-aware AUC-PR.
//  - Not anchored at (0, 1), as TSB-UAD's code is: with that anchor the segment up to the highest threshold's point is
//    credited (1 + its precision) / 2, so scores whose top level is shared by many points (ties) earn area they never
//    ranked — a constant score got (1 + p) / 2, 0.52–0.57 on SMD-dev, ASD and NAB-dev, above every detector
//    (stop 34). Held back, a constant score earns its precision: the soft-label prevalence.
import { checkPair, toEvents } from './events.js';

function softLabels(labels: ArrayLike<number>, buffer: number): Float64Array {
  const T = labels.length;
  const l = new Float64Array(T);
  for (const [s, e] of toEvents(labels)) {
    for (let i = s; i < e; i++) l[i] = 1;
    for (let d = 1; d <= buffer; d++) {
      const w = Math.sqrt(1 - d / (buffer + 1));
      if (s - d >= 0) l[s - d] = Math.max(l[s - d], w);
      if (e - 1 + d < T) l[e - 1 + d] = Math.max(l[e - 1 + d], w);
    }
  }
  return l;
}

export function rangeAucPr(scores: ArrayLike<number>, labels: ArrayLike<number>, buffer = 0): number {
  checkPair('rangeAucPr', scores, labels);
  const events = toEvents(labels);
  if (events.length === 0) return NaN;
  const l = softLabels(labels, buffer);
  let nLab = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) nLab++;
  const sorted = Float64Array.from(scores as ArrayLike<number>).sort();
  const levels = new Set<number>();
  for (let k = 0; k < 100; k++) levels.add(sorted[Math.floor((k / 100) * (sorted.length - 1))]);
  levels.add(sorted[sorted.length - 1]);
  const ths = [...levels].sort((a, b) => b - a); // high → low: recall grows
  const pts: [number, number][] = [];
  for (const th of ths) {
    let npred = 0;
    let tp = 0;
    let hits = 0;
    for (let i = 0; i < scores.length; i++) if (scores[i] >= th) {
      npred++;
      tp += l[i];
      if (labels[i]) hits++;
    }
    let found = 0;
    for (const [s, e] of events) {
      for (let i = Math.max(0, s - buffer); i < Math.min(scores.length, e + buffer); i++) if (scores[i] >= th) {
        found++;
        break;
      }
    }
    const precision = npred ? tp / npred : 1;
    const recall = (hits / nLab) * (found / events.length);
    pts.push([recall, precision]);
  }
  pts.unshift([0, pts[0][1]]);
  let area = 0;
  for (let k = 1; k < pts.length; k++) area += (pts[k][0] - pts[k - 1][0]) * (pts[k][1] + pts[k - 1][1]) / 2;
  return area;
}

export function vusPr(scores: ArrayLike<number>, labels: ArrayLike<number>, maxBuffer = 20): number {
  const bufs = [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(f * maxBuffer));
  return bufs.reduce((s, b) => s + rangeAucPr(scores, labels, b), 0) / bufs.length;
}
