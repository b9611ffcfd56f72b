// Reconstruction autoencoder baseline: a Transformer encoder over the window, a narrow linear bottleneck per
// timestamp, and a linear decoder; trained with MSE on (noisy) training windows; score = per-timestamp squared error.
import { Rng, Tensor, add, mean, mul, sub, sum, div } from '../../tensor/index.js';
import { Module, Linear, TransformerEncoderLayer, sinusoidalPositions } from '../../nn/index.js';
import type { ParamSpec } from '../params.js';
import { registerDetector } from '../registry.js';
import { DeepDetector, deepParamSpec, type DeepParams } from '../deep/template.js';

export interface TransformerAEParams extends DeepParams {
  d: number;
  heads: number;
  layers: number;
  bottleneck: number;
}
const spec: ParamSpec<TransformerAEParams> = {
  ...deepParamSpec,
  d: { default: 32, min: 4, integer: true, doc: 'model width' },
  heads: { default: 4, min: 1, integer: true, doc: 'attention heads' },
  layers: { default: 1, min: 1, integer: true, doc: 'encoder layers' },
  bottleneck: { default: 4, min: 1, integer: true, doc: 'bottleneck width per timestamp' },
};

class AENet extends Module {
  embed: Linear;
  layers: TransformerEncoderLayer[];
  down: Linear;
  up: Linear;
  private readonly pos: Tensor;
  constructor(C: number, L: number, p: TransformerAEParams, rng: Rng) {
    super();
    this.embed = new Linear(C, p.d, rng);
    this.layers = Array.from({ length: p.layers }, () => new TransformerEncoderLayer(p.d, p.heads, rng, { ffn: 2 * p.d }));
    this.down = new Linear(p.d, p.bottleneck, rng);
    this.up = new Linear(p.bottleneck, C, rng);
    this.pos = sinusoidalPositions(L, p.d);
  }
  /** x (B, L, C) → x̂ (B, L, C). */
  forward(x: Tensor): Tensor {
    let h = add(this.embed.forward(x), this.pos);
    for (const l of this.layers) h = l.forward(h, undefined, { map: false }).out;
    return this.up.forward(this.down.forward(h));
  }
}

/** (B, L) mean squared error over channels. */
function sqErr(xhat: Tensor, x: Tensor): Tensor {
  const d = sub(xhat, x);
  return div(sum(mul(d, d), -1), x.shape[2]);
}

export class TransformerAEDetector extends DeepDetector<TransformerAEParams> {
  readonly kind = 'transformer-ae';
  readonly version = 1;
  constructor(params: Partial<TransformerAEParams> = {}) {
    super(spec, 'transformer-ae', params);
  }
  protected buildModel(C: number, rng: Rng): Module {
    return new AENet(C, this.params.window, this.params, rng);
  }
  protected lossOf(batch: Tensor): Tensor {
    return mean(sqErr((this.model as AENet).forward(batch), batch));
  }
  protected scoreBatch(batch: Tensor): Float32Array {
    return sqErr((this.model as AENet).forward(batch), batch).values();
  }
}

registerDetector({ kind: 'transformer-ae', ctor: TransformerAEDetector, family: 'deep', summary: 'Transformer reconstruction autoencoder' });
