// The cost part of CCL's score (issue #14, docs/ccl.md "Our extension: a cost part"): a hotspot that creeps up — a
// leak, state that grows, a UDF getting slower — makes a machine spend more busy time (and CPU) on each record it
// reads. The daily load moves both together, so the network, which keeps a window's shape and reads the load's rise as
// normal, sees the first hours of such a rise as the load; their ratio does not move with the load.
// For each cost channel c (busy… with 'busy'; busy… and cpu_load with 'cpu') of a machine with a records_in channel:
//   r_t,c = ln((x_t,c + ε_c) / (records_in_t + ε_in)), smoothed, standardised on training and gated as in ratio.ts;
//   cost_t = the largest gated z, −∞ where none reaches its gate.
// A cost per record needs records: a row reading fewer than COST_RECORDS_FLOOR × the training median of records_in (a
// restart, a job that stopped reading) has no cost part — its busy time outlasts its records for a while.
// Levels ('pool', the default, or 'machine'): one level of the ratio for the pooled training rows, or — each machine
// spending its own busy time per record (its CPUs, its share of the jobs' operators) — fitted on a cluster's machines,
// each machine's ratio measured from its own training level (the median of its smoothed ratio), the IQR and gate
// those of these deviations, pooled. Then a machine the model has no level for has no cost part. A series fitted
// alone is its own level either way.
// The score is max(network part, skew part, cost part). Only a machine spending MORE per record counts: a back-pressured
// one reads the same records with less busy time. Unlike the skew part it reads the machine's own metrics only, so it
// exists for a series scored alone too (`eval`).
import type { PreparedInput } from '../input.js';
import { channelEps, channelLevel, fitRatioStats, medianOf, gatedMax, smoothLogRatios, type RatioStats } from './ratio.js';

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
  /** Fitted on a cluster: each machine's training level of r̃ per cost channel (med, iqr and gate are then those of
   *  r̃ − level); absent: one level for every series (med). */
  levels?: Record<string, number[]>;
}

/** A machine's rows in pooled training input: [from, to). */
export type MachineRows = NonNullable<PreparedInput['rows']>[number];

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

/** The rows [from, to) of x as input of their own. */
const rowsOf = (x: PreparedInput, r: MachineRows): PreparedInput => ({ ...x, T: r.to - r.from, values: x.values.subarray(r.from * x.C, r.to * x.C), peer: undefined, peerFrom: undefined, rows: undefined, name: r.name });

/** Where the cost part measures a machine's ratio from: one level for the pool, or each machine's own. */
export type CostLevel = 'pool' | 'machine';

/** The cost part's normalisation from training input; null when its channels are not there. With 'machine', pooled
 *  input of two or more machines (x.rows) gives each machine a level of its own. */
export function fitCost(x: PreparedInput, kind: CostKind, level: CostLevel = 'pool'): CostNorm | null {
  const machines = level === 'machine' ? x.rows : undefined;
  const found = costChannels(x.channels, kind);
  if (!found) return null;
  const { channels, records } = found;
  const eps = channels.map((c) => channelEps(x, c));
  const recordsEps = channelEps(x, records);
  const recordsFloor = COST_RECORDS_FLOOR * channelLevel(x, records);
  const part = { channels, eps, records, recordsEps, recordsFloor };
  if (!machines || machines.length < 2) {
    const st = fitRatioStats(smoothedCosts(x, part));
    return st && { ...part, ...st };
  }
  // per machine: its smoothed ratios less their median; the statistics of those deviations, pooled
  const levels: [string, number[]][] = [];
  const deviations: Float32Array[] = channels.map(() => new Float32Array(x.T).fill(NaN));
  for (const m of machines) {
    const r = smoothedCosts(rowsOf(x, m), part);
    const level = r.map((v) => medianOf(v));
    if (level.some((v) => Number.isNaN(v))) continue; // no row with records: no level, no part for it
    levels.push([m.name, level]);
    r.forEach((v, k) => { for (let t = 0; t < v.length; t++) deviations[k][m.from + t] = v[t] - level[k]; });
  }
  const st = fitRatioStats(deviations);
  return st && { ...part, ...st, levels: Object.fromEntries(levels) }; // fromEntries: any name is an own key
}

/** (T,) cost part of each row from `from` on; −Infinity where it says nothing (below its gate, before `from`, a
 *  machine without a level: a model fitted on a cluster reads the level of the machine x names). */
export function costScores(x: PreparedInput, n: CostNorm, from = 0): Float32Array {
  const r = smoothedCosts(x, n, from);
  if (n.levels) {
    const machine = x.name;
    const level = machine !== undefined && Object.hasOwn(n.levels, machine) ? n.levels[machine] : undefined;
    if (!level) return new Float32Array(x.T).fill(-Infinity);
    r.forEach((v, k) => { for (let t = from; t < x.T; t++) v[t] -= level[k]; });
  }
  return gatedMax(r, n, x.T, from);
}
