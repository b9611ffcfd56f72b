// Training, once for every path (train, watch's life-cycle, demo, eval of the product): one cluster model fitted on
// the pooled (noisy, unlabelled) history of all machines, its threshold of record computed ONCE in fit() by a named
// rule from the scores of a held-out calibration tail of that history, provenance attached, and the artifact written atomically (weights, normalisation,
// threshold rule and value, training-score sample, training curve, provenance: src/detectors/detector.ts).
import { createDetector, type Detector, type TrainProgress } from '../detectors/index.js';
import type { Series } from '../core/series.js';
import type { Store } from '../store/store.js';
import { thresholdFrom, formatThresholdRule, splitTraining, DEFAULT_CALIBRATION, toolInfo, machineInfo, type ThresholdRule, type Calibration } from '../eval/index.js';
import { poolSeries } from '../inspect/pool.js';

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
  onProgress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
}

export interface Trained {
  detector: Detector;
  /** Training scores of the pooled history, (T,). */
  trainScores: Float32Array;
  trainMs: number;
}

export async function trainModel(r: TrainRequest): Promise<Trained> {
  const rule = r.threshold ?? DEFAULT_RULE;
  if (rule.kind === 'paper') throw new Error("the 'paper' threshold reads test scores (LEAKY); it is for `eval` reproductions only, never for a model");
  const cal = r.calibration ?? DEFAULT_CALIBRATION;
  // machines too short to split are fit on whole (the threshold then reads the others' held-out tails)
  const parts = r.history.map((s) => (s.timestamps.length >= 20 ? splitTraining(s, cal) : { fit: s, calibration: null }));
  const fit = poolSeries(parts.map((p) => p.fit));
  const held = parts.flatMap((p) => (p.calibration ? [p.calibration] : []));
  const detector = createDetector(r.kind, r.params ?? {});
  const t0 = performance.now();
  let trainScores: Float32Array = new Float32Array(0);
  await detector.fit(fit, {
    onProgress: r.onProgress, signal: r.signal, calibration: held.length ? poolSeries(held) : undefined,
    threshold: { rule: formatThresholdRule(rule), of: (s) => { trainScores = s; return thresholdFrom(s, rule); } },
  });
  detector.setProvenance({
    machines: r.history.map((s) => s.name), rows: fit.timestamps.length, calibrationRows: held.reduce((n, s) => n + s.timestamps.length, 0),
    calibration: cal.kind === 'none' ? 'none' : `tail:${cal.share}`, tool: toolInfo(), machine: machineInfo(), ...(r.provenance ?? {}),
  });
  return { detector, trainScores, trainMs: performance.now() - t0 };
}

/** Periods [from, to] to leave out of a machine's training history (its incidents: a hotspot is not learnt as normal). */
export async function incidentPeriods(store: Store, from: number, to: number): Promise<Map<string, [number, number][]>> {
  const out = new Map<string, [number, number][]>();
  for (let cursor: string | null | undefined; cursor !== null;) {
    const page = await store.incidents({ limit: 500, cursor: cursor ?? undefined, to });
    for (const i of page.items) {
      const end = i.resolvedAt ?? Number.MAX_SAFE_INTEGER;
      // an operator's 'false-alarm' label says the period was normal after all: it is learnt as normal
      if (end < from || i.label?.value === 'false-alarm') continue;
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
