// The training template every deep detector shares (PyOD-style): robust scaling fitted on training data, sliding
// windows, seeded shuffling and batching, Adam with clipping and warm-up/cosine LR, early stopping on a validation
// split taken from the END of the training data, progress (epoch / loss / ETA), cancellation, and folding window
// scores back to timestamps. A subclass gives only its model, one training loss and one scoring step.
import { Rng, Tensor, arena, backward, noGrad } from '../../tensor/index.js';
import { Module } from '../../nn/index.js';
import { Adam, clipGradNorm, stepDecay, warmupCosine } from '../../optim/index.js';
import { Detector, FitCancelledError, type DetectorState, type EpochRecord, type FitOptions } from '../detector.js';
export type { EpochRecord };
import type { PreparedInput } from '../input.js';
import { DetectorInputError } from '../input.js';
import { Scratch } from '../scratch.js';
import type { ParamSpec } from '../params.js';
import { applyRobustScale, applyRobustScaleInto, fitRobustScale, type RobustScale } from '../robust.js';
import { ScoreFolder, gatherWindows, padFront, windowStarts } from './windows.js';

export interface DeepParams {
  window: number;
  stride: number;
  scoreStride: number;
  epochs: number;
  batchSize: number;
  lr: number;
  lrSchedule: 'cosine' | 'halve';
  weightDecay: number;
  clip: number;
  patience: number;
  valFraction: number;
  maxTrainWindows: number;
  seed: number;
  contamination: number;
}

export const deepParamSpec: ParamSpec<DeepParams> = {
  window: { default: 64, min: 8, integer: true, doc: 'window length L in timestamps' },
  stride: { default: 4, min: 1, integer: true, doc: 'stride between training windows' },
  scoreStride: { default: 16, min: 1, integer: true, doc: 'stride between scoring windows (overlaps are averaged)' },
  epochs: { default: 8, min: 1, integer: true, doc: 'maximum training epochs' },
  batchSize: { default: 32, min: 1, integer: true, doc: 'windows per batch' },
  lr: { default: 1e-3, min: 0, doc: 'peak learning rate' },
  lrSchedule: { default: 'cosine', choices: ['cosine', 'halve'], doc: "'cosine': warm-up then cosine decay; 'halve': lr halved after every epoch" },
  weightDecay: { default: 0, min: 0, doc: 'decoupled weight decay (AdamW)' },
  clip: { default: 1, min: 0, doc: 'global gradient-norm clip (0 = off)' },
  patience: { default: 3, min: 1, integer: true, doc: 'epochs without validation improvement before stopping' },
  valFraction: { default: 0.1, min: 0, max: 0.5, doc: 'share of training windows (the latest) held out for early stopping' },
  maxTrainWindows: { default: 2048, min: 1, integer: true, doc: 'cap on windows per epoch (uniformly sampled)' },
  seed: { default: 1, integer: true, doc: 'seed of weight init, shuffling and augmentation' },
  contamination: { default: 0.01, min: 0, max: 0.5, doc: 'expected share of anomalies in training data (sets the threshold)' },
};

export abstract class DeepDetector<P extends DeepParams> extends Detector<P> {
  protected model: Module | null = null;
  protected scale_: RobustScale | null = null;
  protected C = 0;
  /** Training curve of the last fit (for reports and the dashboard's model page). */
  history: EpochRecord[] = [];
  override get trainingHistory(): EpochRecord[] {
    return this.history;
  }
  /** 1-based epoch of the running fit (for losses that change over epochs, e.g. USAD). */
  protected currentEpoch = 0;

  /** Builds the network for C channels (weights from rng). */
  protected abstract buildModel(C: number, rng: Rng): Module;
  /** The training loss of one batch (B, L, C) of scaled windows (rng for augmentation / negatives). */
  protected abstract lossOf(batch: Tensor, rng: Rng): Tensor;
  /** Per-timestamp scores of a batch (B, L, C) → (B · L) row-major. Runs under noGrad in eval mode. `peer[b]`: window
   *  b was given its machine's peer context (detectors with a peer view; see modelInput). */
  protected abstract scoreBatch(batch: Tensor, peer?: boolean[]): Float32Array;
  /** The score of each window's LAST position, (B, L, C) → (B); a model that can compute the end of a window
   *  without the rest overrides this (the online loop scores nothing else). */
  protected scoreWindowEnds(batch: Tensor, peer?: boolean[]): Float32Array {
    const [B, L] = batch.shape;
    const s = this.scoreBatch(batch, peer);
    return Float32Array.from({ length: B }, (_, b) => s[b * L + L - 1]);
  }
  /** The (T, C') matrix the network reads (before scaling). Default: the machine's own values; a detector with a peer
   *  view adds channels from x.peer — taken from `into` when given (the online loop's scratch, reused for every
   *  machine of a scrape), else a new array. */
  protected modelInput(x: PreparedInput, _into?: Scratch): { values: Float32Array; C: number } {
    return { values: x.values, C: x.C };
  }

  protected async fitCore(x: PreparedInput, opts: FitOptions): Promise<void> {
    const p = this.params;
    const L = p.window;
    if (x.T < L + 1) throw new DetectorInputError(`${this.kind}: training series has ${x.T} timestamps, fewer than window + 1 = ${L + 1}`);
    const rng = new Rng(p.seed);
    const mi = this.modelInput(x);
    const C = (this.C = mi.C);
    this.scale_ = fitRobustScale(mi.values, x.T, C);
    const xs = applyRobustScale(mi.values, C, this.scale_);
    const all = windowStarts(x.T, L, p.stride);
    const nVal = all.length >= 10 ? Math.floor(all.length * p.valFraction) : 0;
    const trainStarts = all.slice(0, all.length - nVal);
    const valStarts = all.slice(all.length - nVal);
    const model = this.buildModel(C, rng);
    this.model = model;
    const params = model.parameters();
    const opt = new Adam(params, { lr: p.lr, weightDecay: p.weightDecay });
    const perEpoch = Math.min(trainStarts.length, p.maxTrainWindows);
    const stepsPerEpoch = Math.ceil(perEpoch / p.batchSize);
    const schedule = p.lrSchedule === 'halve' ? stepDecay(p.lr, stepsPerEpoch) : warmupCosine(p.lr, Math.min(20, stepsPerEpoch), stepsPerEpoch * p.epochs, p.lr * 0.05);
    let best = Infinity;
    let bestState = model.stateDict();
    let bad = 0;
    this.history = [];
    const t0 = Date.now();
    for (let epoch = 1; epoch <= p.epochs; epoch++) {
      const te = Date.now();
      this.currentEpoch = epoch;
      model.train();
      const order = trainStarts.slice();
      rng.shuffle(order);
      const chosen = order.slice(0, perEpoch);
      let lossSum = 0;
      for (let i = 0; i < chosen.length; i += p.batchSize) {
        if (opts.signal?.aborted) throw new FitCancelledError(this.kind);
        const starts = chosen.slice(i, i + p.batchSize);
        const batch = new Tensor(gatherWindows(xs, C, L, starts), [starts.length, L, C]); // (B, L, C)
        // one step in an arena: its activations and gradients reuse the previous step's buffers
        const lv = arena(() => {
          opt.zeroGrad();
          const loss = this.lossOf(batch, rng);
          const v = loss.item();
          if (!Number.isFinite(v)) throw new Error(`${this.kind}: training diverged (loss ${v}) in epoch ${epoch}; lower lr`);
          backward(loss);
          if (p.clip > 0) clipGradNorm(params, p.clip);
          opt.lr = schedule(opt.stepCount);
          opt.step();
          return v;
        });
        lossSum += lv * starts.length;
        await new Promise<void>((r) => setImmediate(r)); // let timers, signals and progress bars run
      }
      const loss = lossSum / chosen.length;
      const valLoss = valStarts.length ? this.validationLoss(xs, C, valStarts, rng) : null;
      this.history.push({ epoch, loss, valLoss, ms: Date.now() - te });
      const monitored = valLoss ?? loss;
      if (monitored < best - 1e-6) {
        best = monitored;
        bestState = model.stateDict();
        bad = 0;
      } else bad++;
      const elapsed = Date.now() - t0;
      opts.onProgress?.({ epoch, epochs: p.epochs, loss, valLoss: valLoss ?? undefined, etaMs: (elapsed / epoch) * (p.epochs - epoch) });
      if (bad >= p.patience) break;
    }
    model.loadStateDict(bestState);
    model.eval();
  }

  private validationLoss(xs: Float32Array, C: number, starts: number[], rng: Rng): number {
    const model = this.model!;
    model.eval();
    const vr = new Rng(this.params.seed + 7919); // the same negatives every epoch, so epochs compare
    void rng;
    let s = 0;
    noGrad(() => {
      for (let i = 0; i < starts.length; i += this.params.batchSize) {
        const st = starts.slice(i, i + this.params.batchSize);
        const batch = new Tensor(gatherWindows(xs, C, this.params.window, st), [st.length, this.params.window, C]);
        s += arena(() => this.lossOf(batch, vr).item()) * st.length;
      }
    });
    model.train();
    return s / starts.length;
  }

  protected scoreCore(x: PreparedInput): Float32Array {
    const L = this.params.window;
    const model = this.model;
    if (!model || !this.scale_) throw new Error(`${this.kind}: no model`);
    model.eval();
    const mi = this.modelInput(x);
    const C = mi.C;
    const xs0 = applyRobustScale(mi.values, C, this.scale_);
    const T = Math.max(x.T, L);
    const xs = padFront(xs0, x.T, C, L);
    const starts = windowStarts(T, L, this.params.scoreStride);
    const fold = new ScoreFolder(T);
    const peer = x.peer !== undefined;
    noGrad(() => {
      for (let i = 0; i < starts.length; i += this.params.batchSize) {
        const st = starts.slice(i, i + this.params.batchSize);
        const batch = new Tensor(gatherWindows(xs, C, L, st), [st.length, L, C]); // (B, L, C)
        arena(() => fold.add(this.scoreBatch(batch, st.map(() => peer)), st, L)); // fold.add copies the batch's scores out
      }
    });
    const s = fold.result();
    return T === x.T ? s : s.slice(T - x.T);
  }

  /** Series exactly one window long (the online loop's rings) are scored in one batched forward; others one by one. */
  protected override scoreManyCore(xs: PreparedInput[]): Float32Array[] {
    const L = this.params.window;
    const model = this.model;
    if (!model || !this.scale_) throw new Error(`${this.kind}: no model`);
    const out: Float32Array[] = new Array(xs.length);
    const full = xs.map((x, i) => (x.T === L ? i : -1)).filter((i) => i >= 0);
    xs.forEach((x, i) => {
      if (x.T !== L) out[i] = this.scoreCore(x);
    });
    if (full.length === 0) return out;
    model.eval();
    const C = this.C;
    const B = this.params.batchSize * 8; // inference has no activations to keep: larger batches, fewer calls
    noGrad(() => {
      for (let k = 0; k < full.length; k += B) {
        const idx = full.slice(k, k + B);
        const batch = this.batchOf(idx.length * L * C); // every value is written below
        idx.forEach((i, j) => batch.set(applyRobustScale(this.modelInput(xs[i]).values, C, this.scale_!), j * L * C));
        arena(() => {
          const s = this.scoreBatch(new Tensor(batch, [idx.length, L, C]), idx.map((i) => xs[i].peer !== undefined)); // (n · L)
          idx.forEach((i, j) => (out[i] = s.slice(j * L, (j + 1) * L))); // copies, before the arena ends
        });
      }
    });
    return out;
  }

  /** The scoring batch buffer, reused across batches and calls — a view of its first n values. 10 000 machines'
   *  windows are ~100 MB a scrape: a fresh array per batch cost its allocation, zeroing and page faults each time. */
  private readonly batch = new Scratch();
  /** The online loop's modelInput scratch (scoreTrailingCore): one machine's (T, C') at a time. */
  private readonly inputScratch = new Scratch();
  private batchOf(n: number): Float32Array {
    return this.batch.take(n);
  }

  protected override get trailingContext(): number {
    return this.params.window;
  }

  /** Every asked row at the end of its own window (rows before the first are the first row repeated, as padFront),
   *  all machines' windows in batched forwards; only the last position of each window is kept. */
  protected override scoreTrailingCore(xs: PreparedInput[], last: number[]): Float32Array[] {
    const L = this.params.window;
    const model = this.model;
    if (!model || !this.scale_) throw new Error(`${this.kind}: no model`);
    model.eval();
    const C = this.C;
    const out = last.map((k) => new Float32Array(k));
    const jobs: [number, number][] = []; // (series, row)
    last.forEach((k, i) => {
      for (let j = 0; j < k; j++) jobs.push([i, xs[i].T - k + j]);
    });
    // a whole window is scaled straight into the batch; only rows padded at the front read a scaled copy. A
    // machine's input (T, C) is built once for its jobs (they are consecutive) in one scratch reused for every machine:
    // 10 000 machines' peer-view inputs are ~200 MB a scrape, which as fresh arrays kept the garbage collector busy
    const scaled = new Map<number, Float32Array>();
    let cur = -1;
    let input: Float32Array = new Float32Array(0);
    const inputOf = (i: number): Float32Array => {
      if (i !== cur) {
        cur = i;
        input = this.modelInput(xs[i], this.inputScratch).values;
      }
      return input;
    };
    const B = this.params.batchSize * 8;
    noGrad(() => {
      for (let at = 0; at < jobs.length; at += B) {
        const part = jobs.slice(at, at + B);
        const batch = this.batchOf(part.length * L * C); // every value is written below
        part.forEach(([i, r], b) => {
          if (r >= L - 1) {
            applyRobustScaleInto(inputOf(i).subarray((r - L + 1) * C, (r + 1) * C), C, this.scale_!, batch, b * L * C);
            return;
          }
          const x = scaled.get(i) ?? scaled.set(i, applyRobustScale(inputOf(i), C, this.scale_!)).get(i)!;
          for (let p = 0; p < L; p++) {
            const row = Math.max(0, r - L + 1 + p);
            batch.set(x.subarray(row * C, row * C + C), (b * L + p) * C);
          }
        });
        arena(() => {
          const s = this.scoreWindowEnds(new Tensor(batch, [part.length, L, C]), part.map(([i]) => xs[i].peer !== undefined)); // (n)
          part.forEach(([i, r], b) => (out[i][r - (xs[i].T - last[i])] = s[b]));
        });
      }
    });
    return out;
  }

  protected getState(): DetectorState {
    const arrays: DetectorState['arrays'] = {
      'scale.center': { data: this.scale_!.center, shape: [this.C] },
      'scale.scale': { data: this.scale_!.scale, shape: [this.C] },
    };
    for (const [n, w] of Object.entries(this.model!.stateDict())) arrays[`w.${n}`] = { data: w.data, shape: w.shape };
    return { json: { C: this.C, history: this.history }, arrays };
  }

  protected setState(s: DetectorState): void {
    this.C = s.json.C as number;
    this.history = (s.json.history as EpochRecord[]) ?? [];
    this.scale_ = { center: s.arrays['scale.center'].data as Float32Array, scale: s.arrays['scale.scale'].data as Float32Array };
    this.model = this.buildModel(this.C, new Rng(this.params.seed));
    const weights: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [k, v] of Object.entries(s.arrays)) if (k.startsWith('w.')) weights[k.slice(2)] = { shape: v.shape, data: v.data as Float32Array };
    this.model.loadStateDict(weights);
    this.model.eval();
  }
}
