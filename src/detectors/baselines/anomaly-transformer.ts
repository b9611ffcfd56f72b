// Anomaly Transformer (Xu et al., ICLR 2022): each layer's anomaly attention yields a series association S
// (softmax attention) and a prior association P (a Gaussian kernel over |i − j| with a learned per-timestamp σ).
// Association discrepancy AssDis_t = mean over layers and heads of KL(P_t ‖ S_t) + KL(S_t ‖ P_t).
// Minimax training as one loss: reconstruction + λ (AssDis(P, sg S) − AssDis(sg P, S)) — the prior is pulled
// toward the series association, which in turn is pushed away from the prior.
// Score_t = softmax_t(−AssDis) · L · ‖x̂_t − x_t‖² (normal points associate widely; anomalies only locally).
import { Rng, Tensor, add, mean, mul, sub, sum, div, reshape, permute, softmax, exp, sigmoid, neg, matmul, transpose } from '../../tensor/index.js';
import { Module, Linear, LayerNorm, sinusoidalPositions } from '../../nn/index.js';
import type { ParamSpec } from '../params.js';
import { registerDetector } from '../registry.js';
import { DeepDetector, deepParamSpec, type DeepParams } from '../deep/template.js';
import { symKL } from './assoc.js';

export interface ATParams extends DeepParams {
  d: number;
  heads: number;
  layers: number;
  lambda: number;
}
const spec: ParamSpec<ATParams> = {
  ...deepParamSpec,
  d: { default: 32, min: 4, integer: true, doc: 'model width' },
  heads: { default: 4, min: 1, integer: true, doc: 'attention heads' },
  layers: { default: 2, min: 1, integer: true, doc: 'anomaly-attention layers' },
  lambda: { default: 3, min: 0, doc: 'weight of the association discrepancy (paper: 3)' },
};

class AnomalyAttentionLayer extends Module {
  wq: Linear;
  wk: Linear;
  wv: Linear;
  wo: Linear;
  wsigma: Linear;
  ff1: Linear;
  ff2: Linear;
  n1: LayerNorm;
  n2: LayerNorm;
  constructor(readonly d: number, readonly h: number, private readonly dist2: Tensor, rng: Rng) {
    super();
    this.wq = new Linear(d, d, rng);
    this.wk = new Linear(d, d, rng);
    this.wv = new Linear(d, d, rng);
    this.wo = new Linear(d, d, rng);
    this.wsigma = new Linear(d, h, rng);
    this.ff1 = new Linear(d, 2 * d, rng);
    this.ff2 = new Linear(2 * d, d, rng);
    this.n1 = new LayerNorm(d);
    this.n2 = new LayerNorm(d);
  }
  /** x (B, L, d) → out (B, L, d), series S and prior P (B, h, L, L). */
  forward(x: Tensor): { out: Tensor; S: Tensor; P: Tensor } {
    const [B, L, d] = x.shape;
    const dh = d / this.h;
    const split = (t: Tensor): Tensor => permute(reshape(t, [B, L, this.h, dh]), [0, 2, 1, 3]); // (B, h, L, dh)
    const q = split(this.wq.forward(x));
    const k = split(this.wk.forward(x));
    const v = split(this.wv.forward(x));
    const S = softmax(mul(matmul(q, transpose(k)), 1 / Math.sqrt(dh)), -1); // (B, h, L, L)
    const sigma = add(mul(sigmoid(permute(this.wsigma.forward(x), [0, 2, 1])), 5), 0.5); // (B, h, L) in (0.5, 5.5)
    const s2 = reshape(mul(mul(sigma, sigma), 2), [B, this.h, L, 1]);
    const kernel = exp(neg(div(this.dist2, s2))); // (B, h, L, L)
    const P = div(kernel, sum(kernel, -1, true));
    const o = reshape(permute(matmul(S, v), [0, 2, 1, 3]), [B, L, d]);
    const hdn = this.n1.forward(add(x, this.wo.forward(o)));
    const out = this.n2.forward(add(hdn, this.ff2.forward(this.ff1.forward(hdn).relu())));
    return { out, S, P };
  }
}

class ATNet extends Module {
  embed: Linear;
  layers: AnomalyAttentionLayer[];
  head: Linear;
  private readonly pos: Tensor;
  constructor(C: number, L: number, p: ATParams, rng: Rng) {
    super();
    const d2 = new Float32Array(L * L);
    for (let i = 0; i < L; i++) for (let j = 0; j < L; j++) d2[i * L + j] = (i - j) ** 2;
    const dist2 = new Tensor(d2, [L, L]);
    this.embed = new Linear(C, p.d, rng);
    this.layers = Array.from({ length: p.layers }, () => new AnomalyAttentionLayer(p.d, p.heads, dist2, rng));
    this.head = new Linear(p.d, C, rng);
    this.pos = sinusoidalPositions(L, p.d);
  }
  forward(x: Tensor): { xhat: Tensor; maps: { S: Tensor; P: Tensor }[] } {
    let h = add(this.embed.forward(x), this.pos);
    const maps: { S: Tensor; P: Tensor }[] = [];
    for (const l of this.layers) {
      const r = l.forward(h);
      h = r.out;
      maps.push({ S: r.S, P: r.P });
    }
    return { xhat: this.head.forward(h), maps };
  }
}

/** (B, L) association discrepancy averaged over layers and heads. */
function assDis(maps: { S: Tensor; P: Tensor }[], detach: 'S' | 'P' | 'none'): Tensor {
  const per = maps.map(({ S, P }) => mean(symKL(detach === 'P' ? P.detach() : P, detach === 'S' ? S.detach() : S), 1)); // (B, L)
  return per.length === 1 ? per[0] : mul(per.reduce((a, b) => add(a, b)), 1 / per.length);
}

function sqErr(xhat: Tensor, x: Tensor): Tensor {
  const dd = sub(xhat, x);
  return div(sum(mul(dd, dd), -1), x.shape[2]); // (B, L)
}

export class AnomalyTransformerDetector extends DeepDetector<ATParams> {
  readonly kind = 'anomaly-transformer';
  readonly version = 1;
  constructor(params: Partial<ATParams> = {}) {
    super(spec, 'anomaly-transformer', params);
  }
  protected buildModel(C: number, rng: Rng): Module {
    return new ATNet(C, this.params.window, this.params, rng);
  }
  protected lossOf(batch: Tensor): Tensor {
    const { xhat, maps } = (this.model as ATNet).forward(batch);
    const rec = mean(sqErr(xhat, batch));
    const minimax = sub(mean(assDis(maps, 'S')), mean(assDis(maps, 'P')));
    return add(rec, mul(minimax, this.params.lambda));
  }
  protected scoreBatch(batch: Tensor): Float32Array {
    const { xhat, maps } = (this.model as ATNet).forward(batch);
    const L = batch.shape[1];
    return mul(mul(softmax(neg(assDis(maps, 'none')), -1), L), sqErr(xhat, batch)).values();
  }
}

registerDetector({ kind: 'anomaly-transformer', ctor: AnomalyTransformerDetector, family: 'deep', summary: 'Anomaly Transformer, association discrepancy (ICLR 2022)' });
