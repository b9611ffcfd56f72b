// Scoring against a memory of normal representations: a timestamp whose representation e_t = g_t + l_t lies far from
// every representation of (probably) normal training timestamps is anomalous. This reads the cross-contrastive loss
// literally — it pushes Flink-style anomalies away from normal representations — and, unlike a reconstruction
// residual or a score relative to the window, it stays high through a hotspot that lasts longer than any window.
// The memory keeps only training timestamps whose boundary prior is low, so contaminated training data (the
// "noise" of the paper) does not enter it.
import { Tensor, matmul, transpose, noGrad } from '../../tensor/index.js';
import type { Rng } from '../../tensor/index.js';
import { kthNearestSq } from '../nearest.js';

/** Up to `size` rows of reps (n, d) whose keep flag is set, uniformly sampled → (M, d). */
export function buildMemory(reps: Float32Array, d: number, keep: (i: number) => boolean, size: number, rng: Rng): Float32Array {
  const n = reps.length / d;
  const idx: number[] = [];
  for (let i = 0; i < n; i++) if (keep(i)) idx.push(i);
  rng.shuffle(idx);
  const m = Math.min(size, idx.length);
  const out = new Float32Array(m * d);
  for (let r = 0; r < m; r++) out.set(reps.subarray(idx[r] * d, (idx[r] + 1) * d), r * d);
  return out;
}

/** Distance of each row of q (n, d) to its k-th nearest row of mem (M, d) (Euclidean). */
export function knnDistance(q: Float32Array, mem: Float32Array, d: number, k: number): Float32Array {
  const n = q.length / d;
  const M = mem.length / d;
  const out = new Float32Array(n);
  if (M === 0) return out.fill(0);
  const kk = Math.min(k, M);
  const dots = noGrad(() => matmul(new Tensor(q, [n, d]), transpose(new Tensor(mem, [M, d]))).values()); // (n, M)
  const mn = new Float32Array(M);
  for (let j = 0; j < M; j++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += mem[j * d + c] * mem[j * d + c];
    mn[j] = s;
  }
  const best = new Float64Array(kk);
  for (let i = 0; i < n; i++) {
    let qn = 0;
    for (let c = 0; c < d; c++) qn += q[i * d + c] * q[i * d + c];
    out[i] = Math.sqrt(Math.max(kthNearestSq(dots, i * M, M, qn, mn, best), 0));
  }
  return out;
}
