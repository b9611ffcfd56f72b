// The peer context of a machine as a detector's peer view reads it: at each of the machine's timestamps, the mean
// over its groups (src/core/peers.ts) of the other members' values at that same timestamp. Computed from group sums
// (leave-one-out), so a whole cluster costs O(machines × rows × channels), not O(machines² …).
// A scorer that reads only some channels over the last rows (CCL's skew part: the record rates over a few rows)
// asks for just those (PeerNeed): the online loop then pays for 1 channel × 8 rows per machine, not 38 × 65.
import type { PeerGroups } from '../core/peers.js';

export interface TimedRows {
  timestamps: ArrayLike<number>; // (T,)
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

/** For each machine: (T, C) peer means at its timestamps, NaN rows where no peer has that timestamp (and outside
 *  `need`); null when the machine is in no group. */
export function peerMeans(xs: readonly TimedRows[], C: number, groups: PeerGroups, need: PeerNeed = {}): (Float32Array | null)[] {
  const chans = need.channels ?? Array.from({ length: C }, (_, c) => c);
  const K = chans.length;
  const since = need.since ?? -Infinity;
  /** First row of x at or after `since` (timestamps ascend). */
  const firstRow = (x: TimedRows): number => {
    let lo = 0;
    let hi = x.timestamps.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (x.timestamps[mid] < since) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const from = xs.map((x) => (since === -Infinity ? 0 : firstRow(x)));
  const acc: (Float64Array | null)[] = xs.map(() => null); // (T, K)
  const hits: (Uint16Array | null)[] = xs.map(() => null);
  for (const g of groups) {
    const slot = new Map<number, number>();
    for (const i of g) for (let t = from[i]; t < xs[i].timestamps.length; t++) if (!slot.has(xs[i].timestamps[t])) slot.set(xs[i].timestamps[t], slot.size);
    const sums = new Float64Array(slot.size * K);
    const counts = new Uint32Array(slot.size);
    for (const i of g) {
      const x = xs[i];
      for (let t = from[i]; t < x.timestamps.length; t++) {
        const s = slot.get(x.timestamps[t])!;
        counts[s]++;
        for (let k = 0; k < K; k++) sums[s * K + k] += x.values[t * C + chans[k]];
      }
    }
    for (const i of g) {
      const x = xs[i];
      const T = x.timestamps.length;
      const a = (acc[i] ??= new Float64Array(T * K));
      const h = (hits[i] ??= new Uint16Array(T));
      for (let t = from[i]; t < T; t++) {
        const s = slot.get(x.timestamps[t])!;
        const n = counts[s] - 1; // the others at this timestamp
        if (n < 1) continue;
        for (let k = 0; k < K; k++) a[t * K + k] += (sums[s * K + k] - x.values[t * C + chans[k]]) / n;
        h[t]++;
      }
    }
  }
  return acc.map((a, i) => {
    if (!a) return null;
    const h = hits[i]!;
    const out = new Float32Array(h.length * C).fill(NaN);
    for (let t = from[i]; t < h.length; t++) if (h[t]) for (let k = 0; k < K; k++) out[t * C + chans[k]] = a[t * K + k] / h[t];
    return out;
  });
}
