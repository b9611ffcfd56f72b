// The benchmark runner: for each dataset spec × series × detector × seed — fit on the training part (no labels),
// threshold from TRAINING scores only, score the test part, compute every metric. Pure orchestration; printing
// and progress bars belong to the CLI.
import { createDetector, type Detector } from '../detectors/index.js';
import { loadDataset, type DatasetItem } from '../data/index.js';
import { evaluate, type Metrics } from './evaluate.js';
import { madThreshold, percentileThreshold, potThreshold } from './threshold.js';

export interface ResultRow extends Metrics {
  dataset: string;
  series: string;
  detector: string;
  seed: number;
  threshold: number;
  train_ms: number;
  score_ms: number;
}

/**
 * How the threshold is set. All but 'paper' read training scores only. 'paper' reproduces the published CCL
 * evaluation — the (100 − ratio) percentile of train AND test scores together — which looks at the test data: it is
 * LEAKY, offered only to reproduce the paper's numbers, and every result made with it is labelled so.
 */
export type ThresholdRule = { kind: 'percentile'; q: number } | { kind: 'pot'; risk: number } | { kind: 'mad'; k: number } | { kind: 'paper'; ratio: number };

export interface EvalOptions {
  datasets: string[];
  detectors: string[];
  seeds: number;
  /** Per-detector parameter overrides, e.g. { ccl: { epochs: 3 } }. */
  params?: Record<string, Record<string, unknown>>;
  threshold?: ThresholdRule;
  /** Only the first n series of each dataset (quick runs). */
  maxSeries?: number;
  onStart?: (total: number) => void;
  onResult?: (row: ResultRow, done: number) => void;
  /** Receives test scores of each run (for reports). */
  onScores?: (row: ResultRow, item: DatasetItem, scores: Float32Array) => void;
}

export const DEFAULT_THRESHOLD: ThresholdRule = { kind: 'mad', k: 8 };

export function thresholdFrom(trainScores: Float32Array, rule: ThresholdRule, testScores?: Float32Array): number {
  if (rule.kind === 'paper') {
    if (!testScores) throw new Error("the 'paper' threshold needs the test scores (it is the leaky published protocol)");
    const both = new Float32Array(trainScores.length + testScores.length);
    both.set(trainScores);
    both.set(testScores, trainScores.length);
    return percentileThreshold(both, 1 - rule.ratio / 100);
  }
  if (rule.kind === 'percentile') return percentileThreshold(trainScores, rule.q);
  if (rule.kind === 'mad') return madThreshold(trainScores, rule.k);
  return potThreshold(trainScores, { risk: rule.risk }).threshold;
}

export async function runOne(item: DatasetItem, kind: string, seed: number, params: Record<string, unknown>, rule: ThresholdRule): Promise<{ row: ResultRow; scores: Float32Array; detector: Detector }> {
  const det = createDetector(kind, { ...params, ...(('seed' in (params ?? {})) ? {} : seedParam(kind, seed)) });
  const t0 = performance.now();
  await det.fit(item.train);
  const trainScores = det.score(item.train);
  const train_ms = performance.now() - t0;
  const t1 = performance.now();
  const scores = det.score(item.test);
  const score_ms = performance.now() - t1;
  const th = thresholdFrom(trainScores, rule, scores);
  const m = evaluate(scores, item.test.labels ?? new Uint8Array(scores.length), th);
  return { row: { dataset: item.dataset, series: item.series, detector: kind, seed, threshold: th, train_ms, score_ms, ...m }, scores, detector: det };
}

export function seedParam(kind: string, seed: number): Record<string, unknown> {
  // every detector that is random takes a `seed` parameter; deterministic ones do not declare it
  try {
    createDetector(kind, { seed });
    return { seed };
  } catch {
    return {};
  }
}

export async function runEval(o: EvalOptions): Promise<ResultRow[]> {
  const rule = o.threshold ?? DEFAULT_THRESHOLD;
  const items: DatasetItem[] = [];
  for (const spec of o.datasets) {
    const all = (await loadDataset(spec)).filter((i) => i.test.labels?.some((v) => v === 1)); // series without labelled anomalies say nothing
    items.push(...all.slice(0, o.maxSeries ?? all.length));
  }
  const total = items.length * o.detectors.length * o.seeds;
  o.onStart?.(total);
  const rows: ResultRow[] = [];
  for (const item of items) {
    for (const kind of o.detectors) {
      for (let seed = 1; seed <= o.seeds; seed++) {
        const { row, scores } = await runOne(item, kind, seed, o.params?.[kind] ?? {}, rule);
        rows.push(row);
        o.onScores?.(row, item, scores);
        o.onResult?.(row, rows.length);
      }
    }
  }
  return rows;
}
