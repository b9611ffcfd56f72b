// The CCL network: one embedding, two views of every timestamp, one reconstruction head.
//   global g_t: the window is cut into patches (several sizes), each patch token attends to all patches, and its
//               representation is broadcast back to its timestamps; scales are averaged (long-range context).
//   local  l_t: attention within a band |i − j| ≤ w that EXCLUDES i = j, so l_t is inferred from its neighbours
//               (a view that cannot just copy x_t).
//   x̂_t = head(g_t + l_t): the normalised estimate the boundary loss compares with x_t.
import { Tensor, Rng, add, mean, reshape, expand, mul } from '../../tensor/index.js';
import { Module, Linear, TransformerEncoderLayer, sinusoidalPositions } from '../../nn/index.js';

export interface CCLNetConfig {
  C: number;
  L: number;
  d: number;
  heads: number;
  layers: number;
  ffn: number;
  dropout: number;
  patchSizes: number[];
  band: number;
  views: 'both' | 'global' | 'local';
}

/** (L, L) additive mask: 0 where 0 < |i − j| ≤ w, −∞ elsewhere (the diagonal is masked). */
export function neighbourMask(L: number, w: number): Tensor {
  const m = new Float32Array(L * L);
  for (let i = 0; i < L; i++) for (let j = 0; j < L; j++) m[i * L + j] = i !== j && Math.abs(i - j) <= w ? 0 : -Infinity;
  return new Tensor(m, [L, L]);
}

export class CCLNet extends Module {
  embed: Linear;
  globalLayers: TransformerEncoderLayer[];
  localLayers: TransformerEncoderLayer[];
  head: Linear;
  private readonly pos: Tensor; // (L, d)
  private readonly mask: Tensor; // (L, L)

  constructor(readonly cfg: CCLNetConfig, rng: Rng) {
    super();
    for (const p of cfg.patchSizes) {
      if (cfg.L % p !== 0) throw new RangeError(`ccl: window ${cfg.L} is not a multiple of patch size ${p}`);
    }
    const layer = (): TransformerEncoderLayer => new TransformerEncoderLayer(cfg.d, cfg.heads, rng, { ffn: cfg.ffn, dropout: cfg.dropout, activation: 'gelu' });
    this.embed = new Linear(cfg.C, cfg.d, rng);
    this.globalLayers = Array.from({ length: cfg.layers }, layer);
    this.localLayers = Array.from({ length: cfg.layers }, layer);
    this.head = new Linear(cfg.d, cfg.C, rng);
    this.pos = sinusoidalPositions(cfg.L, cfg.d);
    this.mask = neighbourMask(cfg.L, cfg.band);
  }

  private embedWindow(x: Tensor): Tensor {
    return add(this.embed.forward(x), this.pos); // (B, L, d)
  }

  /** Global view from embedded h (B, L, d). */
  globalView(h: Tensor): Tensor {
    const [B, L, d] = h.shape;
    const scales = this.cfg.patchSizes.map((p) => {
      const N = L / p;
      let z = mean(reshape(h, [B, N, p, d]), 2); // (B, N, d) patch tokens
      for (const layer of this.globalLayers) z = layer.forward(z, undefined, { map: false }).out;
      return reshape(expand(reshape(z, [B, N, 1, d]), [B, N, p, d]), [B, L, d]); // back to timestamps
    });
    return scales.length === 1 ? scales[0] : mul(scales.reduce((a, b) => add(a, b)), 1 / scales.length);
  }

  /** Local view from embedded h (B, L, d). */
  localView(h: Tensor): Tensor {
    let z = h;
    for (const layer of this.localLayers) z = layer.forward(z, this.mask, { map: false }).out;
    return z;
  }

  /** x (B, L, C) → g, l (B, L, d), xhat (B, L, C). Single-view ablations use that view for both. */
  forward(x: Tensor): { g: Tensor; l: Tensor; xhat: Tensor } {
    const h = this.embedWindow(x);
    const g = this.cfg.views === 'local' ? null : this.globalView(h);
    const l = this.cfg.views === 'global' ? null : this.localView(h);
    const gv = g ?? l!;
    const lv = l ?? g!;
    const e = g && l ? add(g, l) : gv;
    return { g: gv, l: lv, xhat: this.head.forward(e) };
  }

  /** Only the local view (for the injected negatives). */
  local(x: Tensor): Tensor {
    const h = this.embedWindow(x);
    return this.cfg.views === 'global' ? this.globalView(h) : this.localView(h);
  }
}
