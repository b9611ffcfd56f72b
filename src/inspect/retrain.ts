// The model life-cycle inside `watch`: a drift check of recent scores against the training-time scores of the model in
// use, and retraining on recent history when the schedule says so or the scores drifted (lifecycle.ts decides).
// Periods covered by incidents are left out of the history. The new model is written next to the old one, recorded as a new version in the store with its report (reason,
// history range, drift, training curve, a sample of its training scores for the next drift check) and swapped into the
// running watcher. While training runs, new samples wait in the store and are scored afterwards: nothing is lost.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Detector } from '../detectors/index.js';
import type { Series } from '../core/series.js';
import { driftCheck, type DriftReport } from './drift.js';
import { retrainDecision, type RetrainDecision, type RetrainPolicy } from './lifecycle.js';
import { trainClusterModel } from './pipeline.js';
import type { Store } from '../store/sqlite.js';
import type { TrainProgress } from '../detectors/detector.js';

export interface LifecycleOptions {
  policy?: RetrainPolicy;
  /** Recent scores compared with the training scores, ms of data time. Default 6 h. */
  driftWindowMs?: number;
  /** Detector kind and parameters of retrained models. */
  kind: string;
  params?: Record<string, unknown>;
  /** Where new model files go. */
  modelDir: string;
  /** Wall clock (tests pass their own). */
  now?: () => number;
  onProgress?: (p: TrainProgress) => void;
}

export interface LifecycleResult {
  decision: RetrainDecision;
  drift: DriftReport | null;
  /** Set when a new model version was trained. */
  retrained?: { id: number; path: string; detector: Detector; threshold: number; trainMs: number; series: number };
}

/** Evenly spaced sample (≤ n values) of a score array: what a model report keeps for later drift checks. */
export function scoreSample(scores: ArrayLike<number>, n = 2000): number[] {
  const step = Math.max(1, scores.length / n);
  const out: number[] = [];
  for (let i = 0; i < scores.length && out.length < n; i += step) {
    const v = scores[Math.floor(i)];
    if (Number.isFinite(v)) out.push(v);
  }
  return out;
}

/** The series without the rows inside any of the [from, to] ranges (incident periods). */
export function withoutRanges(s: Series, ranges: [number, number][]): Series {
  if (ranges.length === 0) return s;
  const C = s.channels.length;
  const keep: number[] = [];
  for (let i = 0; i < s.timestamps.length; i++) if (!ranges.some(([a, b]) => s.timestamps[i] >= a && s.timestamps[i] <= b)) keep.push(i);
  const values = new Float32Array(keep.length * C);
  keep.forEach((i, k) => values.set(s.values.subarray(i * C, (i + 1) * C), k * C));
  return { ...s, timestamps: Float64Array.from(keep.map((i) => s.timestamps[i])), values };
}

export class ModelLifecycle {
  constructor(private readonly store: Store, private readonly o: LifecycleOptions) {}

  /** Scores of every machine in the last driftWindowMs of scored data time. */
  private recentScores(): number[] {
    const win = this.o.driftWindowMs ?? 6 * 3_600_000;
    const out: number[] = [];
    for (const m of this.store.scoredMachines()) {
      const all = this.store.scores(m, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
      const end = all.t[all.t.length - 1];
      for (let i = 0; i < all.t.length; i++) if (all.t[i] > end - win) out.push(all.score[i]);
    }
    return out;
  }

  /** The drift check of the model in use (null when it has no training-score sample or too few recent scores). */
  drift(): DriftReport | null {
    const rec = this.store.latestModel();
    if (!rec) return null;
    const train = this.store.modelReport(rec.id).trainScores as number[] | undefined;
    const recent = this.recentScores();
    if (!train || train.length < 2 || recent.length < 30) return null;
    const d = driftCheck(train, recent);
    this.store.updateModelReport(rec.id, { drift: { ...d, checkedAt: (this.o.now ?? Date.now)() } });
    return d;
  }

  /** Checks drift, asks the policy, and retrains on recent history over `channels` when due. */
  async step(channels: string[]): Promise<LifecycleResult> {
    const now = (this.o.now ?? Date.now)();
    const rec = this.store.latestModel();
    const drift = this.drift();
    const decision = retrainDecision(now, rec?.createdAt ?? null, drift, this.o.policy);
    if (!decision.due) return { decision, drift };
    // history by DATA time: the newest historyMs of samples in the store
    const to = this.store.newestSample();
    if (!Number.isFinite(to)) return { decision: { ...decision, due: false, reason: 'not-due' }, drift };
    const from = to - (decision.to - decision.from);
    // incident periods are left out, so a hotspot (open or past) is not learnt as the new normal
    const incidents = this.store.incidents();
    const periods = (m: string): [number, number][] => incidents.filter((i) => i.machine === m).map((i) => [i.onset, i.resolvedAt ?? Number.MAX_SAFE_INTEGER]);
    const history: Series[] = this.store.machines().map((m) => withoutRanges(this.store.series(m, channels, from, to), periods(m))).filter((s) => s.timestamps.length > 0);
    if (history.length === 0) return { decision: { ...decision, due: false, reason: 'not-due' }, drift };
    const model = await trainClusterModel(history, this.o.kind, this.o.params ?? {}, this.o.onProgress);
    mkdirSync(this.o.modelDir, { recursive: true });
    const path = join(this.o.modelDir, `${this.o.kind}-${new Date(now).toISOString().replace(/[:.]/g, '-')}.model`);
    model.detector.save(path); // atomic (temp file + rename)
    const curve = (model.detector as unknown as { history?: unknown[] }).history ?? [];
    const id = this.store.addModel(this.o.kind, path, model.threshold, {
      reason: decision.reason, from, to, series: history.length, drift, history: curve, trainScores: scoreSample(model.trainScores), trainMs: Math.round(model.trainMs),
    }, now);
    return { decision, drift, retrained: { id, path, detector: model.detector, threshold: model.threshold, trainMs: model.trainMs, series: history.length } };
  }
}
