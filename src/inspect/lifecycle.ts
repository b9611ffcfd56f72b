// Model life-cycle: when to retrain (scheduled interval, once a Flink event has moved the placement the model learnt,
// or earlier when the drift check fires) and on which recent history window (task brief "Model life-cycle"). Pure
// decision; the CLI runs the training and records the version.

import type { EventKind, FlinkEvent } from '../core/event.js';
import { dataGapOf } from '../core/outage.js';
import type { DriftReport } from './drift.js';

/** Events after which subtasks certainly run elsewhere, so the picture a model has of each machine may be gone: a
 *  TaskManager was lost (its subtasks were placed on the others), a job was deployed, a vertex rescaled. A restart
 *  alone is not one: Flink may give a restarted job its slots back. */
export const PLACEMENT_EVENTS: ReadonlySet<EventKind> = new Set<EventKind>(['failover', 'deploy', 'rescale']);

/**
 * When placement event `e`'s effect on `machine` starts to show in the data (on every machine `e` names when
 * `machine` is undefined): when it happened — unless the data stopped within `windowMs` of it and came back after
 * it, which `events` tells: a stale stretch of that machine, when `e` names it (its metrics froze: they show nothing
 * until they move again), or the collector's outage (no machine's data came). Then from where the data came back.
 * The one rule for "since when does the data show what the event did": an event's hold on pages runs `grace` from
 * here (src/app/enrich.ts holdEnd) and retraining waits `afterEventMs` from here (settledEvent).
 */
export function effectFrom(e: FlinkEvent, machine: string | undefined, events: readonly FlinkEvent[], windowMs: number): number {
  const machines = machine === undefined ? e.machines : e.machines.includes(machine) ? [machine] : [];
  let from = e.ts;
  for (const x of events) {
    const gap = x.ts > e.ts ? dataGapOf(x) : null;
    if (!gap || gap.since < e.ts - windowMs || gap.since > e.ts + windowMs) continue;
    if (gap.machines.length === 0 || gap.machines.some((m) => machines.includes(m))) from = Math.max(from, x.ts);
  }
  return from;
}

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
 *  ended) whose settling time `afterEventMs` has passed by `dataNow` (the newest data), counted from where its effect
 *  shows in the data (effectFrom: after a gap, from where the data came back; `events` holds the events that end gaps).
 *  Null: none, or the policy is off. */
export function settledEvent(events: readonly FlinkEvent[], historyEnd: number, dataNow: number, afterEventMs: number | undefined): FlinkEvent | null {
  if (!afterEventMs || afterEventMs <= 0) return null;
  const due = events.filter((e) => PLACEMENT_EVENTS.has(e.kind) && e.ts > historyEnd && effectFrom(e, undefined, events, afterEventMs) + afterEventMs <= dataNow);
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
