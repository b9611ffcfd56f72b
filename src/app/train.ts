// Training, once for every path (train, watch's life-cycle, demo, eval of the product): one cluster model fitted on
// the (noisy, unlabelled) history of all machines — each machine's last 20 % held out of the fit (what a model has
// learnt from scores low on it: src/eval/runner.ts splitTraining), pooled, with each machine's peers at the same
// timestamps for a detector with a peer view — then the held-out part scored the way the online loop scores (each point
// at the end of its window, after the context before it: Detector.scoreTrailing). The threshold of record comes from
// those scores by a named rule, and each machine's tail of them is kept for a false-alarm budget
// (src/inspect/levels.ts). Provenance attached; the artifact is written atomically (weights, normalisation, threshold
// rule and value, score sample, per-machine tails, training curve, provenance: src/detectors/detector.ts).
import { createDetector, type Detector, type TrainProgress } from '../detectors/index.js';
import type { Series } from '../core/series.js';
import type { Store } from '../store/store.js';
import { madThreshold, thresholdFrom, formatThresholdRule, splitTraining, DEFAULT_CALIBRATION, toolInfo, machineInfo, type ThresholdRule, type Calibration } from '../eval/index.js';
import { peerGroups, type PeerGroups } from '../core/peers.js';
import { concatF32, median } from '../core/stats.js';
import { persistPoints, tailSummary } from '../inspect/levels.js';

/** The product's default rule: median + 8·MAD of the calibration scores (robust to unlabelled hotspots in them). */
export const DEFAULT_RULE: ThresholdRule = { kind: 'mad', k: 8 };

export interface TrainRequest {
  history: Series[];
  kind: string;
  params?: Record<string, unknown>;
  threshold?: ThresholdRule;
  /** Where the threshold's scores come from: by default each machine's last 20 % of history, held out of the fit
   *  (what a model has learnt from scores low on it; src/eval/runner.ts splitTraining). */
  calibration?: Calibration;
  provenance?: Record<string, unknown>;
  /** Jobs on each machine (the stored placement): a machine's peers share a job with it; unknown → the cluster. */
  placement?: ReadonlyMap<string, readonly string[]>;
  /** The incident grouping the tails are calibrated for: quiet period (default 10 min) and persistence (default
   *  persistPoints of the history's scrape interval: 3 at 10 s). */
  quietMs?: number;
  minPoints?: number;
  onProgress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
}

export interface Trained {
  detector: Detector;
  /** Training scores as the online loop scores them, per machine (history order). */
  machineScores: Float32Array[];
  /** The same, pooled, (T,). */
  trainScores: Float32Array;
  groups: PeerGroups;
  trainMs: number;
}

/** Rows a training run leaves out of a machine's tail fit when they sit in a long run above the robust level: a
 *  hotspot in the history is not the normal behaviour the budget is about. */
export const CONTAMINATION_RUN_MS = 30 * 60_000;

export async function trainModel(r: TrainRequest): Promise<Trained> {
  const rule = r.threshold ?? DEFAULT_RULE;
  if (rule.kind === 'paper') throw new Error("the 'paper' threshold reads test scores (LEAKY); it is for `eval` reproductions only, never for a model");
  if (r.history.length === 0) throw new Error('no training history');
  const names = r.history.map((s) => s.name);
  const groups = peerGroups(names, (m) => r.placement?.get(m));
  const cal = r.calibration ?? DEFAULT_CALIBRATION;
  // machines too short to split are fit on whole (the threshold then reads the others' held-out tails)
  const parts = r.history.map((s) => (s.timestamps.length >= 20 ? splitTraining(s, cal) : { fit: s, calibration: null }));
  const heldRows = parts.map((p) => p.calibration?.timestamps.length ?? 0);
  const anyHeld = heldRows.some((n) => n > 0);
  const detector = createDetector(r.kind, r.params ?? {});
  const t0 = performance.now();
  const setter = { rule: formatThresholdRule(rule), of: (s: Float32Array) => thresholdFrom(s, rule) };
  await detector.fitCluster(parts.map((p) => p.fit), groups, { onProgress: r.onProgress, signal: r.signal, threshold: setter });
  // the held-out rows (all rows when nothing is held out) scored as the online loop will score new points, each after
  // the history before it; the threshold and the tails come from these
  // the held-out tails calibrate; the fit part's (in-sample) scores guard against a tail that is mostly one fault
  // (calibrationGuard): first those of as many rows just before each tail, and only when the tail looks like a fault
  // against them every fit row (scoring the whole history costs as much as scoring it all again)
  const lengths = r.history.map((s) => s.timestamps.length);
  const scoredBack = (k: (i: number) => number): Float32Array[] => detector.scoreTrailing(r.history, lengths.map((_, i) => k(i)), groups);
  const near = anyHeld ? scoredBack((i) => Math.min(lengths[i], 2 * heldRows[i])) : scoredBack((i) => lengths[i]);
  const machineScores = anyHeld ? near.map((s, i) => s.subarray(s.length - heldRows[i])) : near;
  const trainScores = concatF32(machineScores.filter((s) => s.length > 0));
  const fitPart = (scored: Float32Array[]): Float32Array => concatF32(scored.map((s, i) => s.subarray(0, s.length - heldRows[i])).filter((s) => s.length > 0));
  let guard = anyHeld ? calibrationGuard(trainScores, fitPart(near), setter.of) : { scores: trainScores, contaminated: false };
  if (guard.contaminated) guard = calibrationGuard(trainScores, fitPart(scoredBack((i) => lengths[i])), setter.of);
  detector.recalibrate(guard.scores, guard.contaminated ? { rule: `${setter.rule} of the fit part (calibration tail held a fault)`, of: setter.of } : setter);
  const step = intervalOf(r.history);
  const quietPoints = Math.max(1, Math.round((r.quietMs ?? 600_000) / step));
  // the alarm statistic the watcher opens incidents on: `persist` consecutive points at or above the level, i.e. the
  // minimum of the last `persist` scores (by default the persistence at the history's scrape interval); its tail is
  // what a false-alarm budget is fitted to, and the watcher reads it back (src/app/watch.ts persistOf)
  const persist = r.minPoints ?? persistPoints(step);
  const tailOpts = { quietPoints, minPoints: 1, longPoints: Math.max(2, Math.round(CONTAMINATION_RUN_MS / step)), contaminationLevel: madThreshold(trainScores, 8) };
  detector.setMachineFacts(Object.fromEntries(names.flatMap((m, i) => (machineScores[i].length ? [[m, { intervalMs: step, persist, ...tailSummary(trailingMin(machineScores[i], persist), tailOpts) }]] : []))));
  detector.setProvenance({
    machines: names, rows: parts.reduce((n, p) => n + p.fit.timestamps.length, 0), calibrationRows: heldRows.reduce((a, b) => a + b, 0),
    calibration: cal.kind === 'none' ? 'none' : `tail:${cal.share}`, scoredAs: 'trailing', peerGroups: groups.length, tool: toolInfo(), machine: machineInfo(), ...(r.provenance ?? {}),
  });
  return { detector, machineScores, trainScores, groups, trainMs: performance.now() - t0 };
}

/**
 * Which scores the threshold comes from. The held-out tail is the honest sample (the model has not learnt it), and
 * the median-based rules shrug off a fault inside it — unless the fault covers most of it: on flink-lab s201 a slow
 * sink back-pressured every TaskManager through the whole tail, the tail's median was a fault level and the
 * threshold (6897) lay above every test hotspot. When the tail's median lies above the threshold the same rule sets
 * over the fit part's in-sample scores (lower than held-out ones, so a conservative test: a healthy tail's median is
 * far below it), the tail is mostly fault and the fit part's scores are used instead.
 */
export function calibrationGuard(tail: Float32Array, fit: Float32Array, thresholdOf: (s: Float32Array) => number): { scores: Float32Array; contaminated: boolean } {
  if (fit.length < 10 || tail.length === 0) return { scores: tail, contaminated: false };
  const contaminated = median(tail) > thresholdOf(fit);
  return { scores: contaminated ? fit : tail, contaminated };
}

/** (T,) minimum of each point's score and the k − 1 before it. */
export function trailingMin(s: Float32Array, k: number): Float32Array {
  const out = new Float32Array(s.length);
  for (let i = 0; i < s.length; i++) {
    let m = s[i];
    for (let j = Math.max(0, i - k + 1); j < i; j++) if (s[j] < m) m = s[j];
    out[i] = m;
  }
  return out;
}


/** The median sampling interval over the machines' histories (ms). */
export function intervalOf(history: Series[]): number {
  const d: number[] = [];
  for (const s of history) for (let i = 1; i < s.timestamps.length && d.length < 10_000; i++) d.push(s.timestamps[i] - s.timestamps[i - 1]);
  d.sort((a, b) => a - b);
  return d.length ? d[d.length >> 1] : 60_000;
}

/** Periods [from, to] to leave out of a machine's training history (its incidents: a hotspot is not learnt as normal).
 *  An incident the operator labelled 'false-alarm' or 'expected' stays in: both say the machine behaved as it may —
 *  e.g. a failover moved subtasks and the machine now carries another share of the load — and the next model should
 *  know that behaviour rather than page for it again. So does an unlabelled event's after-effect (`afterEffectOf`:
 *  held by a restart's or failover's grace period and never paged — what the product itself showed as the event's
 *  expected consequence): without it a model retrained after a failover never sees the cluster's new state and keeps
 *  flagging it. Unlabelled incidents otherwise, symptoms and 'hotspot' periods are left out. */
export async function incidentPeriods(store: Store, from: number, to: number): Promise<Map<string, [number, number][]>> {
  const out = new Map<string, [number, number][]>();
  for (let cursor: string | null | undefined; cursor !== null;) {
    const page = await store.incidents({ limit: 500, cursor: cursor ?? undefined, to });
    for (const i of page.items) {
      const end = i.resolvedAt ?? Number.MAX_SAFE_INTEGER;
      const kept = i.label ? i.label.value === 'false-alarm' || i.label.value === 'expected' : Boolean(i.afterEffectOf) && !i.paged;
      if (end < from || kept) continue;
      (out.get(i.machine) ?? out.set(i.machine, []).get(i.machine)!).push([i.onset, end]);
    }
    cursor = page.next;
  }
  return out;
}

/** The series without the rows inside any of the [from, to] ranges. */
export function withoutRanges(s: Series, ranges: [number, number][]): Series {
  if (ranges.length === 0) return s;
  const C = s.channels.length;
  const keep: number[] = [];
  for (let i = 0; i < s.timestamps.length; i++) if (!ranges.some(([a, b]) => s.timestamps[i] >= a && s.timestamps[i] <= b)) keep.push(i);
  const values = new Float32Array(keep.length * C);
  keep.forEach((i, k) => values.set(s.values.subarray(i * C, (i + 1) * C), k * C));
  return { ...s, timestamps: Float64Array.from(keep.map((i) => s.timestamps[i])), values };
}

/** Every machine's stored history in [from, to] over `channels` (default: all stored metrics), incident periods out. */
export async function historyFromStore(store: Store, o: { from?: number; to?: number; channels?: string[]; withoutIncidents?: boolean } = {}): Promise<Series[]> {
  const from = o.from ?? -Infinity;
  const to = o.to ?? Infinity;
  const channels = o.channels ?? (await store.metrics());
  const periods = o.withoutIncidents === false ? new Map<string, [number, number][]>() : await incidentPeriods(store, from, to);
  const out: Series[] = [];
  for (const m of await store.machines()) {
    const s = withoutRanges(await store.series(m, channels, from, to), periods.get(m) ?? []);
    if (s.timestamps.length > 0) out.push(s);
  }
  return out;
}
