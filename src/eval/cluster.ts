// Cluster evaluation: a dataset whose series are the machines of ONE cluster over the same period (synthetic:flink,
// flink-lab recordings) is evaluated as the product sees it — each detector is fitted once on all machines' training
// parts (pooled; a detector with a peer view also reads each machine's peers at the same timestamps, from the job
// placement in the series' meta), then scores every machine's test part with its peers. Thresholds per machine from
// that machine's held-out training tail only, as in the per-series runner (src/eval/runner.ts).
import { createDetector, type Detector } from '../detectors/index.js';
import type { DatasetItem } from '../data/index.js';
import { peerGroups, type PeerGroups } from '../core/peers.js';
import { evaluate } from './evaluate.js';
import { seedParam, splitTraining, DEFAULT_CALIBRATION, type Calibration, type ResultRow } from './runner.js';
import { formatThresholdRule, protocolOf, thresholdFrom, type ThresholdRule } from './rules.js';

/** The job placement of a cluster's machines as their series carry it (meta.jobs); the whole cluster when absent. */
export function clusterGroups(items: readonly DatasetItem[]): PeerGroups {
  const jobs = new Map(items.map((i) => [i.series, i.train.meta?.jobs]));
  return peerGroups(items.map((i) => i.series), (m) => { const j = jobs.get(m); return Array.isArray(j) ? j : undefined; });
}

/** Throws unless the items are one cluster: the same training and test timestamps on every machine. */
export function checkCluster(items: readonly DatasetItem[]): void {
  if (items.length < 2) throw new Error(`a cluster evaluation needs ≥ 2 machines of one dataset (got ${items.length})`);
  const same = (a: Float64Array, b: Float64Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
  for (const it of items.slice(1)) {
    if (it.dataset !== items[0].dataset) throw new Error(`cluster evaluation: '${it.series}' is from ${it.dataset}, not ${items[0].dataset}`);
    if (!same(it.train.timestamps, items[0].train.timestamps) || !same(it.test.timestamps, items[0].test.timestamps)) {
      throw new Error(`cluster evaluation: '${it.series}' and '${items[0].series}' are not sampled at the same timestamps (not one cluster)`);
    }
  }
}

export interface ClusterRun {
  rows: ResultRow[];
  /** Test scores per machine, in item order. */
  scores: Float32Array[];
  detector: Detector;
}

export async function runClusterOne(items: DatasetItem[], kind: string, seed: number, params: Record<string, unknown>, rule: ThresholdRule, calibration: Calibration = DEFAULT_CALIBRATION): Promise<ClusterRun> {
  checkCluster(items);
  const groups = clusterGroups(items);
  const det = createDetector(kind, { ...params, ...('seed' in params ? {} : seedParam(kind, seed)) });
  // as the runner: each machine's last share held out of the fit; its scores (with the peers') set the threshold
  const parts = items.map((i) => splitTraining(i.train, calibration));
  const t0 = performance.now();
  await det.fitCluster(parts.map((p) => p.fit), groups);
  const held = parts.every((p) => p.calibration) ? det.scoreMany(parts.map((p) => p.calibration!), groups) : det.scoreMany(items.map((i) => i.train), groups);
  const fit_ms = performance.now() - t0;
  const t1 = performance.now();
  const scores = det.scoreMany(items.map((i) => i.test), groups);
  const score_ms = (performance.now() - t1) / items.length;
  const rows = items.map((it, k) => {
    const th = thresholdFrom(held[k], rule, scores[k]);
    const m = evaluate(scores[k], it.test.labels ?? new Uint8Array(scores[k].length), th);
    const row: ResultRow = {
      dataset: it.dataset, series: it.series, detector: kind, seed, rule: formatThresholdRule(rule), protocol: protocolOf(rule),
      calibration: calibration.kind === 'none' ? 'none' : `tail:${calibration.share}`, threshold: th, fit_ms, score_ms, ...m,
    };
    return row;
  });
  return { rows, scores, detector: det };
}
