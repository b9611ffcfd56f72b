// Alarm levels per machine: `high` opens an incident, `low` keeps an open one alive (hysteresis: one episode is one
// incident even when its score dips). Two policies behind one interface:
//  - fixed: one threshold from a rule over training scores (mad:k, pNN, pot) for every machine;
//  - budget: the operator's false-alarm budget (pages per machine-day) turned into a per-machine threshold by a
//    peaks-over-threshold fit of that machine's training scores, updated online with its new normal scores (SPOT,
//    Siffer et al., KDD 2017; docs/ccl.md "false-alarm budget" has the derivation).
// Budget → risk: an incident needs minPoints exceedances close together, and exceedances come in clusters, so pages
// per day = q · N_day · θ, where N_day is scored points per day and θ the pages per exceedance seen in training at
// the initial level (the runs estimator of the extremal index, with the product's own grouping). So q = B/(N_day·θ).
// The state of a machine is five numbers (the GPD is fitted by the method of moments on running sums), persisted
// with the scorer's state so a restart keeps it.
import { median, quantileSorted, sortedFinite } from '../core/stats.js';

export interface AlarmLevels {
  /** e.g. 'mad:8', 'budget:1/day'. */
  readonly rule: string;
  high(machine: string): number;
  low(machine: string): number;
  /** A scored point of a machine outside any incident (normal operation): the online update. True when the state
   *  changed enough to be worth persisting now (a restart may lose the small changes in between). */
  observe(machine: string, score: number): boolean;
  /** JSON-able per-machine state (null: nothing per machine). */
  save(machine: string): unknown;
  restore(machine: string, state: unknown): void;
}

export { PERSIST_POINTS, persistPoints } from '../core/units.js';

/** Where `low` sits between the median training score and `high`. */
export const LOW_FRACTION = 0.5;

export class FixedLevels implements AlarmLevels {
  private readonly lo: number;
  /** `median`: of the training scores (the low level is LOW_FRACTION of the way from it to the threshold); omit
   *  it for no hysteresis (low = high). */
  constructor(readonly threshold: number, readonly rule: string, median?: number, lowFraction = LOW_FRACTION) {
    if (!Number.isFinite(threshold)) throw new RangeError(`threshold must be finite (got ${threshold})`);
    this.lo = median === undefined || !Number.isFinite(median) || median >= threshold ? threshold : median + lowFraction * (threshold - median);
  }
  high(_machine?: string): number {
    return this.threshold;
  }
  low(_machine?: string): number {
    return this.lo;
  }
  observe(_machine?: string, _score?: number): boolean {
    return false;
  }
  save(): unknown {
    return null;
  }
  restore(): void {}
}

/** What training says about one machine's score tail (kept in the model artifact). */
export interface TailSummary {
  /** Normal training points the tail is taken from. */
  n: number;
  median: number;
  /** The highest scores (≥ the initial level), descending. */
  top: number[];
  /** Pages per exceedance of the initial level in training (extremal index with the product's grouping). */
  theta: number;
}

export interface TailOptions {
  /** Quantile of the training scores above which excesses are fitted. Default 0.98. */
  initialQuantile?: number;
  /** Exceedances needed to open an incident (OnlineScorer minPoints). Default 2. */
  minPoints?: number;
  /** Points apart beyond which exceedances are separate episodes (the incident's quiet period). */
  quietPoints: number;
  /** Suspected contamination: runs at or above `contaminationLevel` (gaps ≤ quietPoints bridged) lasting at least
   *  this many points are left out of the tail fit, with quietPoints around them (a hotspot in the training history
   *  is not normal behaviour). */
  longPoints: number;
  contaminationLevel: number;
}

/** The machine's tail summary from its (trailing) training scores, in time order. */
export function tailSummary(scores: ArrayLike<number>, o: TailOptions): TailSummary {
  const T = scores.length;
  const keep = new Uint8Array(T).fill(1);
  // suspected contamination: long runs above the robust level
  for (let i = 0; i < T;) {
    if (!(scores[i] >= o.contaminationLevel)) {
      i++;
      continue;
    }
    let j = i;
    let last = i;
    while (j < T && j - last <= o.quietPoints) {
      if (scores[j] >= o.contaminationLevel) last = j;
      j++;
    }
    if (last - i + 1 >= o.longPoints) keep.fill(0, Math.max(0, i - o.quietPoints), Math.min(T, last + o.quietPoints + 1));
    i = last + 1;
  }
  const kept: number[] = [];
  for (let i = 0; i < T; i++) if (keep[i] && Number.isFinite(scores[i])) kept.push(scores[i]);
  const sorted = sortedFinite(kept);
  const t = quantileSorted(sorted, o.initialQuantile ?? 0.98);
  // pages per exceedance of t: episodes (exceedances ≤ quietPoints apart) with ≥ minPoints exceedances
  let exceed = 0, pages = 0, inEpisode = 0, lastHit = -Infinity;
  const close = (): void => {
    if (inEpisode >= (o.minPoints ?? 2)) pages++;
    inEpisode = 0;
  };
  for (let i = 0; i < T; i++) {
    if (!keep[i] || !(scores[i] > t)) continue;
    if (i - lastHit > o.quietPoints) close();
    exceed++;
    inEpisode++;
    lastHit = i;
  }
  close();
  const top: number[] = [];
  for (let i = sorted.length - 1; i >= 0 && sorted[i] >= t && top.length < 2000; i--) top.push(+sorted[i].toPrecision(6));
  return { n: sorted.length, median: median(sorted), top, theta: exceed ? pages / exceed : 1 };
}

/** Per-machine SPOT state: the initial level t, normal points seen n, and the excesses' running sums. */
interface Spot {
  t: number;
  n: number;
  k: number;
  s1: number;
  s2: number;
  med: number;
}

/** The GPD quantile z with P(score > z) = q from the excesses over t (method of moments). */
export function potLevel(st: Spot, q: number): number {
  if (st.k < 5) return st.t;
  const m = st.s1 / st.k;
  const v = Math.max(st.s2 / st.k - m * m, 1e-12);
  const gamma = 0.5 * (1 - (m * m) / v);
  const sigma = 0.5 * m * ((m * m) / v + 1);
  const r = (q * st.n) / st.k; // < 1 when the asked risk is beyond the initial level
  if (r >= 1) return st.t;
  const z = Math.abs(gamma) < 1e-6 ? st.t - sigma * Math.log(r) : st.t + (sigma / gamma) * (Math.pow(r, -gamma) - 1);
  return Number.isFinite(z) ? z : st.t;
}

export interface BudgetOptions {
  /** False pages per machine-day the operator accepts. */
  perDay: number;
  /** Scrape interval (one scored point per machine per interval). */
  intervalMs: number;
  lowFraction?: number;
  /** Which training tail a machine starts from: its own, the cluster's (all machines pooled), or the higher of the
   *  two levels ('max', the default: a short history holds few of a machine's rare normal events). */
  start?: 'machine' | 'cluster' | 'max';
}

/** The false-alarm budget as per-machine thresholds, updated online (SPOT). */
export class AlarmBudget implements AlarmLevels {
  readonly rule: string;
  /** Per-point risk q at which each machine's threshold sits. */
  readonly risk: number;
  private readonly spots = new Map<string, Spot>();
  private readonly cache = new Map<string, number>();
  private readonly fallback: Spot;

  /** From the tails of the machines' training scores (a machine not among them gets the pooled tail). */
  constructor(tails: Record<string, TailSummary>, readonly o: BudgetOptions) {
    if (!(o.perDay > 0 && Number.isFinite(o.perDay))) throw new RangeError(`false-alarm budget must be a positive number of pages per machine-day (got ${o.perDay})`);
    if (!(o.intervalMs > 0)) throw new RangeError(`scrape interval must be > 0 ms (got ${o.intervalMs})`);
    const names = Object.keys(tails);
    if (names.length === 0) throw new RangeError('a false-alarm budget needs the machines\' training-score tails (retrain the model with this flinkscope)');
    this.rule = `budget:${o.perDay}/day`;
    // θ pooled over machines (one machine's training holds few episodes)
    const thetas = names.map((m) => tails[m].theta).filter((x) => x > 0);
    const theta = Math.min(1, Math.max(0.02, thetas.length ? median(thetas) : 1));
    this.risk = o.perDay / ((86_400_000 / o.intervalMs) * theta);
    // the cluster's tail (all machines pooled): the start of machines the model has not seen, and of all with 'cluster'
    const all = names.flatMap((m) => tails[m].top).sort((a, b) => b - a);
    const n = names.reduce((a, m) => a + tails[m].n, 0);
    const k = Math.max(1, Math.round(n * 0.02));
    this.fallback = spotOf({ n, median: median(names.map((m) => tails[m].median)), top: all.slice(0, k), theta });
    const start = o.start ?? 'max';
    const clusterLevel = potLevel(this.fallback, this.risk);
    for (const m of names) {
      const own = spotOf(tails[m]);
      const useCluster = start === 'cluster' || (start === 'max' && potLevel(own, this.risk) < clusterLevel);
      this.spots.set(m, useCluster ? { ...this.fallback, med: own.med } : own);
    }
  }

  private spot(machine: string): Spot {
    let s = this.spots.get(machine);
    if (!s) this.spots.set(machine, (s = { ...this.fallback }));
    return s;
  }

  high(machine: string): number {
    let z = this.cache.get(machine);
    if (z === undefined) this.cache.set(machine, (z = potLevel(this.spot(machine), this.risk)));
    return z;
  }

  low(machine: string): number {
    const s = this.spot(machine);
    const h = this.high(machine);
    return s.med >= h ? h : s.med + (this.o.lowFraction ?? LOW_FRACTION) * (h - s.med);
  }

  observe(machine: string, score: number): boolean {
    if (!Number.isFinite(score) || score >= this.high(machine)) return false; // alarms are not normal behaviour
    const s = this.spot(machine);
    s.n++; // the level depends on n too (q·n/k)
    this.cache.delete(machine);
    if (!(score > s.t)) return s.n % 60 === 0; // n alone moves the level slowly
    const y = score - s.t;
    s.k++;
    s.s1 += y;
    s.s2 += y * y;
    return true;
  }

  save(machine: string): unknown {
    return this.spots.has(machine) ? { ...this.spots.get(machine)! } : null;
  }

  restore(machine: string, state: unknown): void {
    const s = state as Partial<Spot> | null;
    if (!s || ![s.t, s.n, s.k, s.s1, s.s2, s.med].every((v) => typeof v === 'number' && Number.isFinite(v))) return; // keep the trained tail
    this.spots.set(machine, s as Spot);
    this.cache.delete(machine);
  }
}

function spotOf(tail: TailSummary): Spot {
  const t = tail.top.length ? tail.top[tail.top.length - 1] : tail.median;
  let k = 0, s1 = 0, s2 = 0;
  for (const v of tail.top) {
    if (!(v > t)) continue;
    k++;
    s1 += v - t;
    s2 += (v - t) ** 2;
  }
  return { t, n: tail.n, k, s1, s2, med: tail.median };
}

/** Parses a budget such as '1/day', '0.5/day', '3/week', '2/d'. */
export function parseBudget(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(day|d|week|w|hour|h)\s*$/i.exec(s);
  if (!m) throw new Error(`false-alarm budget '${s}' is not N/day, N/week or N/hour (pages per machine), e.g. 1/day`);
  const v = Number(m[1]);
  if (!(v > 0)) throw new Error(`false-alarm budget '${s}' must be more than 0 pages`);
  const unit = m[2][0].toLowerCase();
  return unit === 'w' ? v / 7 : unit === 'h' ? v * 24 : v;
}
