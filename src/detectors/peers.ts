// The peer context of a machine as a detector's peer view reads it: at each of the machine's timestamps, the mean
// over its groups (src/core/peers.ts) of the other members' values at that same timestamp. Computed from group sums
// (leave-one-out), so a whole cluster costs O(machines × rows × channels), not O(machines² …).
import type { PeerGroups } from '../core/peers.js';

export interface TimedRows {
  timestamps: ArrayLike<number>; // (T,)
  values: Float32Array; // (T, C), finite
}

/** For each machine: (T, C) peer means at its timestamps, NaN rows where no peer has that timestamp; null when the
 *  machine is in no group. */
export function peerMeans(xs: readonly TimedRows[], C: number, groups: PeerGroups): (Float32Array | null)[] {
  const acc: (Float64Array | null)[] = xs.map(() => null);
  const hits: (Uint16Array | null)[] = xs.map(() => null);
  for (const g of groups) {
    const slot = new Map<number, number>();
    for (const i of g) for (let t = 0; t < xs[i].timestamps.length; t++) if (!slot.has(xs[i].timestamps[t])) slot.set(xs[i].timestamps[t], slot.size);
    const sums = new Float64Array(slot.size * C);
    const counts = new Uint32Array(slot.size);
    for (const i of g) {
      const x = xs[i];
      for (let t = 0; t < x.timestamps.length; t++) {
        const s = slot.get(x.timestamps[t])!;
        counts[s]++;
        for (let c = 0; c < C; c++) sums[s * C + c] += x.values[t * C + c];
      }
    }
    for (const i of g) {
      const x = xs[i];
      const T = x.timestamps.length;
      const a = (acc[i] ??= new Float64Array(T * C));
      const h = (hits[i] ??= new Uint16Array(T));
      for (let t = 0; t < T; t++) {
        const s = slot.get(x.timestamps[t])!;
        const n = counts[s] - 1; // the others at this timestamp
        if (n < 1) continue;
        for (let c = 0; c < C; c++) a[t * C + c] += (sums[s * C + c] - x.values[t * C + c]) / n;
        h[t]++;
      }
    }
  }
  return acc.map((a, i) => {
    if (!a) return null;
    const h = hits[i]!;
    const out = new Float32Array(a.length);
    for (let t = 0; t < h.length; t++) for (let c = 0; c < C; c++) out[t * C + c] = h[t] ? a[t * C + c] / h[t] : NaN;
    return out;
  });
}
