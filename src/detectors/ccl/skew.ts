// The skew part of CCL's score (issue #14, docs/ccl.md "skew part"): data skew is one TaskManager handling a larger
// share of its jobs' records than its peers. CCL's network keeps the direction of a window, not its level, and a
// skew that ramps up while the daily load rises looks to it like the load; the ratio to the peers does not.
// For each record-rate channel c (named records_in… / records_out…) of a machine with peers, at each row t:
//   r_t,c = ln((x_t,c + ε_c) / (p_t,c + ε_c)),  p = the peers' mean at t (src/detectors/peers.ts), ε_c = 0.1 × the
//   channel's median training level (a low load does not make a ratio of noise);
//   r̃_t,c = median of r over the last K = 8 rows (a skew is sustained; one noisy scrape is not);
//   z_t,c = (r̃_t,c − m_c) / q_c, with m_c, q_c the median and IQR of r̃ over the training rows — the units of the
//   network's part (its residual is standardised by its own training median / IQR);
//   skew_t = max over the channels whose z_t,c reaches the channel's gate g_c = 8·1.4826·MAD_c / q_c (the product's
//   mad:8 rule over the training r̃: beyond anything normal there), −∞ when none does.
// The score is max(network part, skew part): below its gate the skew part leaves the score — and the threshold the
// product sets on training scores — as the network's alone (a machine's slightly larger normal share, the shifts
// around a failover in the training tail do not lift it); above, it must still reach the threshold like any score.
// Only a machine handling MORE than its share counts: its starved peers are not the hotspot.
// With skew 'busy' the part reads busy time too (busy… channels): a hot UDF makes one TaskManager spend more time on
// the same share of records than its peers — its own level, which the network's deviation from the peers (a residual
// of reconstructing that deviation) does not keep either. The TaskManagers it slows down are less busy than their
// peers, so the one-sided rule leaves them out here as well.
import type { PreparedInput } from '../input.js';
import { channelEps, fitRatioStats, gatedMax, peerLogRatios, type RatioStats } from './ratio.js';

export interface SkewNorm extends RatioStats {
  /** Indices of the channels it reads (record rates, with 'busy' busy time). */
  channels: number[];
  eps: number[];
}

/** What the skew part reads: the record rates ('records'), or those and busy time ('busy'). */
export type SkewKind = 'records' | 'busy';

/** The channels among a detector's channels where a TaskManager doing more than its share shows: the record rates
 *  (data skew), with 'busy' also busy time (the same records costing it more). */
export function skewChannels(names: readonly string[], kind: SkewKind): number[] {
  const reads = (n: string): boolean => /records_?(in|out)/i.test(n) || (kind === 'busy' && /busy/i.test(n));
  return names.map((n, i) => (reads(n) ? i : -1)).filter((i) => i >= 0);
}

/** The skew part's normalisation from training input with its peers; null when there is nothing to learn it from
 *  (none of the channels it reads, or no peers). */
export function fitSkew(x: PreparedInput, kind: SkewKind): SkewNorm | null {
  const channels = skewChannels(x.channels, kind);
  if (channels.length === 0 || !x.peer) return null;
  const eps = channels.map((c) => channelEps(x, c));
  const st = fitRatioStats(peerLogRatios(x, channels, eps));
  return st && { channels, eps, ...st };
}

/** (T,) skew part of each row from `from` on; −Infinity where it says nothing (below its gate, peers unknown, before
 *  `from`). */
export function skewScores(x: PreparedInput, n: SkewNorm, from = 0): Float32Array {
  if (!x.peer) return new Float32Array(x.T).fill(-Infinity);
  return gatedMax(peerLogRatios(x, n.channels, n.eps, from), n, x.T, from);
}
