// Affiliation precision / recall (Huet, Navarro & Rossi, KDD 2022). Each sample t is the cell [t, t + 1); the
// timeline [0, T] is cut into one affiliation zone per ground-truth event (midpoints between events). In zone j:
//   precision_j = mean over predicted x in the zone of P(dist(X, gt_j) ≥ dist(x, gt_j)),  X ~ U(zone)
//   recall_j    = mean over y in gt_j of P(|X − y| ≥ dist(y, predicted ∩ zone)),          X ~ U(zone)
// precision = mean over zones holding predictions; recall = mean over all zones (0 where nothing is predicted).
// Integrals are evaluated with the midpoint rule at 1/8 sample resolution.
import { checkPair, toEvents, type Event } from './events.js';

const H = 1 / 8;

export interface Affiliation {
  precision: number;
  recall: number;
  f1: number;
}

function survival(zLo: number, zHi: number, lo: number, hi: number, d: number): number {
  // share of the zone [zLo, zHi] at distance ≥ d from [lo, hi]
  if (d <= 0) return 1;
  return (Math.max(0, lo - d - zLo) + Math.max(0, zHi - hi - d)) / (zHi - zLo);
}

function distToIntervals(y: number, iv: Event[]): number {
  let best = Infinity;
  for (const [a, b] of iv) best = Math.min(best, y < a ? a - y : y > b ? y - b : 0);
  return best;
}

export function affiliation(pred: ArrayLike<number>, labels: ArrayLike<number>): Affiliation {
  checkPair('affiliation', pred, labels);
  const T = labels.length;
  const gt = toEvents(labels);
  if (gt.length === 0) return { precision: NaN, recall: NaN, f1: NaN };
  const pr = toEvents(pred);
  const precs: number[] = [];
  const recs: number[] = [];
  gt.forEach(([a, b], j) => {
    const zLo = j === 0 ? 0 : (gt[j - 1][1] + a) / 2;
    const zHi = j === gt.length - 1 ? T : (b + gt[j + 1][0]) / 2;
    const inZone: Event[] = [];
    for (const [s, e] of pr) {
      const lo = Math.max(s, zLo);
      const hi = Math.min(e, zHi);
      if (hi > lo) inZone.push([lo, hi]);
    }
    if (inZone.length === 0) {
      recs.push(0);
      return;
    }
    let acc = 0;
    let len = 0;
    for (const [lo, hi] of inZone) {
      for (let x = lo + H / 2; x < hi; x += H) {
        const d = x < a ? a - x : x > b ? x - b : 0;
        acc += survival(zLo, zHi, a, b, d);
        len++;
      }
    }
    precs.push(acc / len);
    let racc = 0;
    let rlen = 0;
    for (let y = a + H / 2; y < b; y += H) {
      racc += survival(zLo, zHi, y, y, distToIntervals(y, inZone));
      rlen++;
    }
    recs.push(racc / rlen);
  });
  const precision = precs.length ? precs.reduce((p, q) => p + q, 0) / precs.length : 0;
  const recall = recs.reduce((p, q) => p + q, 0) / recs.length;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}
