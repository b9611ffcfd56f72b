// Basic layers: Linear, LayerNorm (optionally affine), Dropout, sinusoidal positional encoding.
import { Tensor, Rng, uniform, ones, zeros, linear, mul, add, layerNorm, addLayerNorm, compare, discard, uniform as u } from '../tensor/index.js';
import { Module } from './module.js';

export class Linear extends Module {
  weight: Tensor; // (in, out): y = x · W + b
  bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, rng: Rng, opts: { bias?: boolean } = {}) {
    super();
    const bound = 1 / Math.sqrt(inFeatures); // PyTorch's default (Kaiming-uniform with a = √5)
    this.weight = uniform([inFeatures, outFeatures], rng, -bound, bound, true);
    this.bias = opts.bias === false ? null : uniform([outFeatures], rng, -bound, bound, true);
  }
  /** x · W + b (..., out): one GEMM with the bias added in its stores. */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
  /** relu(x · W + b): the bias and the clamp both in the GEMM's stores. */
  forwardRelu(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias, true);
  }
}

export class LayerNorm extends Module {
  gamma: Tensor | null;
  beta: Tensor | null;
  constructor(dim: number, readonly opts: { affine?: boolean; eps?: number } = {}) {
    super();
    const affine = opts.affine ?? true;
    this.gamma = affine ? ones([dim], true) : null;
    this.beta = affine ? zeros([dim], true) : null;
  }
  /** LN(x), or LN(x + residual) in one pass when a residual is given (post-norm blocks). */
  forward(x: Tensor, residual?: Tensor): Tensor {
    const y = residual ? addLayerNorm(x, residual, this.opts.eps ?? 1e-5) : layerNorm(x, this.opts.eps ?? 1e-5);
    if (!this.gamma || !this.beta) return y;
    const scaled = mul(y, this.gamma);
    const out = add(scaled, this.beta);
    discard(y, scaled);
    return out;
  }
}

/** Inverted dropout: zeroes a share p of entries in training and scales the rest by 1/(1−p). */
export class Dropout extends Module {
  constructor(readonly p: number, private readonly rng: Rng) {
    super();
    if (!(p >= 0 && p < 1)) throw new RangeError(`Dropout: p must be in [0, 1), got ${p}`);
  }
  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const keep = compare('ge', u([...x.shape], this.rng, 0, 1), this.p); // (…) of 0/1
    return mul(x, mul(keep, 1 / (1 - this.p)));
  }
}

/** (T, d) sinusoidal positional encoding (Vaswani et al. 2017). */
export function sinusoidalPositions(T: number, d: number): Tensor {
  const out = new Float32Array(T * d);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < d; i++) {
      const freq = Math.pow(10000, -(2 * Math.floor(i / 2)) / d);
      out[t * d + i] = i % 2 === 0 ? Math.sin(t * freq) : Math.cos(t * freq);
    }
  }
  return new Tensor(out, [T, d]);
}
