// Model life-cycle: when to retrain (scheduled interval, or earlier when the drift check fires) and on which recent
// history window (task brief "Model life-cycle"). Pure decision; the CLI runs the training and records the version.

import type { DriftReport } from './drift.js';

export interface RetrainPolicy {
  /** Retrain at least this often, ms. Default 24 h. */
  intervalMs?: number;
  /** Train on this much recent history, ms. Default 7 days. */
  historyMs?: number;
  /** Retrain early when the score distribution drifted. Default true. */
  onDrift?: boolean;
  /** Never retrain more often than this, ms (guards against drift flapping). Default 1 h. */
  minGapMs?: number;
}

export interface RetrainDecision {
  due: boolean;
  reason: 'no-model' | 'schedule' | 'drift' | 'not-due';
  from: number;
  to: number;
}

export function retrainDecision(now: number, lastTrainedAt: number | null, drift: DriftReport | null, p: RetrainPolicy = {}): RetrainDecision {
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
  if ((p.onDrift ?? true) && drift?.drifted && age >= minGapMs) return { due: true, reason: 'drift', ...win };
  return { due: false, reason: 'not-due', ...win };
}
