// The watch loop over the store: for every machine, the samples newer than what its scorer has seen are scored
// incrementally (OnlineScorer), scores and scorer state are written back, incidents are persisted and alerted
// (open / resolved). All state lives in the store, so a restarted watcher continues where it stopped.
import type { Detector } from '../detectors/index.js';
import { IncidentTracker } from './incidents.js';
import type { Incident } from '../core/incident.js';
import { OnlineScorer, type MachineState } from './online.js';
import type { Store } from '../store/sqlite.js';
import type { WebhookAlerter } from './alerts.js';
import { jobMovers } from './explain.js';
import { backpressureCause, seriesActivity, type Activity } from './propagation.js';

export interface WatchOptions {
  window?: number;
  alerter?: WebhookAlerter;
  resolveAfterMs?: number;
  /** Baseline before an incident's onset against which per-job metrics are compared. Default 1 h. */
  jobBaselineMs?: number;
  onAlertError?: (e: Error) => void;
}

export interface StepResult {
  scored: number;
  opened: Incident[];
  resolved: Incident[];
}

export class Watcher {
  readonly tracker: IncidentTracker;
  readonly scorer: OnlineScorer;
  readonly channels: string[];
  private readonly alerted = new Map<string, string>(); // incident id → last state alerted

  constructor(private readonly store: Store, detector: Detector, public threshold: number, private modelId: number | null, private readonly o: WatchOptions = {}) {
    this.channels = detector.channels;
    this.tracker = new IncidentTracker({ resolveAfterMs: o.resolveAfterMs });
    this.scorer = new OnlineScorer({ channels: this.channels, window: o.window ?? 64, threshold, score: (s) => detector.score(s), scoreMany: (s) => detector.scoreMany(s) }, this.tracker);
    // restore: incidents, then each machine's scorer state
    const stored = store.incidents();
    this.tracker.restore(stored.map(({ explanation: _e, movers: _m, cause: _c, ...i }) => i));
    for (const i of stored) {
      this.alerted.set(i.id, i.state);
      if (Array.isArray(i.explanation)) this.scorer.explanations.set(i.id, i.explanation as never);
    }
    for (const m of store.machines()) {
      const st = store.scorerState<MachineState>(m);
      if (st) this.scorer.restore(m, st);
    }
  }

  /** Switches to a retrained model over the same channels; machine windows and open incidents carry over. */
  swapModel(detector: Detector, threshold: number, modelId: number | null): void {
    const missing = this.channels.filter((c) => !detector.channels.includes(c));
    if (missing.length || detector.channels.length !== this.channels.length) throw new Error(`the new model's channels differ from the running one's (${missing.join(', ') || 'count'})`);
    this.scorer.setModel((s) => detector.score(s), threshold, (s) => detector.scoreMany(s));
    this.threshold = threshold;
    this.modelId = modelId;
  }

  /** Mean busy and back-pressured time of a machine in [from, to] from the store. */
  private activity(machine: string, from: number, to: number): Activity | null {
    return seriesActivity(this.store.series(machine, ['busy_ms_per_s', 'backpressured_ms_per_s'], from, to), from, to);
  }

  /** Scores everything new in the store; returns what changed. */
  async step(): Promise<StepResult> {
    let scored = 0;
    let newest = -Infinity;
    const batch: { machine: string; timestamps: Float64Array; values: ArrayLike<number> }[] = [];
    for (const m of this.store.machines()) {
      const since = this.scorer.lastTimestamp(m);
      const s = this.store.series(m, this.channels, Number.isFinite(since) ? since + 1 : -Infinity);
      if (s.timestamps.length === 0) continue;
      batch.push({ machine: m, timestamps: s.timestamps, values: s.values });
      newest = Math.max(newest, s.timestamps[s.timestamps.length - 1]);
    }
    for (const [m, pts] of this.scorer.ingestMany(batch)) { // every machine's window in one batched forward
      this.store.saveScores(m, pts, this.modelId);
      this.store.saveScorerState(m, this.scorer.saveState(m));
      scored += pts.length;
    }
    if (Number.isFinite(newest)) this.tracker.tick(newest);
    const opened: Incident[] = [];
    const resolved: Incident[] = [];
    for (const i of this.tracker.incidents) {
      const before = this.alerted.get(i.id);
      if (before === i.state && i.state === 'resolved') continue;
      const base = this.o.jobBaselineMs ?? 3_600_000;
      const end = i.resolvedAt ?? i.lastSeen;
      const movers = jobMovers(this.store.jobSamples(i.machine, i.onset - base, end), i.onset - base, i.onset, end);
      const cause = i.type === 'backpressure' ? backpressureCause(i, { jobsOn: (m) => this.store.jobsOn(m), machines: this.store.machines(), activity: (m, a, b) => this.activity(m, a, b), incidents: this.tracker.incidents }) : undefined;
      this.store.upsertIncident(i, this.scorer.explanations.get(i.id) ?? [], movers, cause ?? undefined);
      if (before === undefined) opened.push(i);
      if (i.state === 'resolved' && before !== 'resolved') resolved.push(i);
      this.alerted.set(i.id, i.state);
    }
    for (const [list, kind] of [[opened, 'open'], [resolved, 'resolved']] as const) {
      for (const i of list) await this.o.alerter?.send(i, kind).catch((e: Error) => this.o.onAlertError?.(e));
    }
    return { scored, opened, resolved };
  }
}
