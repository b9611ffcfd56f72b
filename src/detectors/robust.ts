// Robust per-channel scaling fitted on training data only (never per window): (x − median) / IQR.
// A channel with zero IQR falls back to its standard deviation, then to 1, so constant channels map to 0, not NaN.

export interface RobustScale {
  center: Float32Array; // (C,)
  scale: Float32Array; // (C,)
}

import { quantileSorted } from '../core/stats.js';
import { backend } from '../tensor/index.js';

/** values (T, C) row-major. */
export function fitRobustScale(values: Float32Array, T: number, C: number): RobustScale {
  const center = new Float32Array(C);
  const scale = new Float32Array(C);
  const col = new Float64Array(T);
  for (let c = 0; c < C; c++) {
    let mean = 0;
    for (let t = 0; t < T; t++) {
      col[t] = values[t * C + c];
      mean += col[t] / T;
    }
    let varSum = 0;
    for (let t = 0; t < T; t++) varSum += (col[t] - mean) ** 2;
    col.sort();
    center[c] = quantileSorted(col, 0.5);
    const iqr = quantileSorted(col, 0.75) - quantileSorted(col, 0.25);
    const std = Math.sqrt(varSum / Math.max(T - 1, 1));
    scale[c] = iqr > 1e-8 ? iqr : std > 1e-8 ? std : 1;
  }
  return { center, scale };
}

export function applyRobustScale(values: Float32Array, C: number, s: RobustScale): Float32Array {
  return applyRobustScaleInto(values, C, s, new Float32Array(values.length), 0);
}

/** applyRobustScale written into out[at …] (no array of its own: the online loop scales each machine's window
 *  straight into the batch it scores). Returns out. */
export function applyRobustScaleInto(values: Float32Array, C: number, s: RobustScale, out: Float32Array, at: number): Float32Array {
  const k = backend();
  if (k.scaleColumns && s.center.length === C && s.scale.length === C && values.length % C === 0) { // the same floats, in native code
    k.scaleColumns(values, s.center, s.scale, out, at);
    return out;
  }
  const T = values.length / C;
  for (let t = 0; t < T; t++) {
    const o = t * C;
    for (let c = 0; c < C; c++) out[at + o + c] = (values[o + c] - s.center[c]) / s.scale[c];
  }
  return out;
}
