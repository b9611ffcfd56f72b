// The CCL network: one embedding, two views of every timestamp, one reconstruction head.
//   global g_t: the window is cut into patches (several sizes), each patch token attends to all patches, and its
//               representation is broadcast back to its timestamps; scales are averaged (long-range context).
//   local  l_t: attention within a band |i − j| ≤ w that EXCLUDES i = j, so l_t is inferred from its neighbours
//               (a view that cannot just copy x_t).
//   x̂_t = head(g_t + l_t): the normalised estimate the boundary loss compares with x_t.
import { Tensor, Rng, add, mean, reshape, expand, mul, slice } from '../../tensor/index.js';
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
  /** per patch size p: (L/p, d) the mean of pos over each patch (forwardTail's patch tokens) */
  private readonly posPatch = new Map<number, Tensor>();
  /** (R, R) band masks of the cropped windows forwardTail runs the local view on */
  private readonly tailMasks = new Map<number, Tensor>();

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
    const pos = this.pos.values();
    for (const p of cfg.patchSizes) {
      const N = cfg.L / p;
      const m = new Float32Array(N * cfg.d);
      for (let t = 0; t < cfg.L; t++) for (let j = 0; j < cfg.d; j++) m[Math.floor(t / p) * cfg.d + j] += pos[t * cfg.d + j] / p;
      this.posPatch.set(p, new Tensor(m, [N, cfg.d]));
    }
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

  /**
   * forward(x) at the last k positions only, computing just what they depend on — the online loop scores one new
   * point per machine and window, so the other L − k positions were work thrown away:
   *   global: patch tokens from patch means of x — embed is affine, so mean_p(embed(x) + pos) = embed(mean_p x) +
   *           mean_p pos — then the encoder on the N tokens as in forward, its last layer asked only for the tokens
   *           covering the tail (their queries; keys and values from all N);
   *   local:  the band mask confines a layer's reach to `band` positions, so the last k outputs of `layers` layers
   *           need only the last k + layers·band inputs: the local view runs on that crop with the cropped mask;
   *   head:   on the k positions.
   * Equal to forward(x)'s last k positions up to float rounding (test/unit/detectors/ccl-tail.test.ts).
   * x (B, L, C) → g, l (B, k, d), xhat (B, k, C).
   */
  forwardTail(x: Tensor, k: number): { g: Tensor; l: Tensor; xhat: Tensor } {
    const [B, L, C] = x.shape;
    const { d, band, layers } = this.cfg;
    if (!(k >= 1 && k <= L)) throw new RangeError(`forwardTail: k = ${k} outside 1..${L}`);
    let g: Tensor | null = null;
    if (this.cfg.views !== 'local') {
      const scales = this.cfg.patchSizes.map((p) => {
        const N = L / p;
        let z = add(this.embed.forward(mean(reshape(x, [B, N, p, C]), 2)), this.posPatch.get(p)!); // (B, N, d)
        const first = Math.floor((L - k) / p); // the first token covering the tail
        const m = N - first;
        // the last layer answers only the m tokens covering the tail (they attend to all N)
        this.globalLayers.forEach((layer, i) => (z = layer.forward(z, undefined, { map: false, queries: i === this.globalLayers.length - 1 ? m : N }).out));
        const back = reshape(expand(reshape(z, [B, m, 1, d]), [B, m, p, d]), [B, m * p, d]); // z (B, m, d)
        return slice(back, 1, m * p - k, m * p); // (B, k, d)
      });
      g = scales.length === 1 ? scales[0] : mul(scales.reduce((a, b) => add(a, b)), 1 / scales.length);
    }
    let l: Tensor | null = null;
    if (this.cfg.views !== 'global') {
      const R = Math.min(L, k + layers * band);
      let mask = this.tailMasks.get(R);
      if (!mask) this.tailMasks.set(R, (mask = neighbourMask(R, band)));
      let z = add(this.embed.forward(slice(x, 1, L - R, L)), slice(this.pos, 0, L - R, L)); // (B, R, d)
      this.localLayers.forEach((layer, i) => (z = layer.forward(z, mask, { map: false, queries: i === this.localLayers.length - 1 ? k : R }).out));
      l = z; // (B, k, d)
    }
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
