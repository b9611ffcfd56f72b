// The encoder layer of the published CCL model: bias-free Q/K/V with rotary position embedding (Su et al. 2021) on
// q and k, the attention output gated by SiLU(Linear(x)), a GEGLU feed-forward (Shazeer 2020), post-norm.
import { Tensor, Rng, add, mul, neg, concat, slice, sigmoid, gelu, reshape, permute } from '../tensor/index.js';
import { Module } from './module.js';
import { Linear, LayerNorm, Dropout } from './layers.js';
import { attention } from './attention.js';

/** x · sigmoid(x). */
export function silu(x: Tensor): Tensor {
  return mul(x, sigmoid(x));
}

/** cos and sin tables (T, dh) of the rotary embedding, frequency 10000^(−2i/dh) for pair i (half-split layout). */
export function rotaryTables(T: number, dh: number): { cos: Tensor; sin: Tensor } {
  if (dh % 2 !== 0) throw new RangeError(`rotary embedding: head width ${dh} must be even`);
  const half = dh / 2;
  const c = new Float32Array(T * dh);
  const s = new Float32Array(T * dh);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      const a = t * Math.pow(10000, -(2 * i) / dh);
      c[t * dh + i] = c[t * dh + i + half] = Math.cos(a);
      s[t * dh + i] = s[t * dh + i + half] = Math.sin(a);
    }
  }
  return { cos: new Tensor(c, [T, dh]), sin: new Tensor(s, [T, dh]) };
}

/** Rotates pairs (x_i, x_{i+dh/2}) of x (..., T, dh) by angle t·θ_i: x·cos + rotateHalf(x)·sin. */
export function applyRotary(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  const dh = x.shape[x.ndim - 1];
  const ax = x.ndim - 1;
  const rotated = concat([neg(slice(x, ax, dh / 2, dh)), slice(x, ax, 0, dh / 2)], ax); // (..., T, dh)
  return add(mul(x, cos), mul(rotated, sin));
}

export interface GatedLayerOptions {
  ffn?: number;
  dropout?: number;
}

/** x (B, T, d) → (B, T, d): x = LN(x + gate ⊙ Attn_rope(x)); x = LN(x + GEGLU(x)). */
export class GatedEncoderLayer extends Module {
  wq: Linear;
  wk: Linear;
  wv: Linear;
  wo: Linear;
  wg: Linear;
  ffIn: Linear;
  ffOut: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  drop: Dropout;
  private readonly ffn: number;
  private tables: { T: number; cos: Tensor; sin: Tensor } | null = null;

  constructor(readonly dModel: number, readonly heads: number, rng: Rng, opts: GatedLayerOptions = {}) {
    super();
    if (dModel % heads !== 0) throw new RangeError(`GatedEncoderLayer: d_model ${dModel} is not divisible by ${heads} heads`);
    this.ffn = opts.ffn ?? 4 * dModel;
    this.wq = new Linear(dModel, dModel, rng, { bias: false });
    this.wk = new Linear(dModel, dModel, rng, { bias: false });
    this.wv = new Linear(dModel, dModel, rng, { bias: false });
    this.wo = new Linear(dModel, dModel, rng);
    this.wg = new Linear(dModel, dModel, rng);
    this.ffIn = new Linear(dModel, 2 * this.ffn, rng);
    this.ffOut = new Linear(this.ffn, dModel, rng);
    this.norm1 = new LayerNorm(dModel);
    this.norm2 = new LayerNorm(dModel);
    this.drop = new Dropout(opts.dropout ?? 0, rng);
  }

  private rope(T: number): { cos: Tensor; sin: Tensor } {
    if (!this.tables || this.tables.T !== T) this.tables = { T, ...rotaryTables(T, this.dModel / this.heads) };
    return this.tables;
  }

  private split(x: Tensor): Tensor {
    const [B, T] = x.shape;
    return permute(reshape(x, [B, T, this.heads, this.dModel / this.heads]), [0, 2, 1, 3]); // (B, h, T, dh)
  }

  forward(x: Tensor): Tensor {
    const [B, T] = x.shape;
    const { cos, sin } = this.rope(T);
    const q = applyRotary(this.split(this.wq.forward(x)), cos, sin); // (B, h, T, dh)
    const k = applyRotary(this.split(this.wk.forward(x)), cos, sin);
    const { out } = attention(q, k, this.split(this.wv.forward(x)));
    const merged = reshape(permute(out, [0, 2, 1, 3]), [B, T, this.dModel]); // (B, T, d)
    const a = mul(this.wo.forward(merged), silu(this.wg.forward(x)));
    const h = this.norm1.forward(add(x, this.drop.forward(a)));
    const u = this.ffIn.forward(h); // (B, T, 2·ffn)
    const f = this.ffOut.forward(mul(slice(u, 2, 0, this.ffn), gelu(slice(u, 2, this.ffn, 2 * this.ffn))));
    return this.norm2.forward(add(h, this.drop.forward(f)));
  }
}
