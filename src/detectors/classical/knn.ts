// k-NN distance on windows (Ramaswamy et al., SIGMOD 2000, on subsequences): the score of timestamp t is the distance
// from the (robust-scaled, flattened) window ending at t to its k-th nearest training window. Training windows are
// subsampled uniformly (seeded) to at most maxTrain; distances use ‖a‖² + ‖b‖² − 2 a·b through the engine's matmul.
// Scoring the training data itself (for its threshold) skips the reference windows that overlap the query's window
// (ending within W − 1 points of it, itself included): they are the query, shifted, not neighbours.
import { Rng, Tensor, matmul, transpose } from '../../tensor/index.js';
import { Detector, type DetectorState } from '../detector.js';
import type { PreparedInput } from '../input.js';
import type { ParamSpec } from '../params.js';
import { registerDetector } from '../registry.js';
import { applyRobustScale, fitRobustScale, type RobustScale } from '../robust.js';
import { windowFeatures } from './features.js';
import { kthNearestSq } from '../nearest.js';

export interface KnnParams {
  window: number;
  k: number;
  maxTrain: number;
  seed: number;
  contamination: number;
}
const spec: ParamSpec<KnnParams> = {
  window: { default: 8, min: 1, integer: true, doc: 'window length W' },
  k: { default: 5, min: 1, integer: true, doc: 'which nearest neighbour' },
  maxTrain: { default: 2000, min: 1, integer: true, doc: 'cap on stored training windows (uniform subsample)' },
  seed: { default: 1, integer: true, doc: 'subsampling seed' },
  contamination: { default: 0.01, min: 0, max: 0.5, doc: 'expected anomaly share of training data (threshold)' },
};

export class KnnDetector extends Detector<KnnParams> {
  readonly kind = 'knn';
  readonly version = 1;
  private scale_: RobustScale | null = null;
  private ref: Float32Array = new Float32Array(0); // (N, D)
  private D = 0;
  /** Training indices of the reference windows, sorted (kept from fitCore for scoreTrainingCore; not saved). */
  private refAt: number[] = [];
  constructor(params: Partial<KnnParams> = {}) {
    super(spec, 'knn', params);
  }
  private features(x: PreparedInput): Float32Array {
    return windowFeatures(applyRobustScale(x.values, x.C, this.scale_!), x.T, x.C, this.params.window);
  }
  protected fitCore(x: PreparedInput): void {
    this.scale_ = fitRobustScale(x.values, x.T, x.C);
    const f = this.features(x);
    const D = this.params.window * x.C;
    const idx = Array.from({ length: x.T }, (_, i) => i);
    new Rng(this.params.seed).shuffle(idx);
    const keep = idx.slice(0, Math.min(this.params.maxTrain, x.T)).sort((a, b) => a - b);
    this.refAt = keep;
    this.ref = new Float32Array(keep.length * D);
    keep.forEach((t, i) => this.ref.set(f.subarray(t * D, (t + 1) * D), i * D));
    this.D = D;
  }
  protected scoreCore(x: PreparedInput): Float32Array {
    return this.distances(x);
  }
  /** Training windows against the reference drawn from them, overlapping windows skipped (NaN if < k are left). */
  protected override scoreTrainingCore(x: PreparedInput): Float32Array {
    const at = this.refAt;
    const W = this.params.window;
    let lo = 0, hi = 0; // [lo, hi): reference rows whose window overlaps the query's — at[j] in (t − W, t + W)
    return this.distances(x, (t) => {
      while (lo < at.length && at[lo] <= t - W) lo++;
      while (hi < at.length && at[hi] < t + W) hi++;
      return [lo, hi];
    });
  }
  /** skip(t) (called with t increasing) gives the reference rows [lo, hi) query t must not be compared with. */
  private distances(x: PreparedInput, skip?: (t: number) => [number, number]): Float32Array {
    const f = this.features(x);
    const D = this.D;
    const N = this.ref.length / D;
    const k = Math.min(this.params.k, N);
    const refT = new Tensor(this.ref, [N, D]);
    const refSq = new Float64Array(N);
    for (let j = 0; j < N; j++) for (let d = 0; d < D; d++) refSq[j] += this.ref[j * D + d] ** 2;
    const out = new Float32Array(x.T);
    const best = new Float64Array(k);
    const chunk = 512;
    for (let a = 0; a < x.T; a += chunk) {
      const n = Math.min(chunk, x.T - a);
      const q = new Tensor(f.subarray(a * D, (a + n) * D), [n, D]);
      const dots = matmul(q, transpose(refT)).values(); // (n, N)
      for (let i = 0; i < n; i++) {
        let qs = 0;
        for (let d = 0; d < D; d++) qs += f[(a + i) * D + d] ** 2;
        const [lo, hi] = skip ? skip(a + i) : [N, N];
        const d2 = kthNearestSq(dots, i * N, N, qs, refSq, best, lo, hi);
        out[a + i] = d2 === Infinity ? NaN : Math.sqrt(Math.max(0, d2) / D);
      }
    }
    return out;
  }
  protected getState(): DetectorState {
    return {
      json: { D: this.D },
      arrays: {
        center: { data: this.scale_!.center, shape: [this.scale_!.center.length] },
        scale: { data: this.scale_!.scale, shape: [this.scale_!.scale.length] },
        ref: { data: this.ref, shape: [this.ref.length / Math.max(this.D, 1), this.D] },
      },
    };
  }
  protected setState(s: DetectorState): void {
    this.D = s.json.D as number;
    this.scale_ = { center: s.arrays.center.data as Float32Array, scale: s.arrays.scale.data as Float32Array };
    this.ref = s.arrays.ref.data as Float32Array;
    this.refAt = [];
  }
}

registerDetector({ kind: 'knn', ctor: KnnDetector, family: 'classical', summary: 'k-NN distance on windows' });
