// Monotone counters (a JVM's GC count, a task's record count) as rates. A cumulative count is a level that never comes
// back: a model trained on its first hours sees an unseen level for the rest of a watch. What carries the signal is
// how fast it rises, so the product reads a counter as its rate over the last minute — the same definition for a
// live poll (CounterRates, one value at a time), a recording read back (counterRateSeries) and Prometheus
// (`rate(…[1m]) * 60`, src/collect/catalogue.ts).
//
// Per point t: (v[t] − v[s]) / (ts[t] − ts[s]) · 60 000, per minute, where s is the oldest point within the window
// before t since the counter last started. A decrease is a restart (a new JVM counts from 0): points before it are
// dropped, so the first point after a restart has no rate. No earlier point in the window → NaN (missing), never 0.

/** The window a counter's rate is taken over (Prometheus: `[1m]`). */
export const COUNTER_RATE_WINDOW_MS = 60_000;

/** Streaming rates of counters, one history per key (e.g. machine|metric). */
export class CounterRates {
  private readonly hist = new Map<string, { ts: number[]; v: number[] }>();
  constructor(readonly windowMs = COUNTER_RATE_WINDOW_MS) {
    if (!(Number.isFinite(windowMs) && windowMs > 0)) throw new RangeError(`counter rate window must be a positive number of ms, got ${windowMs}`);
  }

  /** The counter's rate per minute at `ts` after this reading; NaN when there is none yet (a first reading, one after
   *  a restart or after a gap longer than the window). A non-finite value is a gap: NaN, history kept. */
  push(key: string, ts: number, value: number): number {
    if (!Number.isFinite(value)) return NaN;
    let h = this.hist.get(key);
    if (!h) this.hist.set(key, (h = { ts: [], v: [] }));
    const last = h.ts.length - 1;
    // a decrease is a restarted counter; a reading not after the previous one (a clock set back) starts over too
    if (last >= 0 && (value < h.v[last] || ts <= h.ts[last])) {
      h.ts.length = 0;
      h.v.length = 0;
    }
    h.ts.push(ts);
    h.v.push(value);
    let drop = 0;
    while (drop < h.ts.length - 1 && ts - h.ts[drop] > this.windowMs) drop++;
    if (drop > 0) {
      h.ts.splice(0, drop);
      h.v.splice(0, drop);
    }
    const n = h.ts.length - 1;
    return n === 0 ? NaN : ((h.v[n] - h.v[0]) / (h.ts[n] - h.ts[0])) * 60_000;
  }

  /** Keeps only the keys `keep` accepts (the machines still there): memory stays bounded as TaskManagers come and go. */
  retain(keep: (key: string) => boolean): void {
    for (const k of [...this.hist.keys()]) if (!keep(k)) this.hist.delete(k);
  }

  /** Keys with a history. */
  get size(): number {
    return this.hist.size;
  }
}

/** (T,) rates per minute of a recorded counter (timestamps strictly increasing; NaN = not read). */
export function counterRateSeries(timestamps: ArrayLike<number>, values: ArrayLike<number>, windowMs = COUNTER_RATE_WINDOW_MS): Float64Array {
  const r = new CounterRates(windowMs);
  const out = new Float64Array(timestamps.length);
  for (let t = 0; t < timestamps.length; t++) out[t] = r.push('', timestamps[t], values[t]);
  return out;
}
