// Per-timestamp anomaly boundaries from robust statistics of the raw window (no gradient):
//   prior_t = max( squash(robust z of x_t against the window's median / MAD, max over channels),
//                  squash(slope of the least-squares trend over the trailing k points, in MADs per k steps),
//                  squash(|x_t| − level)  — x is scaled by the TRAINING median / IQR, so |x_t| is x_t's distance from
//                                           the whole history's level; off when level is not finite )
//   b_t = bMin + β · prior_t
// Normal timestamps get ~bMin and must be fitted closely; suspected anomalies (outliers, sustained high levels, the
// tops of slow rises) get wide boundaries and stop pulling the model once inside them.
import { Tensor } from '../../tensor/index.js';
import { median } from '../../core/stats.js';


const squash = (z: number, scale: number): number => 1 - Math.exp(-Math.max(0, z) / scale);

/** x (B, L, C) row-major, robust-scaled with training statistics → prior (B, L) in [0, 1]. `level` (IQRs from the
 *  training median) is where the level term starts: a window that lies wholly inside a sustained contaminated segment
 *  looks normal against its own median, and only this term still marks it. */
export function boundaryPrior(x: Float32Array, B: number, L: number, C: number, k = 8, level = Infinity): Float32Array {
  const prior = new Float32Array(B * L);
  const col = new Float64Array(L);
  const dev = new Float64Array(L);
  for (let b = 0; b < B; b++) {
    const base = b * L * C;
    for (let c = 0; c < C; c++) {
      for (let t = 0; t < L; t++) col[t] = x[base + t * C + c];
      const med = median(col);
      for (let t = 0; t < L; t++) dev[t] = Math.abs(col[t] - med);
      const mad = Math.max(median(dev) * 1.4826, 0.1); // floor: near-constant channels do not explode
      for (let t = 0; t < L; t++) {
        const z = Math.abs(col[t] - med) / mad;
        let slopeZ = 0;
        if (t >= k - 1) {
          // least-squares slope over col[t-k+1 .. t]
          let sx = 0, sy = 0, sxx = 0, sxy = 0;
          for (let i = 0; i < k; i++) {
            const y = col[t - k + 1 + i];
            sx += i; sy += y; sxx += i * i; sxy += i * y;
          }
          const slope = (k * sxy - sx * sy) / (k * sxx - sx * sx);
          slopeZ = (slope * k) / mad;
        }
        const p = Math.max(squash(z - 2, 3), squash(slopeZ - 1, 3), squash(Math.abs(col[t]) - level, 2));
        if (p > prior[b * L + t]) prior[b * L + t] = p;
      }
    }
  }
  return prior;
}

/** b (B, L) = bMin + β · prior. */
export function anomalyBoundary(x: Float32Array, B: number, L: number, C: number, bMin: number, beta: number, level = Infinity): Tensor {
  const prior = boundaryPrior(x, B, L, C, 8, level);
  for (let i = 0; i < prior.length; i++) prior[i] = bMin + beta * prior[i];
  return new Tensor(prior, [B, L]);
}
