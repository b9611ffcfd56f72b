// The one detector contract (after PyOD / scikit-learn): construct with typed params, `fit` learns,
// `score` returns one anomaly score per timestamp (higher = more anomalous), `predict` thresholds — written once, here.
// Subclasses implement fitCore / scoreCore on a checked, repaired (T, C) matrix and expose their learned state as
// arrays + JSON so save/load works the same for all.
import { readModelFile, writeModelFile, type StoredTensor, ModelFileError } from '../tensor/modelfile.js';
import { type ParamSpec, resolveParams } from './params.js';
import { type PreparedInput, prepareInput, type InputReport } from './input.js';
import type { Series } from '../core/series.js';
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
  /**
   * Held-out data (same channels, not part of `train`) whose scores set the threshold: data the detector's weights,
   * reference or memory never contained. Without it the threshold comes from the training data's own scores, with
   * trivial self-matches excluded where the method keeps training data (see scoreTrainingCore).
   */
  calibration?: Series;
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

/** What every fitted detector knows besides its own state. */
export interface FittedBase {
  channels: string[];
  /** Score threshold: the (1 - contamination) quantile of the calibration (else training) scores. */
  threshold: number;
  /** Which scores the threshold came from (absent in files written before it was recorded: 'training'). */
  thresholdFrom?: 'calibration' | 'training';
  trainReport: InputReport;
  fittedAt: string;
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
  /** Set by fit() / load(); null before. */
  protected fitted_: FittedBase | null = null;
  /** Scores the last fit() took its threshold from (not saved: a loaded model has none). */
  private calibrationScores_: Float32Array | null = null;

  constructor(spec: ParamSpec<P>, kind: string, overrides: Partial<P> = {}) {
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

  /** Learns from `train` (unlabelled; labels, if present, are ignored). Fitting again starts from scratch. */
  async fit(train: Series, opts: FitOptions = {}): Promise<this> {
    const x = prepareInput(train, null);
    this.fitted_ = null;
    this.calibrationScores_ = null;
    await this.fitCore(x, opts);
    const scores = opts.calibration ? this.scoreCore(prepareInput(opts.calibration, x.channels)) : this.scoreTrainingCore(x);
    for (let i = 0; i < scores.length; i++) if (scores[i] === Infinity) scores[i] = Number.MAX_VALUE; // as score() does
    this.calibrationScores_ = scores;
    this.fitted_ = {
      channels: x.channels,
      threshold: quantile(scores, 1 - this.contamination) || (scores.some(Number.isFinite) ? 0 : Infinity),
      thresholdFrom: opts.calibration ? 'calibration' : 'training',
      trainReport: x.report,
      fittedAt: new Date().toISOString(),
    };
    return this;
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
   * Scores several series at once (one per machine, as the online loop does every scrape); the same results as
   * `score` on each. Detectors that can batch (the deep ones) override scoreManyCore.
   */
  scoreMany(xs: Series[]): Float32Array[] {
    const base = this.requireFitted();
    const out = this.scoreManyCore(xs.map((x) => prepareInput(x, base.channels)));
    for (const s of out) for (let i = 0; i < s.length; i++) if (!Number.isFinite(s[i])) s[i] = Number.MAX_VALUE;
    return out;
  }

  /** Default: one by one. */
  protected scoreManyCore(xs: PreparedInput[]): Float32Array[] {
    return xs.map((x) => this.scoreCore(x));
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
    this.fitted_ = m.base;
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

