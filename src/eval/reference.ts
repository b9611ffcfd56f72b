// The reference that knows nothing: every test point flagged, every score the same. It is not a detector; it shows
// how much of a metric is earned without ranking anything. Affiliation F1 gives it 0.67–0.68 on the synthetic
// benchmark, SMD-dev, ASD and NAB-dev (stop 34) — above some detectors — and plain F1 on NAB-dev more than any
// detector's at `mad:8`, because NAB's labelled windows are wide. A detector below this row on a metric has not
// shown, by that metric, that it finds anything.
import type { DatasetItem } from '../data/index.js';
import { evaluateAt, evaluateRanking } from './evaluate.js';
import type { ResultRow } from './runner.js';
import { formatThresholdRule, protocolOf, type ThresholdRule } from './rules.js';

/** The reference's name in tables and JSON (a name no detector can have). */
export const FLAG_ALL = '(flag every point)';

/** One row per rule for one series: the same metrics under every rule, since no threshold is read. `calibration` is
 *  the run's, as formatted in its rows. */
export function flagAllRows(item: DatasetItem, rules: ThresholdRule[], calibration: string): ResultRow[] {
  const labels = item.test.labels;
  if (!labels) throw new Error(`flagAllRows: series '${item.series}' has no test labels`);
  const ones = new Float32Array(labels.length).fill(1);
  const metrics = { ...evaluateAt(ones, labels, 0), ...evaluateRanking(ones, labels) }; // a point is flagged when its score exceeds the threshold
  return rules.map((rule) => ({
    dataset: item.dataset, series: item.series, detector: FLAG_ALL, seed: 1, rule: formatThresholdRule(rule), protocol: protocolOf(rule),
    calibration, threshold: 0, fit_ms: 0, score_ms: 0, ...metrics,
  }));
}
