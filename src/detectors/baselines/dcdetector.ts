// DCdetector (Yang et al., KDD 2023): dual attention contrastive representation, no reconstruction.
// The window is cut into patches of size p (several sizes). Patch-wise branch: patch tokens attend to each other,
// giving a (N, N) map upsampled to (L, L) (row i attends to j with A[i/p, j/p] / p). In-patch branch: positions
// within each patch attend to each other, a (p, p) map tiled to (L, L) (A_n[i%p, j%p] / N). Both branches share
// the attention weights. Loss with stop-gradients: L = L_N − L_P, L_P = KL(P‖sg N) + KL(sg N‖P),
// L_N = KL(N‖sg P) + KL(sg P‖N). Score_t = KL(P_t‖N_t) + KL(N_t‖P_t), averaged over heads and patch sizes.
import { Rng, Tensor, add, mean, mul, sub, reshape, permute, expand, softmax, matmul, transpose } from '../../tensor/index.js';
import { Module, Linear, sinusoidalPositions } from '../../nn/index.js';
import type { ParamSpec } from '../params.js';
import { registerDetector } from '../registry.js';
import { DeepDetector, deepParamSpec, type DeepParams } from '../deep/template.js';
import { symKL } from './assoc.js';

export interface DCParams extends DeepParams {
  d: number;
  heads: number;
  patchSizes: number[];
}
const spec: ParamSpec<DCParams> = {
  ...deepParamSpec,
  d: { default: 32, min: 4, integer: true, doc: 'model width' },
  heads: { default: 4, min: 1, integer: true, doc: 'attention heads' },
  patchSizes: { default: [4, 8], doc: 'patch sizes (each must divide window)' },
};

class DCNet extends Module {
  embedPatch: Linear;
  embedIn: Linear;
  wq: Linear;
  wk: Linear;
  private readonly pos: Tensor;
  constructor(C: number, readonly L: number, readonly p: DCParams, rng: Rng) {
    super();
    for (const ps of p.patchSizes) if (L % ps !== 0) throw new RangeError(`dcdetector: window ${L} is not a multiple of patch size ${ps}`);
    this.embedPatch = new Linear(C, p.d, rng);
    this.embedIn = new Linear(C, p.d, rng);
    this.wq = new Linear(p.d, p.d, rng);
    this.wk = new Linear(p.d, p.d, rng);
    this.pos = sinusoidalPositions(L, p.d);
  }
  /** Attention map of tokens z (..., n, d) → (..., h, n, n), shared weights. */
  private attn(z: Tensor): Tensor {
    const lead = z.shape.slice(0, -2);
    const [n, d] = z.shape.slice(-2);
    const h = this.p.heads;
    const split = (t: Tensor): Tensor => {
      const r = reshape(t, [...lead, n, h, d / h]);
      const perm = lead.map((_, i) => i);
      return permute(r, [...perm, lead.length + 1, lead.length, lead.length + 2]); // (..., h, n, dh)
    };
    const q = split(this.wq.forward(z));
    const k = split(this.wk.forward(z));
    return softmax(mul(matmul(q, transpose(k)), 1 / Math.sqrt(d / h)), -1);
  }
  /** x (B, L, C) → list over patch sizes of [P, N] maps (B, h, L, L). */
  forward(x: Tensor): [Tensor, Tensor][] {
    const [B, L, C] = x.shape;
    const h = this.p.heads;
    const d = this.p.d;
    return this.p.patchSizes.map((ps) => {
      const N = L / ps;
      // patch-wise: one token per patch (mean of its embedded timestamps)
      const e1 = add(this.embedPatch.forward(x), this.pos); // (B, L, d)
      const tokens = mean(reshape(e1, [B, N, ps, d]), 2); // (B, N, d)
      const aN = this.attn(tokens); // (B, h, N, N)
      const P = mul(reshape(expand(reshape(aN, [B, h, N, 1, N, 1]), [B, h, N, ps, N, ps]), [B, h, L, L]), 1 / ps);
      // in-patch: positions within each patch attend to each other
      const e2 = add(this.embedIn.forward(x), this.pos);
      const aP = this.attn(reshape(e2, [B, N, ps, d])); // (B, N, h, ps, ps)
      const aPh = permute(aP, [0, 2, 1, 3, 4]); // (B, h, N, ps, ps)
      const NN = mul(reshape(expand(reshape(aPh, [B, h, N, ps, 1, ps]), [B, h, N, ps, N, ps]), [B, h, L, L]), 1 / N);
      void C;
      return [P, NN];
    });
  }
}

export class DCDetector extends DeepDetector<DCParams> {
  readonly kind = 'dcdetector';
  readonly version = 1;
  constructor(params: Partial<DCParams> = {}) {
    super(spec, 'dcdetector', params);
  }
  protected buildModel(C: number, rng: Rng): Module {
    return new DCNet(C, this.params.window, this.params, rng);
  }
  protected lossOf(batch: Tensor): Tensor {
    const terms = (this.model as DCNet).forward(batch).map(([P, N]) => {
      const lP = mean(symKL(P, N.detach()));
      const lN = mean(symKL(N, P.detach()));
      return sub(lN, lP);
    });
    return terms.length === 1 ? terms[0] : mul(terms.reduce((a, b) => add(a, b)), 1 / terms.length);
  }
  protected scoreBatch(batch: Tensor): Float32Array {
    const parts = (this.model as DCNet).forward(batch).map(([P, N]) => mean(symKL(P, N), 1)); // (B, L)
    return (parts.length === 1 ? parts[0] : mul(parts.reduce((a, b) => add(a, b)), 1 / parts.length)).values();
  }
}

registerDetector({ kind: 'dcdetector', ctor: DCDetector, family: 'deep', summary: 'DCdetector dual attention contrastive (KDD 2023)' });
