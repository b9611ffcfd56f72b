// The alarm policy of a watch: per-machine levels (src/inspect/levels.ts) from the model artifact — a false-alarm
// budget (pages per machine-day, fitted on each machine's training-score tail kept in the artifact) or one threshold
// by a rule over the training-score sample; with hysteresis (a lower level keeps an open incident alive) unless
// turned off.
import type { Detector } from '../detectors/index.js';
import { median } from '../core/stats.js';
import { formatThresholdRule, thresholdFrom, type ThresholdRule } from '../eval/index.js';
import { AlarmBudget, FixedLevels, type AlarmLevels, type TailSummary } from '../inspect/levels.js';


export interface AlarmPolicy {
  /** False pages per machine-day (`watch --false-alarms 1/day`); takes precedence over `rule`. */
  perDay?: number;
  /** One threshold for all machines by this rule over the model's training-score sample (default: the model's). */
  rule?: ThresholdRule;
  /** Default true: an open incident stays open while the score is at or above the low level. */
  hysteresis?: boolean;
  /** With a budget: the training tail each machine starts from (src/inspect/levels.ts BudgetOptions.start). */
  start?: 'machine' | 'cluster' | 'max';
}

export function alarmLevels(detector: Detector, p: AlarmPolicy = {}): AlarmLevels {
  const sample = detector.trainScores;
  if (p.perDay !== undefined) {
    const facts = detector.machineFacts as Record<string, TailSummary & { intervalMs?: number }>;
    const names = Object.keys(facts);
    if (names.length === 0) throw new Error('this model keeps no per-machine training-score tails for a false-alarm budget (retrain it with this flinkscope)');
    const intervalMs = median(names.map((m) => facts[m].intervalMs ?? NaN).filter(Number.isFinite)) || 60_000;
    return new AlarmBudget(facts, { perDay: p.perDay, intervalMs, lowFraction: p.hysteresis === false ? 1 : undefined, start: p.start });
  }
  let threshold = detector.threshold;
  let rule = detector.thresholdRule;
  if (p.rule) {
    if (sample.length < 10) throw new Error('the model keeps no training-score sample to apply a threshold rule to (retrain it with this flinkscope)');
    threshold = thresholdFrom(Float32Array.from(sample), p.rule);
    rule = formatThresholdRule(p.rule);
  }
  if (!Number.isFinite(threshold)) throw new Error(`threshold ${threshold} is not finite`);
  return new FixedLevels(threshold, rule, p.hysteresis === false || sample.length === 0 ? undefined : median(sample));
}

/** One number for displays that show a single threshold (the median of the machines' opening levels). */
export function displayThreshold(levels: AlarmLevels, machines: string[]): number {
  if (levels instanceof FixedLevels) return levels.threshold;
  const hs = machines.map((m) => levels.high(m)).filter(Number.isFinite);
  return hs.length ? median(hs) : NaN;
}
