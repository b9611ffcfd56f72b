// Input checks and repairs shared by every detector: one place decides what bad input means.
// - NaN (missing): linearly interpolated per channel (edges: nearest value); counted in the report.
// - ±Infinity: an error (it is not a measurement); so is a float64 value beyond the float32 range (|v| > 3.4e38).
// - Channels: scoring input must carry every channel seen at fit; they are matched by name (order may differ,
//   extra channels are dropped and reported).
import { medianStep, type Series, SeriesError, validateSeries } from '../core/series.js';
import { backend } from '../tensor/index.js';

const FLOAT32_MAX = 3.4028234663852886e38;

export class DetectorInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DetectorInputError';
  }
}

export interface InputReport {
  /** Missing values filled by interpolation. */
  interpolated: number;
  /** Channels that were entirely missing and set to 0. */
  emptyChannels: string[];
  /** Channels present in the input but unknown to the fitted detector (dropped). */
  droppedChannels: string[];
}

/** A checked, repaired (T, C) matrix in the detector's channel order. */
export interface PreparedInput {
  T: number;
  C: number;
  values: Float32Array; // (T, C), finite
  channels: string[];
  report: InputReport;
  /** (T − peerFrom, C) the machine's peers at the same timestamps from row peerFrom on (src/detectors/peers.ts), NaN
   *  rows where none has a value; absent when scored without peers. Only detectors with a peer view read it. */
  peer?: Float32Array;
  /** The row peer's first row is (0 when absent: every row; the online loop computes only the last rows a scorer
   *  reads). */
  peerFrom?: number;
  /** The series' name (a machine): what a part with per-machine levels reads (CCL's cost part). */
  name?: string;
  /** Pooled input of two or more series: each one's name and rows [from, to). */
  rows?: { name: string; from: number; to: number }[];
  /** Training input (prepareTraining): the series' scrape interval (ms; the median step between its timestamps), when
   *  it has two rows or more. */
  intervalMs?: number;
  /** (T, C) 1 where a value was missing and filled in (interpolated or carried); absent when none was. What a part
   *  that must read measurements only (CCL's cost part) leaves out. */
  missing?: Uint8Array;
}

/** Training input: prepareInput's, with the series' scrape interval (what a part that counts time in rows reads at
 *  its fit — CCL's cost part; the scoring path, every machine every scrape, does not compute it). */
export function prepareTraining(s: Series, expectedChannels: string[] | null): PreparedInput {
  const step = medianStep(s.timestamps, 16);
  return { ...prepareInput(s, expectedChannels), intervalMs: step > 0 ? step : undefined };
}

/** Rows [from, to) of x as input of their own: its values and what was filled in among them (the caller sees to the
 *  peers and the rest). */
export function sliceRows(x: PreparedInput, from: number, to: number): PreparedInput {
  return { ...x, T: to - from, values: x.values.subarray(from * x.C, to * x.C), missing: x.missing?.subarray(from * x.C, to * x.C) };
}

/** Where each expected channel sits in the series' channels (−1: absent). The online loop asks the same pair of
 *  channel lists for every machine of every scrape: the last pair's answer is kept (checked name by name, O(C), not
 *  looked up again, O(C²)). */
let lastIndex: { want: string[]; have: string[]; index: number[] } | null = null;
const sameNames = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
function channelIndex(want: string[], have: string[]): number[] {
  if (lastIndex && sameNames(lastIndex.want, want) && sameNames(lastIndex.have, have)) return lastIndex.index;
  const index = want.map((ch) => have.indexOf(ch));
  lastIndex = { want: [...want], have: [...have], index };
  return index;
}

export function prepareInput(s: Series, expectedChannels: string[] | null): PreparedInput {
  try {
    validateSeries(s);
  } catch (e) {
    if (e instanceof SeriesError) throw new DetectorInputError(e.message);
    throw e;
  }
  const T = s.timestamps.length;
  if (T === 0) throw new DetectorInputError(`series '${s.name}' is empty`);
  const channels = expectedChannels ?? s.channels;
  const index = channelIndex(channels, s.channels);
  const lacking = channels.filter((_, i) => index[i] < 0);
  if (lacking.length) {
    throw new DetectorInputError(`series '${s.name}' lacks channel(s) the detector was fitted on: ${lacking.join(', ')}`);
  }
  const C = channels.length;
  // the common case — the online loop's windows: the fitted channels in their order, every value a finite float32 —
  // is one row-major pass; anything else takes the per-channel path below, which repairs or names the problem
  // (a float32 series is taken as it is, not copied: 10 000 machines' windows a scrape; detectors never write into
  // their input)
  if (C === s.channels.length && index.every((j, c) => j === c)) {
    const v = s.values;
    const k = backend();
    let clean = true;
    if (v instanceof Float32Array && k.allFinite) clean = k.allFinite(v); // a finite float32 is within the range
    else {
      for (let i = 0; i < v.length; i++) {
        if (!(Math.abs(v[i]) <= FLOAT32_MAX)) { clean = false; break; } // false for NaN and ±Infinity
      }
    }
    if (clean) return { T, C, values: v instanceof Float32Array ? v : new Float32Array(v), channels: [...channels], report: { interpolated: 0, emptyChannels: [], droppedChannels: [] }, name: s.name };
  }
  const dropped = s.channels.filter((ch) => !channels.includes(ch));
  const Cin = s.channels.length;
  const values = new Float32Array(T * C);
  const report: InputReport = { interpolated: 0, emptyChannels: [], droppedChannels: dropped };
  const missing = new Uint8Array(T * C);
  for (let c = 0; c < C; c++) {
    const src = index[c];
    let last = -1; // index of the last finite value
    for (let t = 0; t < T; t++) {
      const v = s.values[t * Cin + src];
      if (v === Infinity || v === -Infinity) {
        throw new DetectorInputError(`series '${s.name}': channel '${channels[c]}' is ${v} at index ${t} (timestamp ${s.timestamps[t]})`);
      }
      // float64 input (readers, the store) beyond float32's range would turn into ±Infinity in the engine
      if (Math.abs(v) > FLOAT32_MAX) {
        throw new DetectorInputError(`series '${s.name}': channel '${channels[c]}' is ${v} at index ${t} (timestamp ${s.timestamps[t]}), beyond the float32 range the detectors compute in`);
      }
      if (Number.isNaN(v)) continue;
      values[t * C + c] = v;
      // fill the gap (last, t) by linear interpolation, or with v before the first finite value
      for (let g = last + 1; g < t; g++) {
        values[g * C + c] = last < 0 ? v : values[last * C + c] + ((v - values[last * C + c]) * (g - last)) / (t - last);
        missing[g * C + c] = 1;
        report.interpolated++;
      }
      last = t;
    }
    if (last < 0) {
      report.emptyChannels.push(channels[c]);
      for (let t = 0; t < T; t++) missing[t * C + c] = 1;
      continue; // all zeros
    }
    for (let g = last + 1; g < T; g++) {
      values[g * C + c] = values[last * C + c];
      missing[g * C + c] = 1;
      report.interpolated++;
    }
  }
  const filled = report.interpolated > 0 || report.emptyChannels.length > 0;
  return { T, C, values, channels: [...channels], report, name: s.name, ...(filled ? { missing } : {}) };
}

/** Machines' prepared inputs end to end as one (windows straddling two machines are few and harmless); the peer
 *  context is kept when any part has one (NaN — unknown — in the rows of parts without). */
export function poolPrepared(list: PreparedInput[]): PreparedInput {
  if (list.length === 0) throw new DetectorInputError('no training series');
  if (list.length === 1) return list[0];
  const C = list[0].C;
  const T = list.reduce((a, x) => a + x.T, 0);
  const values = new Float32Array(T * C);
  // one machine without peers (its jobs run nowhere else) leaves NaN rows — unknown peers — not the whole pool peerless
  const withPeers = list.some((x) => x.peer);
  const peer = withPeers ? new Float32Array(T * C).fill(NaN) : undefined;
  let at = 0;
  const rows: { name: string; from: number; to: number }[] = [];
  const missing = list.some((x) => x.missing) ? new Uint8Array(T * C) : undefined;
  for (const [i, x] of list.entries()) {
    values.set(x.values, at * C);
    if (missing && x.missing) missing.set(x.missing, at * C);
    if (peer && x.peer) peer.set(x.peer, (at + (x.peerFrom ?? 0)) * C);
    rows.push({ name: x.name ?? `#${i}`, from: at, to: at + x.T });
    at += x.T;
  }
  const report: InputReport = {
    interpolated: list.reduce((a, x) => a + x.report.interpolated, 0),
    emptyChannels: [...new Set(list.flatMap((x) => x.report.emptyChannels))],
    droppedChannels: [...new Set(list.flatMap((x) => x.report.droppedChannels))],
  };
  const steps = list.map((x) => x.intervalMs).filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  return { T, C, values, channels: list[0].channels, report, peer, rows, intervalMs: steps.length ? steps[steps.length >> 1] : undefined, ...(missing ? { missing } : {}) };
}
