// The cost part of CCL's score (issue #14, docs/ccl.md "The cost part"): a hotspot that creeps up — a leak, state
// that grows, a UDF getting slower — makes a machine spend more busy time (and CPU) on each record it reads. The
// daily load moves both together, so the network, which keeps a window's shape and reads the load's rise as normal,
// sees the first hours of such a rise as the load; their ratio does not move with the load.
// For each cost channel c (busy… with 'busy'; busy… and cpu_load with 'cpu') of a machine with a records_in channel:
//   r_t,c = ln((x_t,c + ε_c) / (records_in_t + ε_in)), smoothed, standardised on training and gated as in ratio.ts;
//   cost_t = the largest gated z, −∞ where none reaches its gate.
// A cost per record needs records: a row reading fewer than COST_RECORDS_FLOOR × the training median of records_in (a
// restart, a job that stopped reading) has no cost part — its busy time outlasts its records for a while.
// The score is max(network part, skew part, cost part). Only a machine spending MORE per record counts: a back-pressured
// one reads the same records with less busy time. Unlike the skew part it reads the machine's own metrics only, so it
// exists for a series scored alone too (`eval`).
import type { PreparedInput } from '../input.js';
import { channelEps, channelLevel, fitRatioStats, gatedMax, smoothLogRatios, type RatioStats } from './ratio.js';

/** Rows reading fewer records than this share of their training median have no cost part. */
export const COST_RECORDS_FLOOR = 0.2;

/** What the cost part reads per record: busy time ('busy'), or busy time and CPU load ('cpu'). */
export type CostKind = 'busy' | 'cpu';

export interface CostNorm extends RatioStats {
  /** Indices of the cost channels (the numerators). */
  channels: number[];
  eps: number[];
  /** Index of the records_in channel (the denominator) and its ε. */
  records: number;
  recordsEps: number;
  /** Fewer records_in than this: no cost part (COST_RECORDS_FLOOR × the training median). */
  recordsFloor: number;
}

/** The cost channels and the records_in channel among a detector's channels; null without a records_in channel or
 *  without a cost channel. */
export function costChannels(names: readonly string[], kind: CostKind): { channels: number[]; records: number } | null {
  const records = names.findIndex((n) => /records_?in/i.test(n));
  const reads = (n: string): boolean => /busy/i.test(n) || (kind === 'cpu' && /cpu_?load/i.test(n));
  const channels = names.map((n, i) => (reads(n) ? i : -1)).filter((i) => i >= 0);
  return records >= 0 && channels.length > 0 ? { channels, records } : null;
}

/** (T,) per cost channel: its smoothed log cost per record of rows `from` on (NaN before them). */
function smoothedCosts(x: PreparedInput, n: Pick<CostNorm, 'channels' | 'eps' | 'records' | 'recordsEps' | 'recordsFloor'>, from = 0): Float32Array[] {
  const { C, values } = x;
  const ratio = (t: number, k: number): number => {
    const r = values[t * C + n.records];
    return r < n.recordsFloor ? NaN : Math.log((Math.max(0, values[t * C + n.channels[k]]) + n.eps[k]) / (r + n.recordsEps));
  };
  return smoothLogRatios(x.T, n.channels.length, ratio, from);
}

/** The cost part's normalisation from training input; null when its channels are not there. */
export function fitCost(x: PreparedInput, kind: CostKind): CostNorm | null {
  const found = costChannels(x.channels, kind);
  if (!found) return null;
  const { channels, records } = found;
  const eps = channels.map((c) => channelEps(x, c));
  const recordsEps = channelEps(x, records);
  const recordsFloor = COST_RECORDS_FLOOR * channelLevel(x, records);
  const part = { channels, eps, records, recordsEps, recordsFloor };
  const st = fitRatioStats(smoothedCosts(x, part));
  return st && { ...part, ...st };
}

/** (T,) cost part of each row from `from` on; −Infinity where it says nothing (below its gate, before `from`). */
export function costScores(x: PreparedInput, n: CostNorm, from = 0): Float32Array {
  return gatedMax(smoothedCosts(x, n, from), n, x.T, from);
}
