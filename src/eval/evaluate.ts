// All metrics of one scored series at one threshold, side by side (point-adjusted F1 never alone).
import { affiliation } from './affiliation.js';
import { detectionDelays, pointAdjustedF1, prf, threshold as applyThreshold } from './pointwise.js';
import { aucPr, aucRoc } from './ranking.js';
import { rangeAucPr, vusPr } from './vus.js';

export interface Metrics {
  precision: number;
  recall: number;
  f1: number;
  pa_f1: number;
  aff_precision: number;
  aff_recall: number;
  aff_f1: number;
  vus_pr: number;
  range_auc_pr: number;
  auc_roc: number;
  auc_pr: number;
  /** Mean samples from event start to first detection over detected events (NaN if none detected). */
  delay: number;
  /** Share of labelled events detected at all. */
  event_recall: number;
}

export function evaluate(scores: ArrayLike<number>, labels: ArrayLike<number>, th: number): Metrics {
  const pred = applyThreshold(scores, th);
  const p = prf(pred, labels);
  const aff = affiliation(pred, labels);
  const delays = detectionDelays(pred, labels);
  const hit = delays.filter((d): d is number => d !== null);
  return {
    precision: p.precision,
    recall: p.recall,
    f1: p.f1,
    pa_f1: pointAdjustedF1(pred, labels).f1,
    aff_precision: aff.precision,
    aff_recall: aff.recall,
    aff_f1: aff.f1,
    vus_pr: vusPr(scores, labels),
    range_auc_pr: rangeAucPr(scores, labels, 0),
    auc_roc: aucRoc(scores, labels),
    auc_pr: aucPr(scores, labels),
    delay: hit.length ? hit.reduce((a, b) => a + b, 0) / hit.length : NaN,
    event_recall: delays.length ? hit.length / delays.length : NaN,
  };
}
