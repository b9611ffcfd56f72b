// Adam / AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019) through the backend's fused step, plus global-norm
// gradient clipping. Moments live in Float32Arrays next to each parameter.
import { backend, type Tensor } from '../tensor/index.js';

export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (AdamW); 0 = plain Adam. */
  weightDecay?: number;
}

export class Adam {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private step_ = 0;
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];

  constructor(readonly params: Tensor[], opts: AdamOptions = {}) {
    this.lr = opts.lr ?? 1e-3;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    for (const p of params) {
      if (!p.isContiguous || p.offset !== 0) throw new Error(`Adam: parameter ${p.name ?? p.toString()} must own contiguous storage`);
    }
    this.m = params.map((p) => new Float32Array(p.size));
    this.v = params.map((p) => new Float32Array(p.size));
  }
  get stepCount(): number {
    return this.step_;
  }
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }
  /** One update from the current .grad of every parameter (parameters without a gradient are skipped). */
  step(): void {
    this.step_++;
    const k = backend();
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      k.adamStep(p.data, p.grad.values(), this.m[i], this.v[i], this.lr, this.beta1, this.beta2, this.eps, this.weightDecay, this.step_);
    });
  }
}

/** Scales all gradients so their global L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  let sq = 0;
  for (const p of params) {
    if (!p.grad) continue;
    const g = p.grad.values();
    for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
  }
  const norm = Math.sqrt(sq);
  if (norm > maxNorm && norm > 0) {
    const s = maxNorm / norm;
    for (const p of params) {
      if (!p.grad) continue;
      const g = p.grad.data;
      for (let i = 0; i < g.length; i++) g[i] *= s;
    }
  }
  return norm;
}
