// Robust z-score with optional EWMA smoothing: per channel (x̃_t − median) / (1.4826 · MAD), median and MAD fitted on
// training data; x̃ is x itself or its exponentially weighted moving average (alpha). Score = max or mean over channels
// of |z|.
import { Detector, type DetectorState } from '../detector.js';
import type { PreparedInput } from '../input.js';
import type { ParamSpec } from '../params.js';
import { registerDetector } from '../registry.js';
import { median } from '../../core/stats.js';

export interface ZScoreParams {
  alpha: number;
  aggregate: 'max' | 'mean';
  contamination: number;
}
const spec: ParamSpec<ZScoreParams> = {
  alpha: { default: 1, min: 0.001, max: 1, doc: 'EWMA smoothing factor (1 = no smoothing)' },
  aggregate: { default: 'max', choices: ['max', 'mean'], doc: 'how channel scores combine' },
  contamination: { default: 0.01, min: 0, max: 0.5, doc: 'expected anomaly share of training data (threshold)' },
};


export class ZScoreDetector extends Detector<ZScoreParams> {
  readonly kind = 'zscore';
  readonly version = 1;
  private center: Float32Array = new Float32Array(0);
  private scale: Float32Array = new Float32Array(0);
  constructor(params: Partial<ZScoreParams> = {}) {
    super(spec, 'zscore', params);
  }
  private smooth(x: PreparedInput): Float64Array {
    const { T, C } = x;
    const out = Float64Array.from(x.values);
    const a = this.params.alpha;
    if (a < 1) for (let t = 1; t < T; t++) for (let c = 0; c < C; c++) out[t * C + c] = a * x.values[t * C + c] + (1 - a) * out[(t - 1) * C + c];
    return out;
  }
  protected fitCore(x: PreparedInput): void {
    const s = this.smooth(x);
    this.center = new Float32Array(x.C);
    this.scale = new Float32Array(x.C);
    const col = new Float64Array(x.T);
    for (let c = 0; c < x.C; c++) {
      for (let t = 0; t < x.T; t++) col[t] = s[t * x.C + c];
      const med = median(col);
      for (let t = 0; t < x.T; t++) col[t] = Math.abs(col[t] - med);
      const mad = 1.4826 * median(col);
      this.center[c] = med;
      this.scale[c] = mad > 1e-9 ? mad : 1e-3 * Math.max(1, Math.abs(med)); // constant channel: deviations still show
    }
  }
  protected scoreCore(x: PreparedInput): Float32Array {
    const s = this.smooth(x);
    const out = new Float32Array(x.T);
    for (let t = 0; t < x.T; t++) {
      let agg = 0;
      for (let c = 0; c < x.C; c++) {
        const z = Math.abs((s[t * x.C + c] - this.center[c]) / this.scale[c]);
        agg = this.params.aggregate === 'max' ? Math.max(agg, z) : agg + z / x.C;
      }
      out[t] = agg;
    }
    return out;
  }
  protected getState(): DetectorState {
    return { json: {}, arrays: { center: { data: this.center, shape: [this.center.length] }, scale: { data: this.scale, shape: [this.scale.length] } } };
  }
  protected setState(s: DetectorState): void {
    this.center = s.arrays.center.data as Float32Array;
    this.scale = s.arrays.scale.data as Float32Array;
  }
}

registerDetector({ kind: 'zscore', ctor: ZScoreDetector, family: 'classical', summary: 'robust z-score with optional EWMA' });
