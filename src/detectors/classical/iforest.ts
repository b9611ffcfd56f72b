// Isolation Forest (Liu, Ting & Zhou, ICDM 2008): trees of random axis-parallel splits on subsamples of ψ points;
// anomalies are isolated in fewer splits. Score s = 2^(−E[h(x)] / c(ψ)), c(n) = 2 H(n − 1) − 2 (n − 1) / n.
// Features: the (robust-scaled) window of W timestamps ending at t. Trees are stored as flat arrays.
// Scoring the training data itself (for its threshold) is out-of-bag: a point's path length is averaged over the
// trees whose subsample did not hold it (with no such tree — T ≤ ψ — over all trees, i.e. in-sample).
import { Rng } from '../../tensor/index.js';
import { Detector, type DetectorState } from '../detector.js';
import type { PreparedInput } from '../input.js';
import type { ParamSpec } from '../params.js';
import { registerDetector } from '../registry.js';
import { applyRobustScale, fitRobustScale, type RobustScale } from '../robust.js';
import { windowFeatures } from './features.js';

export interface IForestParams {
  trees: number;
  sampleSize: number;
  window: number;
  seed: number;
  contamination: number;
}
const spec: ParamSpec<IForestParams> = {
  trees: { default: 100, min: 1, integer: true, doc: 'number of trees' },
  sampleSize: { default: 256, min: 2, integer: true, doc: 'subsample size ψ per tree' },
  window: { default: 1, min: 1, integer: true, doc: 'timestamps per feature vector (1 = point features)' },
  seed: { default: 1, integer: true, doc: 'random seed' },
  contamination: { default: 0.01, min: 0, max: 0.5, doc: 'expected anomaly share of training data (threshold)' },
};

/** Average path length of an unsuccessful BST search among n points. */
export function cFactor(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + 0.5772156649) - (2 * (n - 1)) / n;
}

export class IForestDetector extends Detector<IForestParams> {
  readonly kind = 'iforest';
  readonly version = 1;
  private scale_: RobustScale | null = null;
  // flat node arrays over all trees; roots[i] is tree i's root node
  private feat: Int32Array = new Int32Array(0); // −1 = leaf
  private split: Float32Array = new Float32Array(0);
  private left: Int32Array = new Int32Array(0);
  private right: Int32Array = new Int32Array(0);
  private size: Int32Array = new Int32Array(0);
  private roots: Int32Array = new Int32Array(0);
  private psi = 0;
  /** (trees, ψ) the training points of each tree's subsample — from fitCore for scoreTrainingCore; not saved. */
  private bags: Int32Array = new Int32Array(0);

  constructor(params: Partial<IForestParams> = {}) {
    super(spec, 'iforest', params);
  }

  private features(x: PreparedInput): { f: Float32Array; D: number } {
    const xs = applyRobustScale(x.values, x.C, this.scale_!);
    return { f: windowFeatures(xs, x.T, x.C, this.params.window), D: this.params.window * x.C };
  }

  protected fitCore(x: PreparedInput): void {
    this.scale_ = fitRobustScale(x.values, x.T, x.C);
    const { f, D } = this.features(x);
    const rng = new Rng(this.params.seed);
    const psi = Math.min(this.params.sampleSize, x.T);
    this.psi = psi;
    const maxDepth = Math.ceil(Math.log2(psi));
    const feat: number[] = [], split: number[] = [], left: number[] = [], right: number[] = [], size: number[] = [];
    const roots: number[] = [];
    const build = (idx: number[], depth: number): number => {
      const node = feat.length;
      feat.push(-1); split.push(0); left.push(-1); right.push(-1); size.push(idx.length);
      if (idx.length <= 1 || depth >= maxDepth) return node;
      // pick a feature with spread among the points (a few tries), split uniformly within its range
      for (let tries = 0; tries < 8; tries++) {
        const q = rng.int(D);
        let lo = Infinity, hi = -Infinity;
        for (const i of idx) {
          const v = f[i * D + q];
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        if (!(hi > lo)) continue;
        const s = lo + (hi - lo) * rng.next();
        const L = idx.filter((i) => f[i * D + q] < s);
        const R = idx.filter((i) => f[i * D + q] >= s);
        feat[node] = q;
        split[node] = s;
        left[node] = build(L, depth + 1);
        right[node] = build(R, depth + 1);
        return node;
      }
      return node;
    };
    this.bags = new Int32Array(this.params.trees * psi);
    for (let tr = 0; tr < this.params.trees; tr++) {
      const all = Array.from({ length: x.T }, (_, i) => i);
      for (let i = 0; i < psi; i++) {
        const j = i + rng.int(x.T - i);
        [all[i], all[j]] = [all[j], all[i]];
      }
      this.bags.set(all.slice(0, psi), tr * psi);
      roots.push(build(all.slice(0, psi), 0));
    }
    this.feat = Int32Array.from(feat);
    this.split = Float32Array.from(split);
    this.left = Int32Array.from(left);
    this.right = Int32Array.from(right);
    this.size = Int32Array.from(size);
    this.roots = Int32Array.from(roots);
  }

  /** Path length of point t of features f (T, D) in tree r. */
  private pathLength(f: Float32Array, t: number, D: number, r: number): number {
    let node = this.roots[r];
    let depth = 0;
    while (this.feat[node] >= 0) {
      node = f[t * D + this.feat[node]] < this.split[node] ? this.left[node] : this.right[node];
      depth++;
    }
    return depth + cFactor(this.size[node]);
  }

  protected scoreCore(x: PreparedInput): Float32Array {
    const { f, D } = this.features(x);
    const out = new Float32Array(x.T);
    const cn = cFactor(this.psi);
    for (let t = 0; t < x.T; t++) {
      let h = 0;
      for (let r = 0; r < this.roots.length; r++) h += this.pathLength(f, t, D, r);
      out[t] = Math.pow(2, -(h / this.roots.length) / cn);
    }
    return out;
  }

  protected override scoreTrainingCore(x: PreparedInput): Float32Array {
    const { f, D } = this.features(x);
    const trees = this.roots.length;
    const psi = this.bags.length / trees;
    // tree by tree, so memory stays O(T + trees · ψ): path sums over all trees and over the trees that left t out
    const hAll = new Float64Array(x.T);
    const hOut = new Float64Array(x.T);
    const nOut = new Int32Array(x.T);
    const inBag = new Uint8Array(x.T);
    for (let r = 0; r < trees; r++) {
      const bag = this.bags.subarray(r * psi, (r + 1) * psi);
      for (const t of bag) inBag[t] = 1;
      for (let t = 0; t < x.T; t++) {
        const p = this.pathLength(f, t, D, r);
        hAll[t] += p;
        if (!inBag[t]) {
          hOut[t] += p;
          nOut[t]++;
        }
      }
      for (const t of bag) inBag[t] = 0;
    }
    const cn = cFactor(this.psi);
    return Float32Array.from(hAll, (h, t) => Math.pow(2, -(nOut[t] ? hOut[t] / nOut[t] : h / trees) / cn));
  }

  protected getState(): DetectorState {
    const n = this.feat.length;
    return {
      json: { psi: this.psi },
      arrays: {
        center: { data: this.scale_!.center, shape: [this.scale_!.center.length] },
        scale: { data: this.scale_!.scale, shape: [this.scale_!.scale.length] },
        feat: { data: this.feat, shape: [n] }, split: { data: this.split, shape: [n] },
        left: { data: this.left, shape: [n] }, right: { data: this.right, shape: [n] },
        size: { data: this.size, shape: [n] }, roots: { data: this.roots, shape: [this.roots.length] },
      },
    };
  }
  protected setState(s: DetectorState): void {
    const a = s.arrays;
    this.psi = s.json.psi as number;
    this.scale_ = { center: a.center.data as Float32Array, scale: a.scale.data as Float32Array };
    this.feat = a.feat.data as Int32Array;
    this.split = a.split.data as Float32Array;
    this.left = a.left.data as Int32Array;
    this.right = a.right.data as Int32Array;
    this.size = a.size.data as Int32Array;
    this.roots = a.roots.data as Int32Array;
    this.bags = new Int32Array(0);
  }
}

registerDetector({ kind: 'iforest', ctor: IForestDetector, family: 'classical', summary: 'Isolation Forest (ICDM 2008) on windows' });
