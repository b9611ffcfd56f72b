// Window features for the classical detectors: the flattened window (W, C) ending at each timestamp (the first
// W − 1 timestamps repeat the first row), on robust-scaled values.
/** x (T, C) → (T, W·C). */
export function windowFeatures(x: Float32Array, T: number, C: number, W: number): Float32Array {
  const D = W * C;
  const out = new Float32Array(T * D);
  for (let t = 0; t < T; t++) {
    for (let k = 0; k < W; k++) {
      const src = Math.max(0, t - W + 1 + k);
      out.set(x.subarray(src * C, src * C + C), t * D + k * C);
    }
  }
  return out;
}
