// Co-movement: a channel's deviation at t that the other channels' steps at the same t explain is normal life, not a
// hotspot — a GC pause (gc time jumps) comes with the heap's drop at the same scrape; a restart's heap reset with its
// GC. The network reconstructs x_t from its neighbours and cannot see that step, so its residual carries it. Fitted on
// training residuals by least squares, per channel c:  d_c,t ≈ Σ_{c' ≠ c} w_c,c' · Δx_c',t + b_c,
// with d = x − x̂ (signed) and Δx_t = x_t − x_{t−1} (scaled units). Scoring uses e = d − that prediction.
// A channel's own step never explains it (that is exactly what an anomaly is).
import { madSigma, median } from '../../core/stats.js';

export interface CoMove {
  C: number;
  /** (C, C + 1): row c holds w_c,c' (w_c,c = 0) and, at index C, b_c */
  w: Float32Array;
  /** (C, C + 1): the spread of what is left, |e_c| ≈ Σ v_c,c' |Δx_c'| + v_c,C (v ≥ 0) — a GC pause's size varies */
  v: Float32Array;
  /** (C): each channel's typical |e_c| (median on training) */
  a: Float32Array;
  /** whether v and a are used */
  spread: boolean;
}

/** The mean and spread fits of the co-movement on training rows (N, C) of d = x − x̂ and Δx. */
export function fitCoMoveModel(d: Float32Array, dx: Float32Array, C: number, spread: boolean): CoMove {
  const w = fitCoMove(d, dx, C);
  const e = d.slice();
  subtractMean(w, C, e, dx);
  const ae = e.map(Math.abs);
  const adx = dx.map(Math.abs);
  const v = fitCoMove(ae, adx, C);
  for (let i = 0; i < v.length; i++) if (i % (C + 1) !== C) v[i] = Math.max(0, v[i]);
  const a = new Float32Array(C);
  const col = new Float64Array(ae.length / C);
  for (let c = 0; c < C; c++) {
    for (let n = 0; n < col.length; n++) col[n] = ae[n * C + c];
    a[c] = Math.max(median(col), 1e-6);
  }
  return { C, w, v, a, spread };
}

/** Signed deviations d = x − x̂ and steps Δx of the last K positions of windows (B, L, C); x̂ (B, K, C).
 *  → d, dx (B·K, C). The first position of a window has no step (Δx = 0). */
export function deviations(x: Float32Array, xhat: Float32Array, B: number, L: number, K: number, C: number): { d: Float32Array; dx: Float32Array } {
  const d = new Float32Array(B * K * C);
  const dx = new Float32Array(B * K * C);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < K; j++) {
      const t = L - K + j;
      const row = (b * L + t) * C;
      const out = (b * K + j) * C;
      for (let c = 0; c < C; c++) {
        d[out + c] = x[row + c] - xhat[out + c];
        dx[out + c] = t > 0 ? x[row + c] - x[row - C + c] : 0;
      }
    }
  }
  return { d, dx };
}

/** Per channel, a Huber regression (IRLS from the least-squares fit) of d_c on the other channels' steps and 1, on at
 *  most `maxRows` evenly spaced rows of (N, C) d and dx. Robust because a lone bad sample makes a large step that
 *  explains nothing (a heap read twice too high, then right again) and would otherwise pull the slope the heap's
 *  real drops set. The ridge is relative to each step's own energy (rare large steps are not shrunk away by the many
 *  quiet rows) and does not touch the bias. */
export function fitCoMove(d: Float32Array, dx: Float32Array, C: number, o: { ridge?: number; iters?: number; maxRows?: number } = {}): Float32Array {
  const ridge = o.ridge ?? 1e-3;
  const N0 = d.length / C;
  const stride = Math.max(1, Math.ceil(N0 / (o.maxRows ?? 8192)));
  const rows: number[] = [];
  for (let n = 0; n < N0; n += stride) rows.push(n);
  const P = C + 1; // features: dx (C) and 1
  const w = new Float32Array(C * P);
  const feat = (n: number, i: number): number => (i === C ? 1 : dx[n * C + i]);
  const wt = new Float64Array(rows.length);
  // each row's step energy relative to the mean row's (over all channels' steps)
  const lev = new Float64Array(rows.length);
  let mean = 0;
  for (let k = 0; k < rows.length; k++) {
    for (let c = 0; c < C; c++) lev[k] += dx[rows[k] * C + c] ** 2;
    mean += lev[k] / rows.length;
  }
  for (let k = 0; k < rows.length; k++) lev[k] /= mean + 1e-12;
  const e = new Float64Array(rows.length);
  for (let c = 0; c < C; c++) {
    const idx: number[] = [];
    for (let i = 0; i < P; i++) if (i !== c) idx.push(i);
    const m = idx.length;
    wt.fill(1);
    let sol: Float64Array = new Float64Array(m);
    for (let it = 0; it <= (o.iters ?? 5); it++) {
      const M = new Float64Array(m * m);
      const r = new Float64Array(m);
      const f = new Float64Array(m);
      for (let k = 0; k < rows.length; k++) {
        const n = rows[k];
        const y = d[n * C + c];
        for (let a = 0; a < m; a++) f[a] = feat(n, idx[a]);
        const q = wt[k];
        for (let a = 0; a < m; a++) {
          const fa = q * f[a];
          if (fa === 0) continue;
          for (let b = 0; b <= a; b++) M[a * m + b] += fa * f[b];
          r[a] += fa * y;
        }
      }
      for (let a = 0; a < m; a++) {
        for (let b = 0; b < a; b++) M[b * m + a] = M[a * m + b];
        if (idx[a] !== C) M[a * m + a] += ridge * M[a * m + a] + 1e-9 * rows.length;
      }
      sol = solveSymmetric(M, r, m);
      // Huber weights from the residuals: k = 1.345 robust standard deviations
      for (let k = 0; k < rows.length; k++) {
        const n = rows[k];
        let p = 0;
        for (let a = 0; a < m; a++) p += sol[a] * feat(n, idx[a]);
        e[k] = d[n * C + c] - p;
      }
      // the Huber threshold of a row grows with its steps: a large step brings a larger spread (a GC pause's size
      // varies), so informative rows are not discounted as outliers merely for being large
      const s = madSigma(e, 0) + 1e-9;
      for (let k = 0; k < rows.length; k++) {
        const h = 1.345 * s * Math.sqrt(1 + lev[k]);
        const ae = Math.abs(e[k]);
        wt[k] = ae <= h ? 1 : h / ae;
      }
    }
    for (let a = 0; a < m; a++) w[c * P + idx[a]] = sol[a];
  }
  return w;
}

/** In place: d ← (d − W · [dx, 1]) · a / max(a, V · [|dx|, 1]) row by row — what the steps explain taken out, and
 *  what is left measured against the spread those steps allow. */
export function applyCoMove(m: CoMove, d: Float32Array, dx: Float32Array): void {
  subtractMean(m.w, m.C, d, dx);
  if (!m.spread) return;
  const { C, v, a } = m;
  const P = C + 1;
  const N = d.length / C;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      let s = v[c * P + C];
      for (let k = 0; k < C; k++) s += v[c * P + k] * Math.abs(dx[n * C + k]);
      if (s > a[c]) d[n * C + c] *= a[c] / s;
    }
  }
}

function subtractMean(w: Float32Array, C: number, d: Float32Array, dx: Float32Array): void {
  const P = C + 1;
  const N = d.length / C;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      let p = w[c * P + C];
      for (let k = 0; k < C; k++) p += w[c * P + k] * dx[n * C + k];
      d[n * C + c] -= p;
    }
  }
}

/** sqrt(mean_c d²) per row → (N), as `residual` does on tensors. */
export function rowRms(d: Float32Array, C: number): Float32Array {
  const N = d.length / C;
  const out = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += d[n * C + c] * d[n * C + c];
    out[n] = Math.sqrt(s / C + 1e-12);
  }
  return out;
}

/** M (m, m) symmetric positive definite, r (m) → M⁻¹ r by Cholesky; a singular M (a constant channel) gets a tiny
 *  jitter on its diagonal. */
function solveSymmetric(M: Float64Array, r: Float64Array, m: number): Float64Array {
  const Lc = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let s = M[i * m + j];
      for (let k = 0; k < j; k++) s -= Lc[i * m + k] * Lc[j * m + k];
      if (i === j) Lc[i * m + i] = Math.sqrt(Math.max(s, 1e-9));
      else Lc[i * m + j] = s / Lc[j * m + j];
    }
  }
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = r[i];
    for (let k = 0; k < i; k++) s -= Lc[i * m + k] * y[k];
    y[i] = s / Lc[i * m + i];
  }
  const out = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < m; k++) s -= Lc[k * m + i] * out[k];
    out[i] = s / Lc[i * m + i];
  }
  return out;
}
