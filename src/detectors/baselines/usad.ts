// USAD (Audibert et al., KDD 2020): an encoder E and two decoders D1, D2 over flattened windows, trained in two
// phases whose weights shift with the epoch n:
//   L1 = 1/n ‖W − D1(E(W))‖² + (1 − 1/n) ‖W − D2(D1(E(W)))‖²   (E, D1: fool D2)
//   L2 = 1/n ‖W − D2(E(W))‖² − (1 − 1/n) ‖W − D2(D1(E(W)))‖²   (D2: tell real from reconstructed)
// Here both phases are one loss: the adversarial term reaches D2 through a detached D1 output and reaches E, D1
// through a frozen copy of D2's weights (the paper's two optimisers, as one). Score per timestamp:
// α ‖w_t − D1(E(W))_t‖² + β ‖w_t − D2(D1(E(W)))_t‖².
import { Rng, Tensor, add, mean, mul, sub, sum, div, reshape, relu, sigmoid, matmul } from '../../tensor/index.js';
import { Module, Linear } from '../../nn/index.js';
import type { ParamSpec } from '../params.js';
import { registerDetector } from '../registry.js';
import { DeepDetector, deepParamSpec, type DeepParams } from '../deep/template.js';

export interface USADParams extends DeepParams {
  hidden: number;
  latent: number;
  alpha: number;
}
const spec: ParamSpec<USADParams> = {
  ...deepParamSpec,
  window: { ...deepParamSpec.window, default: 16 },
  scoreStride: { ...deepParamSpec.scoreStride, default: 4 },
  hidden: { default: 64, min: 2, integer: true, doc: 'hidden width of encoder and decoders' },
  latent: { default: 16, min: 1, integer: true, doc: 'latent width' },
  alpha: { default: 0.5, min: 0, max: 1, doc: 'score weight of the D1 error (β = 1 − α for D2∘D1)' },
};

class MLP extends Module {
  a: Linear;
  b: Linear;
  c: Linear;
  constructor(i: number, h: number, o: number, rng: Rng, readonly out: 'relu' | 'sigmoid' | 'none') {
    super();
    this.a = new Linear(i, h, rng);
    this.b = new Linear(h, h, rng);
    this.c = new Linear(h, o, rng);
  }
  forward(x: Tensor, frozen = false): Tensor {
    const lin = (l: Linear, z: Tensor): Tensor => (frozen ? add(matmul(z, l.weight.detach()), l.bias!.detach()) : l.forward(z));
    const y = lin(this.c, relu(lin(this.b, relu(lin(this.a, x)))));
    return this.out === 'relu' ? relu(y) : this.out === 'sigmoid' ? sigmoid(y) : y;
  }
}

class USADNet extends Module {
  enc: MLP;
  dec1: MLP;
  dec2: MLP;
  constructor(n: number, p: USADParams, rng: Rng) {
    super();
    this.enc = new MLP(n, p.hidden, p.latent, rng, 'relu');
    this.dec1 = new MLP(p.latent, p.hidden, n, rng, 'none');
    this.dec2 = new MLP(p.latent, p.hidden, n, rng, 'none');
  }
}

/** (B, L, C) per-timestamp squared error of flattened reconstructions. */
function err(flat: Tensor, x: Tensor): Tensor {
  const [B, L, C] = x.shape;
  const d = sub(reshape(flat, [B, L, C]), x);
  return div(sum(mul(d, d), -1), C); // (B, L)
}

export class USADDetector extends DeepDetector<USADParams> {
  readonly kind = 'usad';
  readonly version = 1;
  constructor(params: Partial<USADParams> = {}) {
    super(spec, 'usad', params);
  }
  private get net(): USADNet {
    return this.model as USADNet;
  }
  protected buildModel(C: number, rng: Rng): Module {
    return new USADNet(C * this.params.window, this.params, rng);
  }
  protected lossOf(batch: Tensor): Tensor {
    const [B, L, C] = batch.shape;
    const w = reshape(batch, [B, L * C]);
    const z = this.net.enc.forward(w);
    const r1 = this.net.dec1.forward(z);
    const r2 = this.net.dec2.forward(z);
    const n = Math.max(this.currentEpoch, 1);
    const advForAE1 = mean(err(this.net.dec2.forward(this.net.enc.forward(r1), true), batch)); // D2 frozen
    const advForD2 = mean(err(this.net.dec2.forward(this.net.enc.forward(r1.detach())), batch));
    const l1 = add(mul(mean(err(r1, batch)), 1 / n), mul(advForAE1, 1 - 1 / n));
    const l2 = sub(mul(mean(err(r2, batch)), 1 / n), mul(advForD2, 1 - 1 / n));
    return add(l1, l2);
  }
  protected scoreBatch(batch: Tensor): Float32Array {
    const [B, L, C] = batch.shape;
    const w = reshape(batch, [B, L * C]);
    const r1 = this.net.dec1.forward(this.net.enc.forward(w));
    const r21 = this.net.dec2.forward(this.net.enc.forward(r1));
    const a = this.params.alpha;
    return add(mul(err(r1, batch), a), mul(err(r21, batch), 1 - a)).values();
  }
}

registerDetector({ kind: 'usad', ctor: USADDetector, family: 'deep', summary: 'USAD adversarially trained autoencoders (KDD 2020)' });
