// All metrics of one scored series, side by side (point-adjusted F1 never alone). Two groups: what a threshold
// decides (computed once per threshold rule) and the threshold-free view of the scores (computed once per run).
import { affiliation } from './affiliation.js';
import { detectionDelays, pointAdjustedF1, prf, threshold as applyThreshold } from './pointwise.js';
import { aucPr, aucRoc, oracleBestF1 } from './ranking.js';
import { rangeAucPr, vusPr } from './vus.js';

/** Metrics of the points a threshold flags. */
export interface ThresholdMetrics {
  precision: number;
  recall: number;
  f1: number;
  pa_f1: number;
  aff_precision: number;
  aff_recall: number;
  aff_f1: number;
  /** Mean samples from event start to first detection over detected events (NaN if none detected). */
  delay: number;
  /** Share of labelled events detected at all. */
  event_recall: number;
  /** Test points above the threshold; 0 = the detector flags nothing (its F1 0 says so, not that it tried). */
  flagged: number;
}

/** Threshold-free metrics of the scores. */
export interface RankingMetrics {
  vus_pr: number;
  range_auc_pr: number;
  auc_roc: number;
  auc_pr: number;
  /** Best F1 over all thresholds, chosen with the test labels: an UPPER BOUND, never a result. */
  oracle_best_f1: number;
}

export type Metrics = ThresholdMetrics & RankingMetrics;

export function evaluateAt(scores: ArrayLike<number>, labels: ArrayLike<number>, th: number): ThresholdMetrics {
  const pred = applyThreshold(scores, th);
  const p = prf(pred, labels);
  const aff = affiliation(pred, labels);
  const delays = detectionDelays(pred, labels);
  const hit = delays.filter((d): d is number => d !== null);
  let flagged = 0;
  for (let i = 0; i < pred.length; i++) flagged += pred[i];
  return {
    precision: p.precision,
    recall: p.recall,
    f1: p.f1,
    pa_f1: pointAdjustedF1(pred, labels).f1,
    aff_precision: aff.precision,
    aff_recall: aff.recall,
    aff_f1: aff.f1,
    delay: hit.length ? hit.reduce((a, b) => a + b, 0) / hit.length : NaN,
    event_recall: delays.length ? hit.length / delays.length : NaN,
    flagged,
  };
}

export function evaluateRanking(scores: ArrayLike<number>, labels: ArrayLike<number>): RankingMetrics {
  return {
    vus_pr: vusPr(scores, labels),
    range_auc_pr: rangeAucPr(scores, labels, 0),
    auc_roc: aucRoc(scores, labels),
    auc_pr: aucPr(scores, labels),
    oracle_best_f1: oracleBestF1(scores, labels),
  };
}

export function evaluate(scores: ArrayLike<number>, labels: ArrayLike<number>, th: number): Metrics {
  return { ...evaluateAt(scores, labels, th), ...evaluateRanking(scores, labels) };
}
