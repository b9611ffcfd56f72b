// The benchmark runner: for each dataset spec × series × detector × seed — fit on the training part (no labels),
// score the calibration data, score the test part once, then for each threshold rule threshold and compute every
// metric (one row per rule; the threshold-free metrics are the same in all of them). Pure orchestration; printing
// and progress bars belong to the CLI.
//
// Calibration (where thresholds come from), a per-run choice recorded with every row:
//  - 'tail:s' (default, s = 0.2): the detector is fit on the first 1 − s of each training part; the rules read the
//    scores of the last s, which no detector's weights, reference windows (k-NN, matrix profile), subsamples
//    (isolation forest), early-stopping split, memory (CCL) or scaling statistics contained;
//  - 'none': fit on the whole training part; the rules read its own scores, with trivial self-matches excluded where
//    the method keeps training points (matrix profile: exclusion zone; k-NN: overlapping windows skipped; isolation
//    forest: out-of-bag trees). Deep detectors and the z-score are then scored in-sample.
import { createDetector, type Detector } from '../detectors/index.js';
import { loadDataset, parseSpec, type DatasetItem } from '../data/index.js';
import { medianStep, sliceSeries, type Series } from '../core/series.js';
import { heldLevel } from '../core/stats.js';
import { evaluateAt, evaluateRanking, type Metrics } from './evaluate.js';
import { toEvents } from './events.js';
import { incidentMetrics, type Fault, type IncidentMetrics, type IncidentSpan, type ObservedSpan } from './incidents.js';
import { DEFAULT_THRESHOLD, describeRule, formatThresholdRule, protocolOf, thresholdFrom, type ThresholdRule } from './rules.js';
import { flagAllRows } from './reference.js';
import { combinedDigest, itemDigest, machineInfo, toolInfo, type MachineInfo, type ToolInfo } from './provenance.js';

export type Calibration = { kind: 'tail'; share: number } | { kind: 'none' };
const DEFAULT_TAIL = 0.2;
export const DEFAULT_CALIBRATION: Calibration = { kind: 'tail', share: DEFAULT_TAIL };

/** 'tail' | 'tail:0.2' | 'none'. */
export function parseCalibration(text: string): Calibration {
  const s = text.trim();
  if (s === 'none') return { kind: 'none' };
  const m = /^tail(?::(.*))?$/.exec(s);
  if (m) {
    const share = m[1] === undefined ? DEFAULT_TAIL : Number(m[1]);
    if (!(share > 0 && share < 1)) throw new RangeError(`calibration '${s}': the tail share must be a number in (0, 1)`);
    return { kind: 'tail', share };
  }
  throw new RangeError(`calibration '${s}' is not tail[:share] (threshold from the held-out end of training) or none (from the training data's own scores)`);
}
export const formatCalibration = (c: Calibration): string => (c.kind === 'none' ? 'none' : `tail:${c.share}`);
export function describeCalibration(c: Calibration): string {
  return c.kind === 'none'
    ? "fit on all training data; thresholds from its own scores (trivial self-matches excluded for matrix-profile, k-NN, isolation forest; in-sample for the others)"
    : `fit on the first ${Math.round((1 - c.share) * 100)} % of each training part; thresholds from scores of the held-out last ${Math.round(c.share * 100)} %`;
}

export interface ResultRow extends Metrics {
  dataset: string;
  series: string;
  detector: string;
  seed: number;
  /** The threshold rule, canonical text ('mad:8', 'p99', 'pot:0.001', 'paper:10'). */
  rule: string;
  /** 'LEAKY' when the rule read the test data. */
  protocol: 'honest' | 'LEAKY';
  calibration: string;
  threshold: number;
  /** fit() including scoring its calibration data; score_ms: scoring the test part. */
  fit_ms: number;
  score_ms: number;
}

export interface SkippedSeries {
  spec: string;
  series: string;
  reason: string;
}

/** Scores → the incidents the product would raise (injected by a layer above: src/inspect's online logic). */
export type IncidentsOf = (item: DatasetItem, scores: Float32Array, threshold: number) => IncidentSpan[];

export interface IncidentRow extends IncidentMetrics {
  dataset: string;
  detector: string;
  seed: number;
  rule: string;
  protocol: 'honest' | 'LEAKY';
}

export interface EvalOptions {
  datasets: string[];
  detectors: string[];
  seeds: number;
  /** Per-detector parameter overrides, e.g. { ccl: { epochs: 3 } }. */
  params?: Record<string, Record<string, unknown>>;
  /** Threshold rules; one row per rule and run (default: mad:8). */
  rules?: ThresholdRule[];
  calibration?: Calibration;
  /** Read each detector's test and calibration scores as held for this many points (`heldLevel`: the lowest of each
   *  point's last `hold` scores), every detector alike; default 1: the points as scored. The point metrics only:
   *  `incidentsOf` gets the points as scored and their thresholds (the product's persistence holds them itself). */
  hold?: number;
  /** Only the first n series of each dataset (quick runs). */
  maxSeries?: number;
  /** With it, incident-level metrics per dataset × detector × seed × rule (EvalRun.incidents). */
  incidentsOf?: IncidentsOf;
  /** Labelled faults of an item (default: one page-worthy fault of kind 'labelled' per labelled run of its test part). */
  faultsOf?: (item: DatasetItem) => Fault[];
  /** Incidents starting up to this many ms before a fault count as matching it, with delay 0 (default 0). */
  incidentSlackMs?: number;
  onStart?: (total: number) => void;
  onSkip?: (s: SkippedSeries) => void;
  /** After each run (one detector, series and seed): its rows, one per rule. */
  onResult?: (rows: ResultRow[], done: number) => void;
  /** Receives test scores of each run (for reports). */
  onScores?: (rows: ResultRow[], item: DatasetItem, scores: Float32Array) => void;
}

export interface DatasetRecord {
  spec: string;
  name: string;
  /** SHA-256 over the digests of the items run, in order. */
  digest: string;
  items: { series: string; digest: string; train: number; test: number; channels: number; anomalous_test_points: number }[];
  skipped: SkippedSeries[];
}

export interface RunProvenance {
  protocol: 'honest' | 'LEAKY';
  rules: { rule: string; protocol: 'honest' | 'LEAKY'; meaning: string }[];
  calibration: { rule: string; meaning: string };
  /** Each score read as the lowest of its last `hold` points (1: as scored). */
  hold: number;
  detectors: Record<string, Record<string, unknown>>;
  /** Per detector, where the fit overrode parameters (Detector.fittedAs): each distinct override and how many of
   *  its runs had it (absent: none did). */
  fitted_as?: Record<string, { as: Record<string, unknown>; runs: number; of: number }[]>;
  seeds: number[];
  datasets: DatasetRecord[];
  max_series: number | null;
  incident_slack_ms: number | null;
  tool: ToolInfo;
  machine: MachineInfo;
  started_at: string;
  elapsed_ms: number;
}

export interface EvalRun {
  rows: ResultRow[];
  /** The flag-every-point reference on the same series (reference.ts): context for the tables, not a detector. */
  reference: ResultRow[];
  incidents: IncidentRow[];
  provenance: RunProvenance;
}

/** Training part → the part the detector is fit on and the held-out calibration part (null: calibrate in-sample). */
export function splitTraining(train: Series, c: Calibration): { fit: Series; calibration: Series | null } {
  if (c.kind === 'none') return { fit: train, calibration: null };
  const T = train.timestamps.length;
  const k = Math.floor(T * c.share);
  if (k < 1 || T - k < 1) throw new RangeError(`series '${train.name}': ${T} training points cannot be split into a fit part and a ${c.share} calibration tail`);
  return { fit: sliceSeries(train, 0, T - k), calibration: sliceSeries(train, T - k, T) };
}

function step(ts: Float64Array): number {
  return ts.length < 2 ? 1 : medianStep(ts);
}

/** The item's recorded faults (flink-lab: hotspots that page, failovers that must not) within its test part, on the
 *  item's series as their machine; else one page-worthy fault per labelled run of the test part. */
export function faultsFromLabels(item: DatasetItem): Fault[] {
  if (item.faults) {
    const ts = item.test.timestamps;
    const from = ts[0];
    const to = ts[ts.length - 1] + step(ts);
    return item.faults.filter((f) => f.end > from && f.start < to).map((f) => ({
      id: f.machines.length === 1 ? f.id : `${f.id}@${item.series}`, kind: f.kind, machines: [item.series], start: Math.max(f.start, from), end: Math.min(f.end, to), page: f.page,
    }));
  }
  const ts = item.test.timestamps;
  const dt = step(ts);
  return toEvents(item.test.labels ?? []).map(([s, e], k) => ({
    id: `${item.dataset}/${item.series}#${k + 1}`, kind: 'labelled', machines: [item.series], start: ts[s], end: e < ts.length ? ts[e] : ts[ts.length - 1] + dt, page: true,
  }));
}

function observedOf(item: DatasetItem): ObservedSpan {
  const ts = item.test.timestamps;
  return { machine: item.series, from: ts[0], to: ts[ts.length - 1] + step(ts) };
}

export function seedParam(kind: string, seed: number): Record<string, unknown> {
  // every detector that is random takes a `seed` parameter; deterministic ones do not declare it
  try {
    createDetector(kind, { seed });
    return { seed };
  } catch {
    return {};
  }
}

export interface RunOneOptions {
  rules?: ThresholdRule[];
  calibration?: Calibration;
  /** EvalOptions.hold. */
  hold?: number;
}

/** One detector on one series with one seed: fit, calibrate, score, and one row per rule. */
export async function runOne(item: DatasetItem, kind: string, seed: number, params: Record<string, unknown>, o: RunOneOptions = {}): Promise<{ rows: ResultRow[]; scores: Float32Array; calibrationScores: Float32Array; detector: Detector; asScored: { scores: Float32Array; thresholds: number[] } }> {
  const rules = o.rules ?? [DEFAULT_THRESHOLD];
  const calibration = o.calibration ?? DEFAULT_CALIBRATION;
  const det = createDetector(kind, { ...params, ...('seed' in params ? {} : seedParam(kind, seed)) });
  const split = splitTraining(item.train, calibration);
  const t0 = performance.now();
  await det.fit(split.fit, split.calibration ? { calibration: split.calibration } : {});
  const fit_ms = performance.now() - t0;
  const hold = o.hold ?? 1;
  const cal = hold > 1 ? heldLevel(det.calibrationScores, hold) : det.calibrationScores;
  const t1 = performance.now();
  const raw = det.score(item.test);
  const score_ms = performance.now() - t1;
  const scores = hold > 1 ? heldLevel(raw, hold) : raw;
  const labels = item.test.labels ?? new Uint8Array(scores.length);
  const ranking = evaluateRanking(scores, labels);
  const rows = rules.map((rule): ResultRow => {
    const th = thresholdFrom(cal, rule, scores);
    return {
      dataset: item.dataset, series: item.series, detector: kind, seed, rule: formatThresholdRule(rule), protocol: protocolOf(rule),
      calibration: formatCalibration(calibration), threshold: th, fit_ms, score_ms, ...evaluateAt(scores, labels, th), ...ranking,
    };
  });
  // the product reads the points as scored (its persistence holds them itself): its incidents get those
  const asScored = hold > 1 ? { scores: raw, thresholds: rules.map((rule) => thresholdFrom(det.calibrationScores, rule, raw)) } : { scores, thresholds: rows.map((r) => r.threshold) };
  return { rows, scores, calibrationScores: cal, detector: det, asScored };
}

/** A dataset's series that can be judged (a labelled anomaly in the test part), the first `maxSeries` of them. */
async function judgedItems(spec: string, maxSeries?: number): Promise<{ all: DatasetItem[]; run: DatasetItem[]; skipped: SkippedSeries[] }> {
  const all = await loadDataset(spec);
  const skipped: SkippedSeries[] = [];
  const usable = all.filter((i) => {
    const reason = !i.test.labels ? 'no labels for its test part' : !i.test.labels.includes(1) ? 'no labelled anomaly in its test part (it would score nothing)' : null;
    if (reason) skipped.push({ spec, series: i.series, reason });
    return !reason;
  });
  return { all, run: usable.slice(0, maxSeries ?? usable.length), skipped };
}

/** The flag-every-point reference (reference.ts) on the series `runEval` would judge with these options. */
export async function referenceRows(o: Pick<EvalOptions, 'datasets' | 'maxSeries' | 'rules' | 'calibration'>): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  for (const spec of o.datasets) {
    for (const item of (await judgedItems(spec, o.maxSeries)).run) rows.push(...flagAllRows(item, o.rules ?? [DEFAULT_THRESHOLD], formatCalibration(o.calibration ?? DEFAULT_CALIBRATION)));
  }
  return rows;
}

export async function runEval(o: EvalOptions): Promise<EvalRun> {
  const started = Date.now();
  const tool = toolInfo(); // the code as the run begins (a checkout can move on while a long run goes)
  const rules = o.rules ?? [DEFAULT_THRESHOLD];
  const calibration = o.calibration ?? DEFAULT_CALIBRATION;
  const hold = o.hold ?? 1;
  heldLevel([], hold); // a bad hold fails before any fit
  const items: DatasetItem[] = [];
  const datasets: DatasetRecord[] = [];
  for (const spec of o.datasets) {
    const { all, run, skipped } = await judgedItems(spec, o.maxSeries);
    for (const s of skipped) o.onSkip?.(s);
    const records = run.map((i) => ({
      series: i.series, digest: itemDigest(i), train: i.train.timestamps.length, test: i.test.timestamps.length, channels: i.train.channels.length,
      anomalous_test_points: i.test.labels!.reduce((a, v) => a + v, 0),
    }));
    datasets.push({ spec, name: all[0]?.dataset ?? parseSpec(spec).kind, digest: combinedDigest(records.map((r) => r.digest)), items: records, skipped });
    items.push(...run);
  }
  const seeds = Array.from({ length: o.seeds }, (_, i) => i + 1);
  const total = items.length * o.detectors.length * seeds.length;
  o.onStart?.(total);
  const rows: ResultRow[] = [];
  const detectors: Record<string, Record<string, unknown>> = {};
  const fittedAs = new Map<string, Map<string, number>>(); // kind → JSON of an override → runs
  // incident inputs pooled per dataset × detector × seed × rule: a dataset's series are the machines of one fleet
  const pools = new Map<string, { row: Omit<IncidentRow, keyof IncidentMetrics>; incidents: IncidentSpan[]; faults: Fault[]; observed: ObservedSpan[] }>();
  let done = 0;
  for (const item of items) {
    for (const kind of o.detectors) {
      for (const seed of seeds) {
        const { rows: rs, scores, detector, asScored } = await runOne(item, kind, seed, o.params?.[kind] ?? {}, { rules, calibration, hold });
        if (!(kind in detectors)) {
          // resolved parameters; the seed is each row's own unless the caller fixed one
          const { seed: _seed, ...rest } = detector.params as Record<string, unknown>;
          detectors[kind] = 'seed' in (o.params?.[kind] ?? {}) ? { ...rest, seed: _seed } : rest;
        }
        const as = detector.fittedAs;
        if (Object.keys(as).length) {
          const m = fittedAs.get(kind) ?? fittedAs.set(kind, new Map()).get(kind)!;
          const key = JSON.stringify(as);
          m.set(key, (m.get(key) ?? 0) + 1);
        }
        rows.push(...rs);
        if (o.incidentsOf) {
          rules.forEach((rule, k) => {
            const key = JSON.stringify([item.dataset, kind, seed, k]);
            if (!pools.has(key)) pools.set(key, { row: { dataset: item.dataset, detector: kind, seed, rule: rs[k].rule, protocol: protocolOf(rule) }, incidents: [], faults: [], observed: [] });
            const p = pools.get(key)!;
            p.incidents.push(...o.incidentsOf!(item, asScored.scores, asScored.thresholds[k]));
            p.faults.push(...(o.faultsOf ?? faultsFromLabels)(item));
            p.observed.push(observedOf(item));
          });
        }
        o.onScores?.(rs, item, scores);
        o.onResult?.(rs, ++done);
      }
    }
  }
  const slack = o.incidentSlackMs ?? 0;
  const incidents = [...pools.values()].map((p) => ({ ...p.row, ...incidentMetrics(p.incidents, p.faults, p.observed, slack) }));
  const leaky = rules.some((r) => protocolOf(r) === 'LEAKY');
  return {
    rows,
    reference: items.flatMap((item) => flagAllRows(item, rules, formatCalibration(calibration))),
    incidents,
    provenance: {
      protocol: leaky ? 'LEAKY' : 'honest',
      rules: rules.map((r) => ({ rule: formatThresholdRule(r), protocol: protocolOf(r), meaning: describeRule(r) })),
      calibration: { rule: formatCalibration(calibration), meaning: describeCalibration(calibration) },
      hold,
      detectors,
      ...(fittedAs.size ? { fitted_as: Object.fromEntries([...fittedAs].map(([k, m]) => [k, [...m].map(([as, runs]) => ({ as: JSON.parse(as) as Record<string, unknown>, runs, of: items.length * seeds.length }))])) } : {}),
      seeds,
      datasets,
      max_series: o.maxSeries ?? null,
      incident_slack_ms: o.incidentsOf ? slack : null,
      tool,
      machine: machineInfo(),
      started_at: new Date(started).toISOString(),
      elapsed_ms: Date.now() - started,
    },
  };
}
