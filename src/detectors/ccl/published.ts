// The published CCL formulation (Zhuang et al., PVLDB 18(4) 2025, as read from the authors' released code; see
// docs/ccl.md). One encoder with shared weights sees every window twice:
//   global g_t: the whole window (B, N, C) → LN(linear C → d) → gated rotary encoder layers;
//   local  l_t: the centred sub-window of 2·hop + 1 points around t (replicate padding) through the same embedding and
//               layers, mean over its positions;
//   e_t = g_t + l_t.
// Cross discrepancy d_t: z-score within the window of s_t = Σ_j ‖e_t − e_j‖. Boundary b_t = Σ_c softmax over time of
// x_{·,c} (no gradient). Loss per timestamp: d_t when d_t > b_t, else b_t − d_t. Score: softmax over the window of d_t.
import { Tensor, Rng, add, mul, sub, div, abs, sqrt, sum, mean, matmul, transpose, maximum, reshape, where, compare, softmax } from '../../tensor/index.js';
import { Module, Linear, LayerNorm } from '../../nn/index.js';
import { GatedEncoderLayer } from '../../nn/gated.js';

export interface PublishedNetConfig {
  C: number;
  d: number;
  heads: number;
  layers: number;
  ffn: number;
  dropout: number;
  hop: number;
  views: 'both' | 'global' | 'local';
}

/** x (B, N, C) row-major → (B·N, 2·hop + 1, C): the centred sub-window of every timestamp, edges replicated. */
export function centredSubWindows(x: Float32Array, B: number, N: number, C: number, hop: number): Float32Array {
  const K = 2 * hop + 1;
  const out = new Float32Array(B * N * K * C);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < N; t++) {
      for (let k = 0; k < K; k++) {
        const src = Math.min(N - 1, Math.max(0, t - hop + k));
        out.set(x.subarray((b * N + src) * C, (b * N + src + 1) * C), ((b * N + t) * K + k) * C);
      }
    }
  }
  return out;
}

export class PublishedCCLNet extends Module {
  embed: Linear;
  embedNorm: LayerNorm;
  layers: GatedEncoderLayer[];

  constructor(readonly cfg: PublishedNetConfig, rng: Rng) {
    super();
    this.embed = new Linear(cfg.C, cfg.d, rng);
    this.embedNorm = new LayerNorm(cfg.d);
    this.layers = Array.from({ length: cfg.layers }, () => new GatedEncoderLayer(cfg.d, cfg.heads, rng, { ffn: cfg.ffn, dropout: cfg.dropout }));
  }

  /** (B, T, C) → (B, T, d). */
  encode(x: Tensor): Tensor {
    let h = this.embedNorm.forward(this.embed.forward(x));
    for (const layer of this.layers) h = layer.forward(h);
    return h;
  }

  /** x (B, N, C) → e (B, N, d). */
  forward(x: Tensor): Tensor {
    const [B, N, C] = x.shape;
    const { hop, views } = this.cfg;
    const g = views === 'local' ? null : this.encode(x);
    let l: Tensor | null = null;
    if (views !== 'global') {
      const sub = new Tensor(centredSubWindows(x.values(), B, N, C, hop), [B * N, 2 * hop + 1, C]);
      l = reshape(mean(this.encode(sub), 1), [B, N, this.cfg.d]); // (B, N, d)
    }
    return g && l ? add(g, l) : (g ?? l)!;
  }
}

/**
 * Cross discrepancy: e (B, N, d) → d (B, N) = |s_t − mean s| / std s with s_t = Σ_j ‖e_t − e_j‖. (The released code
 * also divides s by its minimum over the window first; a z-score is invariant to that positive scale, so it is left out.)
 */
export function crossDiscrepancy(e: Tensor): Tensor {
  const sq = sum(mul(e, e), -1, true); // (B, N, 1)
  const d2 = sub(add(sq, transpose(sq)), mul(matmul(e, transpose(e)), 2)); // (B, N, N) squared distances
  const s = sum(sqrt(maximum(d2, 1e-10)), -1); // (B, N)
  const c = sub(s, mean(s, -1, true));
  const std = sqrt(add(mean(mul(c, c), -1, true), 1e-8));
  return abs(div(c, std));
}

/** Anomaly boundary b (B, N) = Σ_c softmax over time of x_{·,c}; x (B, N, C) row-major, no gradient. */
export function softmaxBoundary(x: Float32Array, B: number, N: number, C: number): Tensor {
  const b = new Float32Array(B * N);
  for (let w = 0; w < B; w++) {
    for (let c = 0; c < C; c++) {
      let mx = -Infinity;
      for (let t = 0; t < N; t++) mx = Math.max(mx, x[(w * N + t) * C + c]);
      let z = 0;
      for (let t = 0; t < N; t++) z += Math.exp(x[(w * N + t) * C + c] - mx);
      for (let t = 0; t < N; t++) b[w * N + t] += Math.exp(x[(w * N + t) * C + c] - mx) / z;
    }
  }
  return new Tensor(b, [B, N]);
}

/** Discrepancy-boundary loss: per timestamp d_t if d_t > b_t else b_t − d_t; summed over t, averaged over windows. */
export function discrepancyBoundaryLoss(d: Tensor, b: Tensor): Tensor {
  const perT = where(compare('gt', d, b), d, sub(b, d)); // (B, N)
  return mean(sum(perT, -1));
}

/** Score: softmax over the window of d (B, N). */
export function discrepancyScore(d: Tensor): Tensor {
  return softmax(d, -1);
}
