// The one detector contract (after PyOD / scikit-learn): construct with typed params, `fit` learns,
// `score` returns one anomaly score per timestamp (higher = more anomalous), `predict` thresholds — written once, here.
// Subclasses implement fitCore / scoreCore on a checked, repaired (T, C) matrix and expose their learned state as
// arrays + JSON so save/load works the same for all.
import { readModelFile, writeModelFile, type StoredTensor, ModelFileError } from '../tensor/modelfile.js';
import { type ParamSpec, resolveParams } from './params.js';
import { type PreparedInput, prepareInput, prepareTraining, poolPrepared, sliceRows, type InputReport, DetectorInputError } from './input.js';
import type { Series } from '../core/series.js';
import type { PeerGroups } from '../core/peers.js';
import { peerMeans, type PeerNeed } from './peers.js';
import { Scratch } from './scratch.js';
import { quantile } from '../core/stats.js';

export interface TrainProgress {
  epoch: number; // 1-based
  epochs: number;
  loss: number;
  valLoss?: number;
  /** Estimated milliseconds left. */
  etaMs: number;
}
export interface FitOptions {
  onProgress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
  /** How the threshold of record is set from the calibration (else training) scores (src/eval has the rules).
   *  Default: the (1 − contamination) quantile. */
  threshold?: ThresholdSetter;
  /**
   * Held-out data (same channels, not part of `train`) whose scores set the threshold: data the detector's weights,
   * reference or memory never contained. Without it the threshold comes from the training data's own scores, with
   * trivial self-matches excluded where the method keeps training data (see scoreTrainingCore).
   */
  calibration?: Series;
}

/** A threshold rule as fit() sees it: its name (recorded) and how it turns scores into a value. */
export interface ThresholdSetter {
  rule: string;
  of: (scores: Float32Array) => number;
}

/** One epoch of a deep detector's training curve. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  valLoss: number | null;
  ms: number;
}

export class NotFittedError extends Error {
  constructor(kind: string) {
    super(`${kind}: not fitted; call fit() first or load() a saved model`);
    this.name = 'NotFittedError';
  }
}
export class FitCancelledError extends Error {
  constructor(kind: string) {
    super(`${kind}: training cancelled`);
    this.name = 'FitCancelledError';
  }
}

/** What every fitted detector knows besides its own state — with the weights, the model artifact: one versioned
 *  file, written atomically, is the one place that holds the threshold of record. */
export interface FittedBase {
  channels: string[];
  /** The threshold of record, computed once in fit() by `thresholdRule` from the calibration (else training) scores. */
  threshold: number;
  /** e.g. 'mad:8', 'quantile:0.99'. */
  thresholdRule: string;
  /** Which scores the threshold came from (absent in files written before it was recorded: 'training'). */
  thresholdFrom?: 'calibration' | 'training';
  /** An evenly spaced sample (≤ 2 000) of those scores: drift checks and re-thresholding read it. */
  trainScores: number[];
  trainReport: InputReport;
  fittedAt: string;
  /** What it was trained on and by what (set by the caller before save: data, range, version, commit, machine). */
  provenance: Record<string, unknown>;
  /** Per-machine facts the product calibrates alarms with (src/inspect/levels.ts TailSummary per machine), kept with
   *  the model; absent in artifacts written before. */
  machines?: Record<string, unknown>;
}

/** Evenly spaced sample (≤ n finite values) of a score array. */
export function scoreSample(scores: ArrayLike<number>, n = 2000): number[] {
  const step = Math.max(1, scores.length / n);
  const out: number[] = [];
  for (let i = 0; i < scores.length && out.length < n; i += step) {
    const v = scores[Math.floor(i)];
    if (Number.isFinite(v)) out.push(v);
  }
  return out;
}

export interface DetectorState {
  json: Record<string, unknown>;
  arrays: Record<string, StoredTensor>;
}

export interface SavedDetectorMeta {
  kind: string;
  detectorVersion: number;
  params: Record<string, unknown>;
  base: FittedBase;
  state: Record<string, unknown>;
}

export abstract class Detector<P extends object = object> {
  /** Registry name, e.g. 'ccl', 'iforest'. */
  abstract readonly kind: string;
  /** Bumped whenever the saved state's meaning changes; load() refuses other versions. */
  abstract readonly version: number;
  readonly params: P;
  /** The parameter table the detector was built from (defaults, ranges): what `--param key=value` is parsed against. */
  readonly paramSpec: ParamSpec<P>;
  /** Set by fit() / load(); null before. */
  protected fitted_: FittedBase | null = null;
  /** scoreTrailing's peer means, reused from one call to the next (attachPeers). */
  private readonly peerScratch = new Scratch();
  /** Scores the last fit() took its threshold from (not saved: a loaded model has none). */
  private calibrationScores_: Float32Array | null = null;

  constructor(spec: ParamSpec<P>, kind: string, overrides: Partial<P> = {}) {
    this.paramSpec = spec;
    this.params = resolveParams(kind, spec, overrides);
  }

  /** Share of training timestamps expected above the threshold (for predict). Subclasses may override. */
  protected get contamination(): number {
    const c = (this.params as { contamination?: number }).contamination;
    return c ?? 0.01;
  }

  get isFitted(): boolean {
    return this.fitted_ !== null;
  }
  get threshold(): number {
    return this.requireFitted().threshold;
  }
  get channels(): string[] {
    return this.requireFitted().channels;
  }

  protected requireFitted(): FittedBase {
    if (!this.fitted_) throw new NotFittedError(this.kind);
    return this.fitted_;
  }

  /** True for detectors with a peer view (they read PreparedInput.peer); the others ignore peer groups. */
  get peerAware(): boolean {
    return false;
  }

  /** Learns from `train` (unlabelled; labels, if present, are ignored). Fitting again starts from scratch. */
  async fit(train: Series, opts: FitOptions = {}): Promise<this> {
    return this.fitPrepared(prepareTraining(train, null), opts);
  }

  /**
   * Learns from the machines of one cluster (their histories over the same period): `groups` gives each machine's
   * peers (src/core/peers.ts). The machines are pooled end to end; a detector with a peer view also sees, at every
   * timestamp, what its peers did then. Without groups (or for the other detectors) it is `fit` on the pool.
   */
  async fitCluster(machines: Series[], groups?: PeerGroups, opts: FitOptions = {}): Promise<this> {
    if (machines.length === 0) throw new DetectorInputError(`${this.kind}: no training series`);
    const first = prepareTraining(machines[0], null);
    const xs = [first, ...machines.slice(1).map((m) => prepareTraining(m, first.channels))];
    if (groups && this.peerAware) this.attachPeers(machines, xs, groups);
    return this.fitPrepared(poolPrepared(xs), opts);
  }

  /** Sets each input's peer context (rows aligned by timestamp) from the groups; `need` as in peerMeans. With
   *  `scratch`, the means are written into the detector's scratch array (scoreTrailing: they live only as long as the
   *  call — 10 000 machines' windows are ~100 MB a scrape, fresh each time they cost the loop its GC). */
  private attachPeers(series: Series[], xs: PreparedInput[], groups: PeerGroups, need?: PeerNeed, scratch = false): void {
    for (const g of groups) for (const i of g) if (!(i >= 0 && i < xs.length)) throw new RangeError(`peer group names machine ${i} of ${xs.length}`);
    const means = peerMeans(xs.map((x, i) => ({ timestamps: series[i].timestamps, values: x.values })), xs[0]?.C ?? 0, groups, need, scratch ? this.peerScratch : undefined);
    means.forEach((m, i) => {
      xs[i].peer = m?.values;
      xs[i].peerFrom = m?.from;
    });
  }

  /**
   * What a trailing score reads of the peer means: its channels (indices into the fitted channels; absent: all) and
   * how many rows before the first scored row (absent: all). Default: everything — a detector that reads less says
   * so, and the online loop computes only that (CCL's skew part alone: the record rates over its smoothing rows).
   */
  protected get trailingPeerNeed(): { channels?: number[]; rowsBefore?: number } {
    return {};
  }

  /** The peer means scoreTrailing computes: the need above, from the earliest timestamp any scored row reads. */
  private trailingNeed(xs: Series[], last: number[]): PeerNeed {
    const { channels, rowsBefore } = this.trailingPeerNeed;
    if (rowsBefore === undefined) return { channels };
    let since = Infinity;
    last.forEach((k, i) => {
      const T = xs[i].timestamps.length;
      if (k > 0) since = Math.min(since, xs[i].timestamps[Math.max(0, T - k - rowsBefore)]);
    });
    return { channels, since };
  }

  private async fitPrepared(x: PreparedInput, opts: FitOptions): Promise<this> {
    this.fitted_ = null;
    this.calibrationScores_ = null;
    await this.fitCore(x, opts);
    const scores = opts.calibration ? this.scoreCore(prepareInput(opts.calibration, x.channels)) : this.scoreTrainingCore(x);
    for (let i = 0; i < scores.length; i++) if (scores[i] === Infinity) scores[i] = Number.MAX_VALUE; // as score() does
    this.calibrationScores_ = scores;
    const q = 1 - this.contamination;
    const setter = opts.threshold ?? { rule: `quantile:${q}`, of: (v: Float32Array) => { const t = quantile(v, q); return Number.isNaN(t) ? Infinity : t; } };
    this.fitted_ = {
      channels: x.channels,
      threshold: setter.of(scores),
      thresholdRule: setter.rule,
      thresholdFrom: opts.calibration ? 'calibration' : 'training',
      trainScores: scoreSample(scores),
      trainReport: x.report,
      fittedAt: new Date().toISOString(),
      provenance: {},
    };
    return this;
  }

  get thresholdRule(): string {
    return this.requireFitted().thresholdRule;
  }
  /** The training-score sample kept with the model. */
  get trainScores(): number[] {
    return this.requireFitted().trainScores;
  }
  get provenance(): Record<string, unknown> {
    return this.requireFitted().provenance;
  }
  /** Parameters whose value in effect differs from the one given because of what the fit saw (CCL fitted without
   *  any peer context is the machine-alone model: { peers: 'none' }); empty when none does. Evaluation provenance
   *  records it beside the parameters. */
  get fittedAs(): Record<string, unknown> {
    return {};
  }
  /**
   * Re-sets the threshold of record from other scores of the training data than fit()'s own (e.g. scored the way the
   * online loop scores, Detector.scoreTrailing), and keeps their sample.
   */
  recalibrate(scores: Float32Array, setter: ThresholdSetter): void {
    const base = this.requireFitted();
    base.threshold = setter.of(scores);
    base.thresholdRule = setter.rule;
    base.trainScores = scoreSample(scores);
  }
  /** Per-machine calibration facts kept in the artifact (see FittedBase.machines). */
  get machineFacts(): Record<string, unknown> {
    return this.requireFitted().machines ?? {};
  }
  setMachineFacts(m: Record<string, unknown>): void {
    this.requireFitted().machines = m;
  }
  /** Records what the model was trained on (kept in the artifact by save()). */
  setProvenance(p: Record<string, unknown>): void {
    this.requireFitted().provenance = { ...this.requireFitted().provenance, ...p };
  }
  /** The training curve (deep detectors; [] for the others). */
  get trainingHistory(): EpochRecord[] {
    return [];
  }

  /**
   * (T,) scores of the data the last fit() set its threshold from: the calibration series' scores when fit() was
   * given one, else the training data's own scores (NaN where the method has no non-trivial score for a point).
   */
  get calibrationScores(): Float32Array {
    this.requireFitted();
    if (!this.calibrationScores_) throw new Error(`${this.kind}: calibration scores exist only after fit() in this process (not after load())`);
    return this.calibrationScores_;
  }

  /** (T,) anomaly scores, finite, higher = more anomalous. */
  score(x: Series): Float32Array {
    const base = this.requireFitted();
    const input = prepareInput(x, base.channels);
    const s = this.scoreCore(input);
    for (let i = 0; i < s.length; i++) if (!Number.isFinite(s[i])) s[i] = Number.MAX_VALUE;
    return s;
  }

  /**
   * Scores several series at once (one per machine, as the online loop does every scrape); without groups the same
   * results as `score` on each. With `groups` (indices into xs, src/core/peers.ts) a detector with a peer view also
   * reads each machine's peers at the same timestamps; the last `context` series are peers given as context only
   * (not scored, not returned). Detectors that can batch (the deep ones) override scoreManyCore.
   */
  scoreMany(xs: Series[], groups?: PeerGroups, context = 0): Float32Array[] {
    const base = this.requireFitted();
    if (!(Number.isInteger(context) && context >= 0 && context <= xs.length)) throw new RangeError(`context must be an integer in [0, ${xs.length}] (got ${context})`);
    const inputs = xs.map((x) => prepareInput(x, base.channels));
    if (groups && this.peerAware) this.attachPeers(xs, inputs, groups);
    const out = this.scoreManyCore(inputs.slice(0, xs.length - context));
    for (const s of out) for (let i = 0; i < s.length; i++) if (!Number.isFinite(s[i])) s[i] = Number.MAX_VALUE;
    return out;
  }

  /** Default: one by one. */
  protected scoreManyCore(xs: PreparedInput[]): Float32Array[] {
    return xs.map((x) => this.scoreCore(x));
  }

  /**
   * Scores the last `last[i]` rows of each series, each row at the END of its own window — what the online loop does
   * every scrape, and what its thresholds are calibrated on: a point's score depends only on what came before it,
   * never on how the samples were batched or on what came after. (T_i − last[i] rows before are context.) `groups`
   * and `context` as in scoreMany. Returns (last[i],) per scored series.
   */
  scoreTrailing(xs: Series[], last: number[], groups?: PeerGroups, context = 0): Float32Array[] {
    const base = this.requireFitted();
    const n = xs.length - context;
    if (!(Number.isInteger(context) && context >= 0 && n >= 0)) throw new RangeError(`context must be an integer in [0, ${xs.length}] (got ${context})`);
    if (last.length !== n) throw new RangeError(`scoreTrailing: ${last.length} row counts for ${n} series`);
    const inputs = xs.map((x) => prepareInput(x, base.channels));
    last.forEach((k, i) => {
      if (!(Number.isInteger(k) && k >= 0 && k <= inputs[i].T)) throw new RangeError(`scoreTrailing: ${k} rows asked of '${xs[i].name}', which has ${inputs[i].T}`);
    });
    if (groups && this.peerAware) this.attachPeers(xs, inputs, groups, this.trailingNeed(xs, last), true);
    const out = this.scoreTrailingCore(inputs.slice(0, n), last); // the inputs' peer rows are not used after it
    for (const s of out) for (let i = 0; i < s.length; i++) if (!Number.isFinite(s[i])) s[i] = Number.MAX_VALUE;
    return out;
  }

  /** Rows of context a trailing score looks back over (the window of windowed detectors). */
  protected get trailingContext(): number {
    return 64;
  }

  /** Default: each row scored as the last of its prefix of at most trailingContext rows. */
  protected scoreTrailingCore(xs: PreparedInput[], last: number[]): Float32Array[] {
    const W = this.trailingContext;
    return xs.map((x, i) => {
      const out = new Float32Array(last[i]);
      for (let k = 0; k < last[i]; k++) {
        const r = x.T - last[i] + k;
        const a = Math.max(0, r - W + 1);
        const part: PreparedInput = { ...sliceRows(x, a, r + 1), ...peerRows(x, a, r + 1) };
        const s = this.scoreCore(part);
        out[k] = s[s.length - 1];
      }
      return out;
    });
  }

  /** (T,) 1 where score > threshold (default: the one fitted on training scores). */
  predict(x: Series, threshold = this.threshold): Uint8Array {
    const s = this.score(x);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s[i] > threshold ? 1 : 0;
    return out;
  }

  save(path: string): void {
    const base = this.requireFitted();
    const st = this.getState();
    const meta: SavedDetectorMeta = { kind: this.kind, detectorVersion: this.version, params: this.params as Record<string, unknown>, base, state: st.json };
    writeModelFile(path, meta, st.arrays);
  }

  /** Restores state saved by save() of the same kind and version into this instance (params must match). */
  loadFrom(path: string): this {
    const file = readModelFile<SavedDetectorMeta>(path);
    const m = file.meta;
    if (!m || typeof m !== 'object' || typeof m.kind !== 'string') throw new ModelFileError('not a detector model file', path);
    if (m.kind !== this.kind) throw new ModelFileError(`model file holds a '${m.kind}' detector, not '${this.kind}'`, path);
    if (m.detectorVersion !== this.version) {
      throw new ModelFileError(`model file is ${m.kind} version ${m.detectorVersion}; this flinkscope reads version ${this.version} (retrain the model)`, path);
    }
    const arrays: Record<string, StoredTensor> = Object.fromEntries(file.arrays);
    this.setState({ json: m.state, arrays });
    // artifacts written before the threshold rule and training scores were kept in them
    const b = m.base as Partial<FittedBase> & Pick<FittedBase, 'channels' | 'threshold' | 'trainReport' | 'fittedAt'>;
    this.fitted_ = { ...b, thresholdRule: b.thresholdRule ?? `quantile:${1 - this.contamination}`, trainScores: b.trainScores ?? [], provenance: b.provenance ?? {} };
    this.calibrationScores_ = null;
    return this;
  }

  /** Learn from the prepared training matrix. */
  protected abstract fitCore(x: PreparedInput, opts: FitOptions): Promise<void> | void;
  /** Score a prepared matrix (same channels as fit). */
  protected abstract scoreCore(x: PreparedInput): Float32Array;
  /**
   * Scores of the training matrix fitCore just learnt from, for its threshold. Default: scoreCore. Detectors whose
   * state holds training points (a reference, a memory, subsamples) override it so a point is not scored against
   * itself — a self-match says nothing about how unusual the point is. NaN = no such score for that point.
   */
  protected scoreTrainingCore(x: PreparedInput): Float32Array {
    return this.scoreCore(x);
  }
  /** Learned state for save(). */
  protected abstract getState(): DetectorState;
  /** Inverse of getState(). */
  protected abstract setState(s: DetectorState): void;
}

/** The peer rows of x's rows [a, b) as a part holding just those rows reads them. */
function peerRows(x: PreparedInput, a: number, b: number): { peer?: Float32Array; peerFrom?: number } {
  if (!x.peer) return { peer: undefined, peerFrom: undefined };
  const f = x.peerFrom ?? 0;
  if (f >= b) return { peer: x.peer.subarray(0, 0), peerFrom: b - a }; // none of the part's rows has peer rows
  const from = Math.max(a, f);
  return { peer: x.peer.subarray((from - f) * x.C, (b - f) * x.C), peerFrom: from - a };
}
