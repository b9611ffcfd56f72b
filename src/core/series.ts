// The one series type everything exchanges: a multivariate time series (T, C) with channel names and optional labels.
// It lives here (the detector layer) because detectors consume it; src/data readers and src/collect produce it.

import { median } from './stats.js';

export interface Series {
  /** What the series is: a machine / TaskManager id, a dataset file, … */
  name: string;
  /** (T,) epoch milliseconds, strictly increasing. */
  timestamps: Float64Array;
  /** (C,) channel (metric) names. */
  channels: string[];
  /** (T, C) row-major values; NaN marks a missing value. Readers and the store give Float64Array (123456789 bytes
   *  must stay 123456789 from a file or a collector to the store and the API); generated and scored data may be
   *  Float32Array — the detectors convert to float32 in prepareInput anyway. */
  values: Float64Array | Float32Array;
  /** (T,) 1 = labelled anomalous, 0 = normal; absent when unlabelled. */
  labels?: Uint8Array;
  /** Free-form facts (source, host, jobs on the machine, …). */
  meta?: Record<string, string | number | string[]>;
}

/** The median step between consecutive timestamps — over all of them, or over `maxSteps` evenly spaced ones (a cheap
 *  reading of a long series' scrape interval); NaN with fewer than two timestamps. */
export function medianStep(ts: ArrayLike<number>, maxSteps = Infinity): number {
  const n = Math.min(maxSteps, ts.length - 1);
  if (!(n >= 1)) return NaN;
  return median(Array.from({ length: n }, (_, k) => {
    const i = Math.floor((k * (ts.length - 1)) / n);
    return ts[i + 1] - ts[i];
  }));
}

export class SeriesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeriesError';
  }
}

export const seriesLength = (s: Series): number => s.timestamps.length;

/** Checks the invariants of a Series; throws SeriesError naming the first broken one. */
export function validateSeries(s: Series): void {
  const T = s.timestamps.length;
  const C = s.channels.length;
  if (C === 0) throw new SeriesError(`series '${s.name}' has no channels`);
  if (s.values.length !== T * C) throw new SeriesError(`series '${s.name}': values hold ${s.values.length} numbers, expected T×C = ${T}×${C}`);
  if (s.labels && s.labels.length !== T) throw new SeriesError(`series '${s.name}': ${s.labels.length} labels for ${T} timestamps`);
  if (new Set(s.channels).size !== C) throw new SeriesError(`series '${s.name}': duplicate channel names`);
  for (let t = 1; t < T; t++) {
    if (!(s.timestamps[t] > s.timestamps[t - 1])) {
      throw new SeriesError(`series '${s.name}': timestamps not strictly increasing at index ${t} (${s.timestamps[t - 1]} then ${s.timestamps[t]})`);
    }
  }
}

/** Column c as a fresh (T,) array. */
export function column(s: Series, c: number): Float32Array {
  const C = s.channels.length;
  const T = s.timestamps.length;
  const out = new Float32Array(T);
  for (let t = 0; t < T; t++) out[t] = s.values[t * C + c];
  return out;
}

/** Rows [from, to) as a new Series (copies). */
export function sliceSeries(s: Series, from: number, to: number, name = s.name): Series {
  const C = s.channels.length;
  return {
    name,
    timestamps: s.timestamps.slice(from, to),
    channels: [...s.channels],
    values: s.values.slice(from * C, to * C),
    labels: s.labels?.slice(from, to),
    meta: s.meta,
  };
}

/** Builds a Series from columns; timestamps default to 0, 1, 2, … seconds. */
export function fromColumns(name: string, columns: Record<string, ArrayLike<number>>, opts: { timestamps?: ArrayLike<number>; labels?: ArrayLike<number> } = {}): Series {
  const channels = Object.keys(columns);
  const T = channels.length ? columns[channels[0]].length : 0;
  const C = channels.length;
  const values = new Float64Array(T * C);
  channels.forEach((ch, c) => {
    const col = columns[ch];
    if (col.length !== T) throw new SeriesError(`column '${ch}' has ${col.length} values, expected ${T}`);
    for (let t = 0; t < T; t++) values[t * C + c] = col[t];
  });
  const timestamps = new Float64Array(T);
  for (let t = 0; t < T; t++) timestamps[t] = opts.timestamps ? opts.timestamps[t] : t * 1000;
  const s: Series = { name, timestamps, channels, values, labels: opts.labels ? Uint8Array.from(opts.labels) : undefined };
  validateSeries(s);
  return s;
}
