// Matrix-profile discords (Yeh et al., ICDM 2016; STOMP, Zhu et al. 2016) as an AB-join: each test subsequence of
// length m is compared (z-normalised Euclidean distance) with every subsequence of the TRAINING reference, per
// channel; its score is the distance to its nearest training neighbour, averaged (or maxed) over channels and
// divided by √(2m) so it lies in [0, √2]. Dot products are updated in O(1) along diagonals (the STOMP recurrence).
// The reference is the last maxTrain points of the training data (documented cap: cost is O(n_test · n_ref · C)).
// Scoring the training data itself (for its threshold) excludes trivial matches: a subsequence is never compared with
// reference subsequences starting within ⌈m/2⌉ points of its own start (the exclusion zone of Yeh et al.), which
// would otherwise match it at distance ~0 and put the threshold at ~0.
import { Detector, type DetectorState } from '../detector.js';
import type { PreparedInput } from '../input.js';
import type { ParamSpec } from '../params.js';
import { registerDetector } from '../registry.js';

export interface MatrixProfileParams {
  m: number;
  maxTrain: number;
  aggregate: 'mean' | 'max';
  contamination: number;
}
const spec: ParamSpec<MatrixProfileParams> = {
  m: { default: 32, min: 4, integer: true, doc: 'subsequence length' },
  maxTrain: { default: 3000, min: 8, integer: true, doc: 'training points kept as the reference (the latest)' },
  aggregate: { default: 'mean', choices: ['mean', 'max'], doc: 'how channel distances combine' },
  contamination: { default: 0.01, min: 0, max: 0.5, doc: 'expected anomaly share of training data (threshold)' },
};

function stats(x: Float64Array, m: number): { mu: Float64Array; sd: Float64Array } {
  const n = x.length - m + 1;
  const mu = new Float64Array(n);
  const sd = new Float64Array(n);
  let s = 0, s2 = 0;
  for (let i = 0; i < m; i++) { s += x[i]; s2 += x[i] * x[i]; }
  for (let i = 0; i < n; i++) {
    if (i > 0) { s += x[i + m - 1] - x[i - 1]; s2 += x[i + m - 1] ** 2 - x[i - 1] ** 2; }
    mu[i] = s / m;
    sd[i] = Math.sqrt(Math.max(0, s2 / m - mu[i] * mu[i]));
  }
  return { mu, sd };
}

/** Pairs (i, j) with |i − (j + offset)| < zone are trivial matches: b is a's own stretch starting at `offset`. */
export interface ExclusionZone {
  offset: number;
  zone: number;
}

/**
 * Nearest-neighbour z-normalised distance of each subsequence of a within b: (n_a,). With an exclusion zone, trivial
 * matches are skipped; a subsequence with no other candidate gets Infinity.
 */
export function abJoin(a: Float64Array, b: Float64Array, m: number, exclude?: ExclusionZone): Float64Array {
  const na = a.length - m + 1;
  const nb = b.length - m + 1;
  const A = stats(a, m);
  const B = stats(b, m);
  const best = new Float64Array(na).fill(Infinity);
  const eps = 1e-8;
  const dist = (qt: number, i: number, j: number): number => {
    const sa = A.sd[i], sb = B.sd[j];
    if (sa < eps && sb < eps) return 0;
    if (sa < eps || sb < eps) return Math.sqrt(m);
    const corr = (qt - m * A.mu[i] * B.mu[j]) / (m * sa * sb);
    return Math.sqrt(Math.max(0, 2 * m * (1 - corr)));
  };
  // walk every diagonal (i − j = const) with the running dot product
  for (let start = -(nb - 1); start < na; start++) {
    if (exclude && Math.abs(start - exclude.offset) < exclude.zone) continue; // the diagonal i − j = start is trivial
    let i = Math.max(start, 0);
    let j = i - start;
    let qt = 0;
    for (let k = 0; k < m; k++) qt += a[i + k] * b[j + k];
    for (;;) {
      const d = dist(qt, i, j);
      if (d < best[i]) best[i] = d;
      if (i + 1 >= na || j + 1 >= nb) break;
      qt += a[i + m] * b[j + m] - a[i] * b[j];
      i++;
      j++;
    }
  }
  return best;
}

export class MatrixProfileDetector extends Detector<MatrixProfileParams> {
  readonly kind = 'matrix-profile';
  readonly version = 1;
  private ref: Float32Array = new Float32Array(0); // (R, C)
  private C = 0;
  constructor(params: Partial<MatrixProfileParams> = {}) {
    super(spec, 'matrix-profile', params);
  }
  protected fitCore(x: PreparedInput): void {
    if (x.T < this.params.m) throw new RangeError(`matrix-profile: training series has ${x.T} points, fewer than m = ${this.params.m}`);
    const R = Math.min(this.params.maxTrain, x.T);
    this.ref = x.values.slice((x.T - R) * x.C);
    this.C = x.C;
  }
  protected scoreCore(x: PreparedInput): Float32Array {
    return this.profile(x);
  }
  /** The training data against the reference it contains: trivial matches excluded (NaN where none is left). */
  protected override scoreTrainingCore(x: PreparedInput): Float32Array {
    const s = this.profile(x, { offset: x.T - this.ref.length / this.C, zone: Math.ceil(this.params.m / 2) });
    for (let i = 0; i < s.length; i++) if (s[i] === Infinity) s[i] = NaN;
    return s;
  }
  private profile(x: PreparedInput, exclude?: ExclusionZone): Float32Array {
    const m = this.params.m;
    const C = this.C;
    const R = this.ref.length / C;
    const out = new Float32Array(x.T);
    if (x.T < m) return out; // too short for one subsequence: documented as score 0
    const nsub = x.T - m + 1;
    const agg = new Float64Array(nsub);
    const col = (v: Float32Array, T: number, c: number): Float64Array => Float64Array.from({ length: T }, (_, t) => v[t * C + c]);
    for (let c = 0; c < C; c++) {
      const d = abJoin(col(x.values, x.T, c), col(this.ref, R, c), m, exclude);
      for (let i = 0; i < nsub; i++) agg[i] = this.params.aggregate === 'max' ? Math.max(agg[i], d[i]) : agg[i] + d[i] / C;
    }
    const norm = Math.sqrt(2 * m);
    for (let t = 0; t < x.T; t++) out[t] = agg[Math.max(0, t - m + 1)] / norm; // subsequence ending at t
    return out;
  }
  protected getState(): DetectorState {
    return { json: { C: this.C }, arrays: { ref: { data: this.ref, shape: [this.ref.length / Math.max(this.C, 1), this.C] } } };
  }
  protected setState(s: DetectorState): void {
    this.C = s.json.C as number;
    this.ref = s.arrays.ref.data as Float32Array;
  }
}

registerDetector({ kind: 'matrix-profile', ctor: MatrixProfileDetector, family: 'classical', summary: 'matrix-profile discord distance (AB-join with training data)' });
