// Point-wise precision / recall / F1, and the point-adjusted variant (Xu et al. 2018), which marks a whole labelled
// event as detected when any of its points is — reported only next to the plain numbers, never instead of them.
import { checkPair, toEvents } from './events.js';

export interface PRF {
  precision: number;
  recall: number;
  f1: number;
}

export function prf(pred: ArrayLike<number>, labels: ArrayLike<number>): PRF {
  checkPair('prf', pred, labels);
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < labels.length; i++) {
    if (pred[i] && labels[i]) tp++;
    else if (pred[i]) fp++;
    else if (labels[i]) fn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}

/** Predictions after point adjustment: every event with at least one hit becomes fully predicted. */
export function pointAdjust(pred: ArrayLike<number>, labels: ArrayLike<number>): Uint8Array {
  checkPair('pointAdjust', pred, labels);
  const out = Uint8Array.from(pred as ArrayLike<number>, (v) => (v ? 1 : 0));
  for (const [s, e] of toEvents(labels)) {
    let hit = false;
    for (let i = s; i < e && !hit; i++) hit = !!pred[i];
    if (hit) out.fill(1, s, e);
  }
  return out;
}

export function pointAdjustedF1(pred: ArrayLike<number>, labels: ArrayLike<number>): PRF {
  return prf(pointAdjust(pred, labels), labels);
}

/** Per event: samples from its start to the first hit (null = missed). */
export function detectionDelays(pred: ArrayLike<number>, labels: ArrayLike<number>): (number | null)[] {
  checkPair('detectionDelays', pred, labels);
  return toEvents(labels).map(([s, e]) => {
    for (let i = s; i < e; i++) if (pred[i]) return i - s;
    return null;
  });
}

export function threshold(scores: ArrayLike<number>, th: number): Uint8Array {
  return Uint8Array.from(scores as ArrayLike<number>, (v) => (v > th ? 1 : 0));
}
