// What the skew part (skew.ts) and the cost part (cost.ts) of CCL's score share: a log ratio per channel,
//   r_t,k = ln((a_t,k + ε_a) / (b_t,k + ε_b)),  ε = 0.1 × the channel's median training level (a low load does not
//   make a ratio of noise),
// smoothed over the last RATIO_ROWS rows (a trailing median: a hotspot is sustained, one noisy scrape is not),
// standardised by the median and IQR of the smoothed ratio over the training rows (the units of the network's part),
// and gated: it speaks only where z reaches 8·1.4826·MAD / IQR (the product's mad:8 rule over the training ratio,
// beyond anything normal there) and only upwards. What the ratio divides is each part's own business.
import type { PreparedInput } from '../input.js';
import { median, quantileSorted, sortedFinite } from '../../core/stats.js';

/** Rows a ratio is smoothed over (a trailing median). */
export const RATIO_ROWS = 8;
/** ε as a share of the channel's median training level. */
export const EPS_SHARE = 0.1;
/** The gate's k (the product's default rule is mad:8). */
export const RATIO_MAD_K = 8;

/** Per ratio k: its training median and IQR (the z's units) and the z from which it speaks. */
export interface RatioStats {
  med: number[];
  iqr: number[];
  gate: number[];
}

/** Median of the finite values (NaN when none is). */
export const medianOf = (a: ArrayLike<number>): number => median(sortedFinite(a));

/** The median absolute level of channel c of training input x (0 when none is finite). */
export function channelLevel(x: PreparedInput, c: number): number {
  const levels = new Float64Array(x.T);
  for (let t = 0; t < x.T; t++) levels[t] = Math.abs(x.values[t * x.C + c]);
  return medianOf(levels) || 0;
}

/** ε of channel c of training input x: EPS_SHARE × its median absolute level (at least 1e-6). */
export const channelEps = (x: PreparedInput, c: number): number => Math.max(EPS_SHARE * channelLevel(x, c), 1e-6);

/** (T,) per ratio k < K: the trailing median of logRatio(t, k) over RATIO_ROWS rows, for rows `from` on (NaN before
 *  them, and where logRatio(t, k) itself is NaN — a row whose ratio is unknown has no part). `known` is the first row
 *  any ratio can be known (rows before it are not read). */
export function smoothLogRatios(T: number, K: number, logRatio: (t: number, k: number) => number, from = 0, known = 0): Float32Array[] {
  const first = Math.max(0, from - RATIO_ROWS + 1, known);
  const out: Float32Array[] = [];
  const win: number[] = [];
  for (let k = 0; k < K; k++) {
    const r = new Float32Array(T).fill(NaN);
    for (let t = first; t < T; t++) r[t] = logRatio(t, k);
    const sm = new Float32Array(T).fill(NaN);
    for (let t = from; t < T; t++) {
      if (Number.isNaN(r[t])) continue;
      win.length = 0;
      for (let j = Math.max(0, t - RATIO_ROWS + 1); j <= t; j++) win.push(r[j]);
      sm[t] = medianOf(win);
    }
    out.push(sm);
  }
  return out;
}

/** (T,) per channel k of `channels`: the smoothed ln((x_t,c + ε_k) / (peers' mean_t,c + ε_k)) of rows `from` on; NaN
 *  before them and where the peers are unknown (or x has none; x.peer holds rows x.peerFrom… — the online loop
 *  computes only the last rows a scorer reads). What the skew part scores and what the cost part's starved rows read. */
export function peerLogRatios(x: PreparedInput, channels: readonly number[], eps: readonly number[], from = 0): Float32Array[] {
  const { C, peer } = x;
  const p0 = x.peerFrom ?? 0;
  if (!peer) return channels.map(() => new Float32Array(x.T).fill(NaN));
  const ratio = (t: number, k: number): number => {
    const c = channels[k];
    return Math.log((Math.max(0, x.values[t * C + c]) + eps[k]) / (Math.max(0, peer[(t - p0) * C + c]) + eps[k]));
  };
  return smoothLogRatios(x.T, channels.length, ratio, from, p0);
}

/** The training statistics of smoothed ratios; null when one of them has fewer than 10 finite rows. */
export function fitRatioStats(ratios: Float32Array[]): RatioStats | null {
  const st: RatioStats = { med: [], iqr: [], gate: [] };
  for (const r of ratios) {
    const s = sortedFinite(r);
    if (s.length < 10) return null;
    const m = quantileSorted(s, 0.5);
    const spread = Math.max(quantileSorted(s, 0.75) - quantileSorted(s, 0.25), 1e-3);
    const mad = median(s.map((v) => Math.abs(v - m)));
    st.med.push(m);
    st.iqr.push(spread);
    st.gate.push((RATIO_MAD_K * 1.4826 * Math.max(mad, 1e-3)) / spread);
  }
  return st;
}

/** (T,) the largest z over the ratios that reach their gate, per row from `from` on; −Infinity where none does. */
export function gatedMax(ratios: Float32Array[], st: RatioStats, T: number, from = 0): Float32Array {
  const out = new Float32Array(T).fill(-Infinity);
  ratios.forEach((r, k) => {
    for (let t = from; t < T; t++) {
      const z = (r[t] - st.med[k]) / st.iqr[k];
      if (z >= st.gate[k] && z > out[t]) out[t] = z;
    }
  });
  return out;
}
