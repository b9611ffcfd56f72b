// The inspection pipeline shared by `train`, `watch` and `demo`: one cluster model trained on the pooled (noisy,
// unlabelled) history of all machines, its robust threshold from training scores, and an incremental replay of new
// samples through the online scorer (typed, explained incidents; per-machine score history).
import { createDetector, type Detector, type TrainProgress } from '../detectors/index.js';
import type { Series } from '../core/series.js';
import { madThreshold } from '../eval/index.js';
import { IncidentTracker } from './incidents.js';
import { OnlineScorer } from './online.js';

/**
 * Concatenates machines' histories into one training series: machine k's timestamps are shifted so the pooled
 * timeline stays strictly increasing (windows straddling two machines are few and harmless).
 */
export function poolSeries(list: Series[]): Series {
  if (list.length === 0) throw new RangeError('poolSeries: no series');
  const channels = list[0].channels;
  for (const s of list) {
    if (s.channels.join() !== channels.join()) throw new RangeError(`poolSeries: '${s.name}' has channels ${s.channels.join(', ')}, expected ${channels.join(', ')}`);
  }
  const T = list.reduce((a, s) => a + s.timestamps.length, 0);
  const timestamps = new Float64Array(T);
  const values = new Float32Array(T * channels.length);
  let at = 0;
  let offset = 0;
  for (const s of list) {
    const n = s.timestamps.length;
    const shift = offset - s.timestamps[0];
    for (let i = 0; i < n; i++) timestamps[at + i] = s.timestamps[i] + shift;
    values.set(s.values, at * channels.length);
    at += n;
    const step = n > 1 ? s.timestamps[1] - s.timestamps[0] : 1;
    offset = timestamps[at - 1] + step;
  }
  return { name: 'cluster', timestamps, channels: [...channels], values };
}

export interface TrainedModel {
  detector: Detector;
  threshold: number;
  trainScores: Float32Array;
  trainMs: number;
}

export async function trainClusterModel(
  history: Series[], kind: string, params: Record<string, unknown>, onProgress?: (p: TrainProgress) => void, signal?: AbortSignal,
): Promise<TrainedModel> {
  const pooled = poolSeries(history);
  const detector = createDetector(kind, params);
  const t0 = performance.now();
  await detector.fit(pooled, { onProgress, signal });
  const trainScores = detector.score(pooled);
  return { detector, threshold: madThreshold(trainScores), trainScores, trainMs: performance.now() - t0 };
}

export interface ReplayResult {
  tracker: IncidentTracker;
  scorer: OnlineScorer;
  scores: Map<string, { t: number[]; score: number[] }>;
  /** Wall-clock ms from a delivery's arrival (every machine's next batch) to its scores and incidents, per delivery. */
  latenciesMs: number[];
}

/** Feeds each machine's samples in batches (as a collector would deliver them) through one online scorer. */
export function replay(detector: Detector, threshold: number, machines: Series[], batch = 10, window = 64, onBatch?: (done: number, total: number) => void): ReplayResult {
  const tracker = new IncidentTracker();
  const scorer = new OnlineScorer({ channels: machines[0].channels, window, threshold, score: (s) => detector.score(s), scoreMany: (s) => detector.scoreMany(s) }, tracker);
  const scores = new Map<string, { t: number[]; score: number[] }>(machines.map((m) => [m.name, { t: [], score: [] }]));
  const latenciesMs: number[] = [];
  const T = Math.max(...machines.map((m) => m.timestamps.length));
  const C = machines[0].channels.length;
  for (let from = 0; from < T; from += batch) {
    let now = -Infinity;
    const items: { machine: string; timestamps: Float64Array; values: Series['values'] }[] = [];
    for (const m of machines) {
      const to = Math.min(from + batch, m.timestamps.length);
      if (to <= from) continue;
      items.push({ machine: m.name, timestamps: m.timestamps.subarray(from, to), values: m.values.subarray(from * C, to * C) });
      now = Math.max(now, m.timestamps[to - 1]);
    }
    const t0 = performance.now();
    const got = scorer.ingestMany(items); // the whole cluster's delivery, scored in one batched call
    tracker.tick(now);
    latenciesMs.push(performance.now() - t0);
    for (const [m, pts] of got) {
      const h = scores.get(m)!;
      for (const p of pts) {
        h.t.push(p.t);
        h.score.push(p.score);
      }
    }
    onBatch?.(Math.min(from + batch, T), T);
  }
  return { tracker, scorer, scores, latenciesMs };
}
