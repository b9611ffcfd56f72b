// Model life-cycle: when to retrain (scheduled interval, once a Flink event has moved the placement the model learnt,
// or earlier when the drift check fires) and on which recent history window (task brief "Model life-cycle"). Pure
// decision; the CLI runs the training and records the version.

import type { EventKind, FlinkEvent } from '../core/event.js';
import type { DriftReport } from './drift.js';

/** Events after which subtasks certainly run elsewhere, so the picture a model has of each machine may be gone: a
 *  TaskManager was lost (its subtasks were placed on the others), a job was deployed, a vertex rescaled. A restart
 *  alone is not one: Flink may give a restarted job its slots back. */
export const PLACEMENT_EVENTS: ReadonlySet<EventKind> = new Set<EventKind>(['failover', 'deploy', 'rescale']);

export interface RetrainPolicy {
  /** Retrain at least this often, ms. Default 24 h. */
  intervalMs?: number;
  /** Train on this much recent history, ms. Default 7 days. */
  historyMs?: number;
  /** Retrain early when the score distribution drifted. Default true. */
  onDrift?: boolean;
  /** Never retrain more often than this, ms (guards against drift flapping). Default 1 h. */
  minGapMs?: number;
  /** Retrain once this long (data time) after a placement event (PLACEMENT_EVENTS) that came after the model's history
   *  ended: by then the cluster has settled into its new placement, and the history holds it. 0 or absent: off. */
  afterEventMs?: number;
}

export interface RetrainDecision {
  due: boolean;
  reason: 'no-model' | 'schedule' | 'event' | 'drift' | 'not-due';
  from: number;
  to: number;
}

/** The placement event that makes retraining due: the first one after `historyEnd` (the data time the model's history
 *  ended) whose settling time `afterEventMs` has passed by `dataNow` (the newest data). Null: none, or the policy is off. */
export function settledEvent(events: readonly FlinkEvent[], historyEnd: number, dataNow: number, afterEventMs: number | undefined): FlinkEvent | null {
  if (!afterEventMs || afterEventMs <= 0) return null;
  const due = events.filter((e) => PLACEMENT_EVENTS.has(e.kind) && e.ts > historyEnd && e.ts + afterEventMs <= dataNow);
  return due.length ? due.reduce((a, b) => (b.ts < a.ts ? b : a)) : null;
}

/** `event`: settledEvent's answer (retraining it asks for is not held back by minGapMs: each placement is learnt once). */
export function retrainDecision(now: number, lastTrainedAt: number | null, drift: DriftReport | null, p: RetrainPolicy = {}, event: FlinkEvent | null = null): RetrainDecision {
  const intervalMs = p.intervalMs ?? 86_400_000;
  const historyMs = p.historyMs ?? 7 * 86_400_000;
  const minGapMs = p.minGapMs ?? 3_600_000;
  for (const [k, v] of [['intervalMs', intervalMs], ['historyMs', historyMs], ['minGapMs', minGapMs]] as const) {
    if (!(v > 0)) throw new RangeError(`${k} must be > 0 ms (got ${v})`);
  }
  const win = { from: now - historyMs, to: now };
  if (lastTrainedAt === null) return { due: true, reason: 'no-model', ...win };
  const age = now - lastTrainedAt;
  if (age >= intervalMs) return { due: true, reason: 'schedule', ...win };
  if (event) return { due: true, reason: 'event', ...win };
  if ((p.onDrift ?? true) && drift?.drifted && age >= minGapMs) return { due: true, reason: 'drift', ...win };
  return { due: false, reason: 'not-due', ...win };
}
