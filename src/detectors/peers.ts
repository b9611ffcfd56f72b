// The peer context of a machine as a detector's peer view reads it: at each of the machine's timestamps, the mean
// over its groups (src/core/peers.ts) of the other members' values at that same timestamp. Computed from group sums
// (leave-one-out), so a whole cluster costs O(machines × rows × channels), not O(machines² …).
// A scorer that reads only some channels over the last rows (CCL's skew part: the record rates over a few rows)
// asks for just those (PeerNeed): the online loop then computes and holds 8 rows per machine, not the window's 65,
// over 1 channel, not 38.
import type { PeerGroups } from '../core/peers.js';
import type { Scratch } from './scratch.js';

export interface TimedRows {
  timestamps: ArrayLike<number>; // (T,) strictly increasing
  values: Float32Array; // (T, C), finite
}

/** What part of the peer means a scorer reads. Absent fields: all of them. */
export interface PeerNeed {
  /** Channel indices (the other channels' means are NaN). */
  channels?: readonly number[];
  /** Only rows at or after this timestamp (earlier rows are NaN, and no earlier row enters a mean). A mean at a
   *  timestamp reads only rows at that timestamp, so the rows kept are exactly what they would be without it. */
  since?: number;
}

/** A machine's peer means from row `from` on (the rows at or after the need's `since`; 0 without one). */
export interface PeerRows {
  from: number;
  values: Float32Array; // (T − from, C): NaN where no peer has the timestamp, and in channels outside the need
}

/** For each machine: its peer means at its timestamps (PeerRows); null when the machine is in no group. The rows are
 *  views of one array: taken from `into` (a caller's scratch, reused from one call to the next) when given, else new. */
export function peerMeans(xs: readonly TimedRows[], C: number, groups: PeerGroups, need: PeerNeed = {}, into?: Scratch): (PeerRows | null)[] {
  const ch = Int32Array.from(need.channels ?? Array.from({ length: C }, (_, c) => c));
  const K = ch.length;
  const dense = K === C && ch.every((c, k) => c === k); // every channel, in order: no index to look up
  const since = need.since ?? -Infinity;
  const from = xs.map((x) => (since === -Infinity ? 0 : lowerBound(x.timestamps, since)));
  // one buffer each for every machine's rows from[i]… (a typed array per machine costs more than its arithmetic)
  const at = new Int32Array(xs.length + 1); // machine i's rows start at row at[i] of the buffers
  xs.forEach((x, i) => (at[i + 1] = at[i] + x.timestamps.length - from[i]));
  const R = at[xs.length];
  // a machine in one group (the usual case) gets its mean written straight out; only a machine in several averages its
  // groups' means, in float64 (the same floats either way: a sum of one is that one). acc rows: at2[i] … (its rows)
  const memberOf = new Uint16Array(xs.length);
  for (const g of groups) for (const i of g) memberOf[i]++;
  const at2 = new Int32Array(xs.length + 1);
  xs.forEach((_, i) => (at2[i + 1] = at2[i] + (memberOf[i] > 1 ? at[i + 1] - at[i] : 0)));
  const acc = new Float64Array(at2[xs.length] * K);
  const out = (into ? into.take(R * C) : new Float32Array(R * C)).fill(NaN);
  const hits = new Uint16Array(R);
  const grouped = new Uint8Array(xs.length);
  for (const g of groups) {
    // the group's distinct timestamps, sorted: each member's rows (ascending) walk them with one pointer. Members
    // mostly share their timestamps: only the distinct ones are sorted (10 000 machines' windows are 650 000 rows)
    const seen = new Set<number>();
    for (const i of g) for (let t = from[i]; t < xs[i].timestamps.length; t++) seen.add(xs[i].timestamps[t]);
    const stamps = Float64Array.from(seen).sort();
    const u = stamps.length;
    const sums = new Float64Array(u * K);
    const counts = new Uint32Array(u);
    for (const i of g) {
      const ts = xs[i].timestamps;
      const v = xs[i].values;
      const T = ts.length;
      if (from[i] >= T) continue;
      let s = lowerBound(stamps, ts[from[i]]);
      for (let t = from[i]; t < T; t++) {
        while (stamps[s] < ts[t]) s++;
        counts[s]++;
        const o = s * K;
        const row = t * C;
        if (dense) for (let k = 0; k < K; k++) sums[o + k] += v[row + k];
        else for (let k = 0; k < K; k++) sums[o + k] += v[row + ch[k]];
      }
    }
    for (const i of g) {
      grouped[i] = 1;
      const ts = xs[i].timestamps;
      const v = xs[i].values;
      const T = ts.length;
      if (from[i] >= T) continue;
      let s = lowerBound(stamps, ts[from[i]]);
      const direct = memberOf[i] === 1;
      for (let t = from[i], r = at[i]; t < T; t++, r++) {
        while (stamps[s] < ts[t]) s++;
        const n = counts[s] - 1; // the others at this timestamp
        if (n < 1) continue;
        const o = s * K;
        const row = t * C;
        hits[r]++;
        if (direct) {
          const w = r * C;
          if (dense) for (let k = 0; k < K; k++) out[w + k] = (sums[o + k] - v[row + k]) / n;
          else for (let k = 0; k < K; k++) out[w + ch[k]] = (sums[o + k] - v[row + ch[k]]) / n;
          continue;
        }
        const a = (at2[i] + r - at[i]) * K;
        for (let k = 0; k < K; k++) acc[a + k] += (sums[o + k] - v[row + ch[k]]) / n;
      }
    }
  }
  xs.forEach((_, i) => {
    if (memberOf[i] < 2) return;
    for (let r = at[i]; r < at[i + 1]; r++) {
      if (!hits[r]) continue;
      const a = (at2[i] + r - at[i]) * K;
      const row = r * C;
      const h = hits[r];
      for (let k = 0; k < K; k++) out[row + ch[k]] = acc[a + k] / h;
    }
  });
  return xs.map((_, i) => (grouped[i] ? { from: from[i], values: out.subarray(at[i] * C, at[i + 1] * C) } : null));
}

/** The first index of ascending `a` whose value is ≥ v (a.length when none is). */
function lowerBound(a: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
