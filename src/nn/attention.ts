// Multi-head scaled dot-product attention (Vaswani et al. 2017) with optional additive masks:
// full, banded (|i − j| ≤ w: the local view), and a Transformer encoder layer (post-norm, as the benchmark model).
import { Tensor, Rng, concat, linear, reshape, permute, slice, gelu, fusedAttention, composedAttention, attentionQKV, discard } from '../tensor/index.js';
import { Module } from './module.js';
import { Linear, LayerNorm, Dropout } from './layers.js';

/** (T, T) additive mask: 0 where |i − j| ≤ width, −∞ elsewhere. */
export function bandMask(T: number, width: number): Tensor {
  const m = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) m[i * T + j] = Math.abs(i - j) <= width ? 0 : -Infinity;
  return new Tensor(m, [T, T]);
}

/** q, k, v (..., T, dh) → out (..., T, dh) and the attention map (..., T, T). */
export function attention(q: Tensor, k: Tensor, v: Tensor, mask?: Tensor): { out: Tensor; attn: Tensor } {
  const dh = q.shape[q.ndim - 1];
  // the common case — (B, h, T, dh) heads, a (T, S) mask or none — is one fused op (one kernel on the native backend)
  if (q.ndim === 4 && k.ndim === 4 && v.ndim === 4 && (!mask || mask.ndim === 2)) return fusedAttention(q, k, v, 1 / Math.sqrt(dh), mask);
  return composedAttention(q, k, v, 1 / Math.sqrt(dh), mask);
}

export interface MHAOptions {
  bias?: boolean;
}

export class MultiHeadAttention extends Module {
  wq: Linear;
  wk: Linear;
  wv: Linear;
  wo: Linear;
  constructor(readonly dModel: number, readonly heads: number, rng: Rng, opts: MHAOptions = {}) {
    super();
    if (dModel % heads !== 0) throw new RangeError(`MultiHeadAttention: d_model ${dModel} is not divisible by ${heads} heads`);
    const bias = opts.bias ?? true;
    this.wq = new Linear(dModel, dModel, rng, { bias });
    this.wk = new Linear(dModel, dModel, rng, { bias });
    this.wv = new Linear(dModel, dModel, rng, { bias });
    this.wo = new Linear(dModel, dModel, rng, { bias });
  }
  /** q, k, v by one matmul with the three weights side by side (B, T, 3d), and attention over the packed heads. */
  private packed(x: Tensor, mask: Tensor | undefined, map: boolean): { out: Tensor; attn: Tensor | null } {
    const ps = [this.wq, this.wk, this.wv];
    const w = concat(ps.map((l) => l.weight), 1);
    const b = ps.every((l) => l.bias) ? concat(ps.map((l) => l.bias!), 0) : null; // (the layer makes all four with or without)
    const qkv = linear(x, w, b); // (B, T, 3d), the biases added in the GEMM
    const r = attentionQKV(qkv, this.heads, 1 / Math.sqrt(this.dModel / this.heads), mask, map);
    discard(w, qkv, ...(b ? [b] : [])); // (only under noGrad: intermediates go straight back to the arena while they are in cache)
    return r;
  }
  /** Only the last m positions ask (queries), all T answer (keys, values): x (B, T, d) → out (B, h, m, dh), attn
   *  (B, h, m, T); a mask's last m rows. */
  private lastQueries(x: Tensor, m: number, mask: Tensor | undefined): { out: Tensor; attn: Tensor } {
    const T = x.shape[1];
    const q = this.split(this.wq.forward(slice(x, 1, T - m, T)));
    const r = attention(q, this.split(this.wk.forward(x)), this.split(this.wv.forward(x)), mask && slice(mask, mask.ndim - 2, T - m, T));
    discard(q);
    return r;
  }
  private split(x: Tensor): Tensor {
    const [B, T] = x.shape;
    return permute(reshape(x, [B, T, this.heads, this.dModel / this.heads]), [0, 2, 1, 3]); // (B, h, T, dh)
  }
  /**
   * x (B, T, d) → (B, T, d); attn (B, h, T, T). `{ map: false }`: the caller does not want the attention map, so in
   * inference (noGrad) it is not computed — attn is then null (with a gradient recorded it is always there).
   */
  forward(x: Tensor, mask?: Tensor): { out: Tensor; attn: Tensor };
  forward(x: Tensor, mask: Tensor | undefined, opts: AttentionOptions): { out: Tensor; attn: Tensor | null };
  forward(x: Tensor, mask?: Tensor, opts: AttentionOptions = {}): { out: Tensor; attn: Tensor | null } {
    const [B, T] = x.shape;
    const m = queryCount(x, opts);
    const { out, attn } =
      m < T ? this.lastQueries(x, m, mask)
      : x.ndim === 3 && (!mask || mask.ndim === 2) ? this.packed(x, mask, opts.map ?? true)
      : attention(this.split(this.wq.forward(x)), this.split(this.wk.forward(x)), this.split(this.wv.forward(x)), mask);
    const merged = reshape(permute(out, [0, 2, 1, 3]), [B, m, this.dModel]); // (B, m, d)
    const y = this.wo.forward(merged);
    discard(out);
    return { out: y, attn };
  }
}

export interface AttentionOptions {
  /** false: the caller does not want the attention map (see MultiHeadAttention.forward). */
  map?: boolean;
  /** Compute only the last `queries` positions' outputs (they still attend to every position): what a caller that
   *  reads only a sequence's end needs, at a fraction of the cost. Output (B, queries, d). Default: all T. */
  queries?: number;
}

function queryCount(x: Tensor, opts: AttentionOptions): number {
  const T = x.shape[x.ndim - 2];
  const m = opts.queries ?? T;
  if (!(Number.isInteger(m) && m >= 1 && m <= T)) throw new RangeError(`attention: queries = ${m} outside 1..${T}`);
  if (m < T && x.ndim !== 3) throw new RangeError(`attention: queries < T needs x (B, T, d), got ${x.ndim} axes`);
  return m;
}

export interface EncoderLayerOptions {
  ffn?: number;
  dropout?: number;
  activation?: 'relu' | 'gelu';
  bias?: boolean;
  /** Layer norms with learnable scale and shift (the benchmark model has none). */
  affineNorm?: boolean;
}

export class TransformerEncoderLayer extends Module {
  attn: MultiHeadAttention;
  ff1: Linear;
  ff2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  drop: Dropout;
  constructor(readonly dModel: number, heads: number, rng: Rng, readonly opts: EncoderLayerOptions = {}) {
    super();
    const ffn = opts.ffn ?? 4 * dModel;
    const bias = opts.bias ?? true;
    this.attn = new MultiHeadAttention(dModel, heads, rng, { bias });
    this.ff1 = new Linear(dModel, ffn, rng, { bias });
    this.ff2 = new Linear(ffn, dModel, rng, { bias });
    this.norm1 = new LayerNorm(dModel, { affine: opts.affineNorm ?? true });
    this.norm2 = new LayerNorm(dModel, { affine: opts.affineNorm ?? true });
    this.drop = new Dropout(opts.dropout ?? 0, rng);
  }
  /** x (B, T, d) → (B, T, d), post-norm: x = LN(x + Attn(x)); x = LN(x + FFN(x)). `{ map: false }` as in
   *  MultiHeadAttention; `{ queries: m }`: only the last m positions → (B, m, d) (the feed-forward runs on m too). */
  forward(x: Tensor, mask?: Tensor): { out: Tensor; attn: Tensor };
  forward(x: Tensor, mask: Tensor | undefined, opts: AttentionOptions): { out: Tensor; attn: Tensor | null };
  forward(x: Tensor, mask?: Tensor, opts: AttentionOptions = {}): { out: Tensor; attn: Tensor | null } {
    // under noGrad each intermediate is discarded once used (see discard); with gradients recorded that is a no-op
    const a = this.attn.forward(x, mask, opts);
    const d1 = this.drop.forward(a.out);
    const T = x.shape[x.ndim - 2];
    const m = queryCount(x, opts);
    const h = this.norm1.forward(m < T ? slice(x, 1, T - m, T) : x, d1); // LN(x + d1) at the asked positions, the sum never stored
    discard(a.out, d1);
    let hidden: Tensor;
    if (this.opts.activation === 'gelu') {
      const u = this.ff1.forward(h);
      hidden = gelu(u);
      discard(u);
    } else hidden = this.ff1.forwardRelu(h);
    const f = this.ff2.forward(hidden);
    discard(hidden);
    const d2 = this.drop.forward(f);
    const out = this.norm2.forward(h, d2);
    discard(f, d2, h);
    return { out, attn: a.attn };
  }
}
