// The model life-cycle inside `watch`: a drift check of recent scores against the training-score sample kept in the
// model artifact in use, and retraining on recent history when the schedule says so, once a failover, deploy or
// rescale after the model's history has settled, or when the scores drifted (src/inspect/lifecycle.ts decides).
// Periods covered by incidents are left out of the history (unless an operator labelled them false alarms or
// expected, or they are an event's unpaged after-effects: src/app/train.ts). The new artifact is written next to the
// old one, recorded as a new version in the store with its report (reason, history range, drift) and swapped into the
// running watcher. While training runs, new samples wait in the store and are scored afterwards: nothing is lost.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Detector, TrainProgress } from '../detectors/index.js';
import { loadDetector } from '../detectors/index.js';
import { driftCheck, type DriftReport } from '../inspect/drift.js';
import { PLACEMENT_EVENTS, retrainDecision, settledEvent, type RetrainDecision, type RetrainPolicy } from '../inspect/lifecycle.js';
import type { FlinkEvent } from '../core/event.js';
import { GAP_END_EVENTS } from '../core/outage.js';
import type { ThresholdRule } from '../eval/index.js';
import type { Store } from '../store/store.js';
import { historyFromStore, trainModel } from './train.js';

export interface LifecycleOptions {
  policy?: RetrainPolicy;
  /** Recent scores compared with the training scores, ms of data time. Default 6 h. */
  driftWindowMs?: number;
  /** Detector kind, parameters and threshold rule of retrained models. */
  kind: string;
  params?: Record<string, unknown>;
  threshold?: ThresholdRule;
  /** Where new model files go. */
  modelDir: string;
  /** The incident grouping retrained models' alarm tails are calibrated for (trainModel's quietMs and minPoints). */
  quietMs?: number;
  minPoints?: number;
  /** Wall clock (tests pass their own). */
  now?: () => number;
  onProgress?: (p: TrainProgress) => void;
}

/** How long after a failover, deploy or rescale `watch` and the replay retrain unless told (`--retrain-after`): the
 *  event grace period — the time an event's disturbance is given to settle — or 10 min when there is no grace. */
export function defaultRetrainAfterMs(eventGraceMs: number | undefined): number {
  return eventGraceMs !== undefined && eventGraceMs > 0 ? eventGraceMs : 600_000;
}

export interface LifecycleResult {
  decision: RetrainDecision;
  drift: DriftReport | null;
  /** The placement event that made retraining due (decision.reason 'event'). */
  event?: FlinkEvent;
  /** Set when a new model version was trained. */
  retrained?: { id: number; path: string; detector: Detector; threshold: number; trainMs: number; series: number };
}

export class ModelLifecycle {
  constructor(private readonly store: Store, private readonly o: LifecycleOptions) {}

  /** Scores of every machine in the last driftWindowMs of scored data time. */
  private async recentScores(): Promise<number[]> {
    const end = await this.store.newestScore();
    if (!Number.isFinite(end)) return [];
    const from = end - (this.o.driftWindowMs ?? 6 * 3_600_000);
    const out: number[] = [];
    for (const m of await this.store.machineStatus()) out.push(...(await this.store.scores(m.machine, from + 1, end)).score);
    return out;
  }

  /** The drift check of the model in use (null when it has no training-score sample or too few recent scores). */
  async drift(): Promise<DriftReport | null> {
    const rec = await this.store.latestModel();
    if (!rec) return null;
    let train: number[] = [];
    try {
      train = loadDetector(rec.path).trainScores;
    } catch {
      return null; // the artifact is gone: no drift check, the schedule still retrains
    }
    const recent = await this.recentScores();
    if (train.length < 2 || recent.length < 30) return null;
    const d = driftCheck(train, recent);
    await this.store.updateModelReport(rec.id, { drift: { ...d, checkedAt: (this.o.now ?? Date.now)() } });
    return d;
  }

  /** The data time the model in use learnt up to: its report's `to`, else when it was registered (a model loaded by
   *  `watch` was trained before it started). */
  private static historyEnd(rec: { createdAt: number; report: Record<string, unknown> }): number {
    return typeof rec.report.to === 'number' ? rec.report.to : rec.createdAt;
  }

  /** The first stored placement event after `end` (up to `to`) — later ones settle later, so it is the one
   *  settledEvent would pick — with the events after it that end a gap in the data (its effect shows from there). */
  private async placementEventAfter(end: number, to: number): Promise<FlinkEvent[]> {
    const [first] = await this.store.events({ from: end + 1, to, kinds: [...PLACEMENT_EVENTS], limit: 1 });
    return first ? [first, ...(await this.store.events({ from: first.ts + 1, to, kinds: GAP_END_EVENTS, limit: 100_000 }))] : [];
  }

  /** Checks drift, asks the policy, and retrains on recent history over `channels` when due. */
  async step(channels: string[]): Promise<LifecycleResult> {
    const now = (this.o.now ?? Date.now)();
    const rec = await this.store.latestModel();
    // without a drift trigger (retraining after events only) the artifact is not read back every tick
    const drift = this.o.policy?.onDrift === false ? null : await this.drift();
    // history by DATA time: the newest historyMs of samples in the store
    const to = await this.store.newestSample();
    const afterEventMs = this.o.policy?.afterEventMs;
    let event: FlinkEvent | null = null;
    if (rec && afterEventMs && Number.isFinite(to)) {
      const end = ModelLifecycle.historyEnd(rec);
      // settled means data: after a gap that began around the event (its machines' metrics were stale, the collector
      // could not reach the cluster) afterEventMs is counted from where the data came back (effectFrom)
      event = settledEvent(await this.placementEventAfter(end, to), end, to, afterEventMs);
    }
    const decision = retrainDecision(now, rec?.createdAt ?? null, drift, this.o.policy, event);
    if (!decision.due) return { decision, drift };
    if (!Number.isFinite(to)) return { decision: { ...decision, due: false, reason: 'not-due' }, drift };
    const from = to - (decision.to - decision.from);
    const history = await historyFromStore(this.store, { from, to, channels });
    if (history.length === 0) return { decision: { ...decision, due: false, reason: 'not-due' }, drift };
    const model = await trainModel({
      history, kind: this.o.kind, params: this.o.params, threshold: this.o.threshold, placement: await this.store.placements(), onProgress: this.o.onProgress,
      quietMs: this.o.quietMs, minPoints: this.o.minPoints, provenance: { source: this.store.location, from, to, reason: decision.reason },
    });
    mkdirSync(this.o.modelDir, { recursive: true });
    const path = join(this.o.modelDir, `${this.o.kind}-${new Date(now).toISOString().replace(/[:.]/g, '-')}-${Math.round(to)}.model`);
    model.detector.save(path); // atomic (temp file + rename)
    const cause = decision.reason === 'event' ? event : null; // a due schedule is named first, not the event
    const id = await this.store.addModel(this.o.kind, path, { reason: decision.reason, ...(cause ? { event: { id: cause.id, kind: cause.kind, ts: cause.ts } } : {}), from, to, series: history.length, drift, trainMs: Math.round(model.trainMs) }, now);
    return { decision, drift, ...(cause ? { event: cause } : {}), retrained: { id, path, detector: model.detector, threshold: model.detector.threshold, trainMs: model.trainMs, series: history.length } };
  }
}
