// The cost part of CCL's score (issue #14, docs/ccl.md "Our extension: a cost part"): a hotspot that creeps up — a
// leak, state that grows, a UDF getting slower — makes a machine spend more busy time (and CPU) on each record it
// reads. The daily load moves both together, so the network, which keeps a window's shape and reads the load's rise as
// normal, sees the first hours of such a rise as the load; their ratio does not move with the load.
// For each cost channel c (busy… with 'busy'; busy… and cpu_load with 'cpu') of a machine with a records_in channel:
//   r_t,c = ln((x_t,c + ε_c) / (records_in_t + ε_in)), smoothed, standardised on training and gated as in ratio.ts;
//   cost_t = the largest gated z, −∞ where none reaches its gate.
// A cost per record needs records: a row reading fewer than COST_RECORDS_FLOOR × the training median of records_in (a
// restart, a job that stopped reading) has no cost part — its busy time outlasts its records for a while — nor have the
// rows after it while Flink's records meter fills again (RECORDS_METER_MS: the rate averages a minute, busy time is back
// at once), nor rows whose records or cost were filled in over a gap (no measurement: a lost TaskManager's busy time
// drawn towards its first readings after the restart). Nor has a
// row where the machine reads less than COST_SHARE_FLOOR × its usual share of its peers' records (its training median
// of the smoothed records_in ratio to the peers, src/detectors/peers.ts): a skew elsewhere starves it, and the part of
// its busy time that does not shrink with the records (timers, checkpoints, GC) is then spread over fewer of them. A
// daily trough or a failover moves every machine's records together and leaves the share; a machine without peers, or
// without a training share, keeps the part.
// Levels ('machine', the default since stop 53, or 'pool'): each machine spending its own busy time per record (its
// CPUs, its share of the jobs' operators), a model fitted on a cluster's machines measures each machine's ratio from
// its own training level (the median of its smoothed ratio), the IQR and gate those of these deviations, pooled; or
// one level of the ratio for the pooled training rows. Then a machine the model has no level for has no cost part. A
// series fitted alone is its own level either way.
// The score is max(network part, skew part, cost part). Only a machine spending MORE per record counts: a back-pressured
// one reads the same records with less busy time. Unlike the skew part its evidence is the machine's own metrics (its
// peers only say when it is starved), so it exists for a series scored alone too (`eval`).
import { sliceRows, type PreparedInput } from '../input.js';
import { RATIO_ROWS, channelEps, channelLevel, fitRatioStats, medianOf, gatedMax, peerLogRatios, smoothLogRatios, type RatioStats } from './ratio.js';

/** Rows reading fewer records than this share of their training median have no cost part. */
export const COST_RECORDS_FLOOR = 0.2;

/** What Flink's records rate (numRecordsInPerSecond, a MeterView) averages over: after the records stop — a restart,
 *  a failover — it reads low for this long while busy time is back at once, so the rows within it after a row below
 *  the records floor have no cost part (CostNorm.warmRows). */
export const RECORDS_METER_MS = 60_000;

/** Rows reading less than this share of the machine's usual share of its peers' records have no cost part. */
export const COST_SHARE_FLOOR = 0.8;

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
  /** Rows the records meter takes to fill again (RECORDS_METER_MS at the training's scrape interval, at least 1): a
   *  row with a row below the floor among its last warmRows has no cost part. Absent (saved before it existed): 1. */
  warmRows?: number;
  /** Fitted on a cluster: each machine's training level of r̃ per cost channel (med, iqr and gate are then those of
   *  r̃ − level); absent: one level for every series (med). */
  levels?: Record<string, number[]>;
  /** Where the machine is starved (absent: fitted without peers, or saved before it existed — no starved rows). */
  shares?: Shares;
}

/** What starves a machine: the channels whose share of its peers' mean it keeps (records_in), their ε, and the training
 *  level of each smoothed log share — one per machine of a cluster fit, by name, or `pool` for a series fitted alone
 *  with peers. */
export interface Shares {
  channels: number[];
  eps: number[];
  pool?: number[];
  machines?: Record<string, number[]>;
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

type Reading = Pick<CostNorm, 'channels' | 'eps' | 'records' | 'recordsEps' | 'recordsFloor' | 'warmRows'>;

/** (T,) per cost channel: its smoothed log cost per record of rows `from` on (NaN before them, below the records
 *  floor, and where the machine x names is starved: a share below its training level + ln COST_SHARE_FLOOR). */
function smoothedCosts(x: PreparedInput, n: Reading, from = 0, shares?: Shares): Float32Array[] {
  const { C, values } = x;
  const share = shareOf(shares, x.name);
  const starved = shares && share ? peerLogRatios(x, shares.channels, shares.eps, Math.max(0, from - RATIO_ROWS + 1)) : null;
  const low = share?.map((v) => v + Math.log(COST_SHARE_FLOOR)) ?? [];
  // the last row below the records floor at or before each row (from the earliest a smoothed row reads, less the
  // meter's rows): within warmRows of it the meter still fills
  const warm = n.warmRows ?? 1;
  const start = Math.max(0, from - RATIO_ROWS + 1 - warm + 1);
  const lastLow = new Int32Array(x.T).fill(-1);
  for (let t = start, at = -1; t < x.T; t++) lastLow[t] = at = values[t * C + n.records] < n.recordsFloor ? t : at;
  const filled = x.missing;
  const ratio = (t: number, k: number): number => {
    const r = values[t * C + n.records];
    if ((lastLow[t] >= 0 && t - lastLow[t] < warm) || starved?.some((v, j) => v[t] < low[j])) return NaN;
    // a value filled in over a gap is no measurement (a TaskManager lost: its busy time drawn towards the restart's)
    if (filled && (filled[t * C + n.records] || filled[t * C + n.channels[k]])) return NaN;
    return Math.log((Math.max(0, values[t * C + n.channels[k]]) + n.eps[k]) / (r + n.recordsEps));
  };
  return smoothLogRatios(x.T, n.channels.length, ratio, from);
}

/** The rows [from, to) of x as input of their own (with their peers' rows when x has them from its first row). */
function rowsOf(x: PreparedInput, r: MachineRows): PreparedInput {
  const peer = x.peer && (x.peerFrom ?? 0) === 0 ? x.peer.subarray(r.from * x.C, r.to * x.C) : undefined;
  return { ...sliceRows(x, r.from, r.to), peer, peerFrom: undefined, rows: undefined, name: r.name };
}

/** The training levels of the shares: each machine's of a pooled fit (x.rows), else the series'; undefined without
 *  peers. */
function fitShares(x: PreparedInput, channels: number[]): Shares | undefined {
  if (!x.peer) return undefined;
  const sh = { channels, eps: channels.map((c) => channelEps(x, c)) };
  const levelOf = (y: PreparedInput): number[] | null => {
    const l = peerLogRatios(y, sh.channels, sh.eps).map((v) => medianOf(v));
    return l.some((v) => Number.isNaN(v)) ? null : l;
  };
  if (!x.rows || x.rows.length < 2) {
    const pool = levelOf(x);
    return pool ? { ...sh, pool } : undefined;
  }
  const machines: [string, number[]][] = [];
  for (const m of x.rows) {
    const level = levelOf(rowsOf(x, m));
    if (level) machines.push([m.name, level]);
  }
  return { ...sh, machines: Object.fromEntries(machines) };
}

/** The training share levels of the machine `name` (or of the series fitted alone); undefined: no starved rows. */
function shareOf(shares: Shares | undefined, name: string | undefined): number[] | undefined {
  const m = shares?.machines;
  if (m) return name !== undefined && Object.hasOwn(m, name) ? m[name] : undefined;
  return shares?.pool;
}

/** Where the cost part measures a machine's ratio from: one level for the pool, or each machine's own. */
export type CostLevel = 'pool' | 'machine';

/** The cost part's normalisation from training input; null when its channels are not there. Pooled input of two or
 *  more machines (x.rows) is read machine by machine (their own smoothing, their own share of the peers' records);
 *  with 'machine' each of them gets a level of its own. */
export function fitCost(x: PreparedInput, kind: CostKind, level: CostLevel = 'pool'): CostNorm | null {
  const found = costChannels(x.channels, kind);
  if (!found) return null;
  const { channels, records } = found;
  const eps = channels.map((c) => channelEps(x, c));
  const recordsEps = channelEps(x, records);
  const recordsFloor = COST_RECORDS_FLOOR * channelLevel(x, records);
  const warmRows = x.intervalMs ? Math.max(1, Math.round(RECORDS_METER_MS / x.intervalMs)) : 1;
  const part = { channels, eps, records, recordsEps, recordsFloor, warmRows };
  const shares = fitShares(x, [records]);
  const fitted = { ...part, ...(shares ? { shares } : {}) };
  if (!x.rows || x.rows.length < 2) {
    const st = fitRatioStats(smoothedCosts(x, part, 0, shares));
    return st && { ...fitted, ...st };
  }
  // per machine: its smoothed ratios ('machine': less their median, its level); the statistics of those, pooled
  const levels: [string, number[]][] = [];
  const pooled: Float32Array[] = channels.map(() => new Float32Array(x.T).fill(NaN));
  for (const m of x.rows) {
    const r = smoothedCosts(rowsOf(x, m), part, 0, shares);
    const own = level === 'machine' ? r.map((v) => medianOf(v)) : channels.map(() => 0);
    if (own.some((v) => Number.isNaN(v))) continue; // no row with records: no level, no part for it
    if (level === 'machine') levels.push([m.name, own]);
    r.forEach((v, k) => { for (let t = 0; t < v.length; t++) pooled[k][m.from + t] = v[t] - own[k]; });
  }
  const st = fitRatioStats(pooled);
  return st && { ...fitted, ...st, ...(level === 'machine' ? { levels: Object.fromEntries(levels) } : {}) }; // fromEntries: any name is an own key
}

/** (T,) cost part of each row from `from` on; −Infinity where it says nothing (below its gate, before `from`, a
 *  machine without a level: a model fitted on a cluster reads the level of the machine x names). */
export function costScores(x: PreparedInput, n: CostNorm, from = 0): Float32Array {
  const machine = x.name;
  const level = n.levels && machine !== undefined && Object.hasOwn(n.levels, machine) ? n.levels[machine] : undefined;
  if (n.levels && !level) return new Float32Array(x.T).fill(-Infinity); // no level: no part, nothing to compute
  const r = smoothedCosts(x, n, from, n.shares);
  if (level) r.forEach((v, k) => { for (let t = from; t < x.T; t++) v[t] -= level[k]; });
  return gatedMax(r, n, x.T, from);
}
