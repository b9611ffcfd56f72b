// Online scorer: per-machine ring buffer of the last window; each batch of arriving samples is scored once and only
// the new timestamps' scores are kept; anomalous runs become typed, explained segments fed to the incident tracker
// (task brief "watch", "Hotspot typing", "Explanation"). The scoring function is the detector's `score`
// (e.g. `(s) => detector.score(s)`), so any registered detector kind works.

import type { Series } from '../core/series.js';
import { RingBuffer } from './ring.js';
import { typeSegment, TypingError } from './typing.js';
import type { HotspotType, Incident } from '../core/incident.js';
import { contributionsFrom, baselineLevels, type BaselineLevels, type Contribution } from './explain.js';
import type { IncidentTracker } from './incidents.js';

export interface OnlineConfig {
  channels: string[];
  /** Window length the detector scores, in samples. Default 64. */
  window?: number;
  threshold: number;
  /** Normal points tolerated inside one segment. Default 2. */
  maxGap?: number;
  /** Anomalous points (within maxGap of each other) needed before a segment becomes an incident. Default 2:
   *  a single noisy sample above the threshold does not page anyone. */
  minPoints?: number;
  score: (s: Series) => Float32Array;
  /** Optional: scores several machines' windows at once (a batched forward); must agree with `score`. */
  scoreMany?: (s: Series[]) => Float32Array[];
}

export interface ScoredPoint {
  t: number;
  score: number;
}

interface OpenSegment {
  onset: number;
  lastHit: number;
  gap: number;
  peak: number;
  rows: number[]; // (n, C) values of the anomalous run
  baseline: Float32Array; // (B, C) window before the onset
  incident: Incident;
}

/** A machine's scorer state apart from its window (which a restart rebuilds from the stored samples up to `cursor`). */
export interface MachineState {
  /** Timestamp of the newest sample scored. */
  cursor: number;
  /** Rows and baseline of the machine's last closed segment, for typing a later segment of the same incident. */
  closed?: { incidentId: string; rows: number[]; baseline: number[] } | null;
  open: { onset: number; lastHit: number; gap: number; peak: number; rows: number[]; baseline: number[]; incidentId: string; incident?: undefined } | null;
  candidate?: Candidate | null;
}

/** Anomalous points seen but not yet enough to open an incident. */
interface Candidate {
  onset: number;
  hits: number;
  gap: number;
  peak: number;
  rows: number[];
  baseline: number[];
}

const BP = /backpressur/i;
/** A back-pressured-time metric counts as back-pressured above 20 % of the time (200 ms/s, or 0.2 as a fraction). */
const bpLimit = (name: string): number => (/ms_per_s|MsPerSecond/i.test(name) ? 200 : 0.2);

export class OnlineScorer {
  private readonly rings = new Map<string, RingBuffer>();
  private readonly open = new Map<string, OpenSegment>();
  private readonly candidates = new Map<string, Candidate>();
  readonly explanations = new Map<string, Contribution[]>();
  /** Per machine: the last closed segment's rows and baseline, so an incident is typed on all its segments. */
  private readonly closed = new Map<string, { incidentId: string; rows: number[]; baseline: Float32Array }>();
  /** Baseline levels of open segments, by their baseline array. */
  private readonly levels = new WeakMap<Float32Array, BaselineLevels>();
  private readonly dirty = new Set<string>();
  private readonly window: number;
  private readonly maxGap: number;
  private readonly minPoints: number;

  constructor(private readonly cfg: OnlineConfig, private readonly tracker: IncidentTracker) {
    this.window = cfg.window ?? 64;
    this.maxGap = cfg.maxGap ?? 2;
    this.minPoints = cfg.minPoints ?? 2;
    if (!Number.isInteger(this.window) || this.window < 2) throw new RangeError(`window must be an integer ≥ 2 (got ${this.window})`);
    if (!Number.isFinite(cfg.threshold)) throw new RangeError(`threshold must be finite (got ${cfg.threshold})`);
  }

  private ring(machine: string): RingBuffer {
    let r = this.rings.get(machine);
    if (!r) this.rings.set(machine, (r = new RingBuffer(this.window, this.cfg.channels.length)));
    return r;
  }

  /** A new model version (same channels): later points are scored by `score` against `threshold`. */
  setModel(score: OnlineConfig['score'], threshold: number, scoreMany?: OnlineConfig['scoreMany']): void {
    if (!Number.isFinite(threshold)) throw new RangeError(`threshold must be finite (got ${threshold})`);
    this.cfg.score = score;
    this.cfg.scoreMany = scoreMany;
    this.cfg.threshold = threshold;
  }

  /** Per-machine state (JSON-able, without the window) to persist; restore with `restore` after a restart. */
  saveState(machine: string): MachineState | null {
    const r = this.rings.get(machine);
    if (!r) return null;
    const seg = this.open.get(machine);
    return {
      cursor: r.lastTimestamp,
      open: seg ? { ...seg, baseline: Array.from(seg.baseline), incidentId: seg.incident.id, incident: undefined } : null,
      candidate: this.candidates.get(machine) ?? null,
      closed: this.closed.has(machine) ? { ...this.closed.get(machine)!, baseline: Array.from(this.closed.get(machine)!.baseline) } : null,
    };
  }

  /**
   * Restores a machine's saved state: `window` holds the stored rows up to the saved cursor (timestamps (n,), values
   * (n, C), the newest `window` of them are kept); its open segment re-attaches to the tracker's incident of the same id.
   */
  restore(machine: string, st: MachineState, window: { timestamps: ArrayLike<number>; values: ArrayLike<number> }): void {
    const C = this.cfg.channels.length;
    if (window.values.length !== window.timestamps.length * C) throw new RangeError(`${machine}: restored window has ${window.values.length} values for ${window.timestamps.length} rows × ${C} channels`);
    const r = new RingBuffer(this.window, C);
    for (let i = 0; i < window.timestamps.length; i++) if (window.timestamps[i] <= st.cursor) r.push(window.timestamps[i], Array.prototype.slice.call(window.values, i * C, i * C + C) as number[]);
    if (r.lastTimestamp !== st.cursor) throw new RangeError(`${machine}: the stored samples end at ${r.lastTimestamp}, not at the saved cursor ${st.cursor} (were samples deleted?)`);
    this.rings.set(machine, r);
    if (st.candidate) this.candidates.set(machine, { ...st.candidate });
    if (st.closed) this.closed.set(machine, { ...st.closed, baseline: Float32Array.from(st.closed.baseline) });
    if (st.open) {
      const incident = this.tracker.incidents.find((i) => i.id === st.open!.incidentId);
      if (incident && incident.state !== 'resolved') {
        const { incidentId: _id, incident: _i, ...rest } = st.open;
        this.open.set(machine, { ...rest, baseline: Float32Array.from(st.open.baseline), incident });
      }
    }
  }

  /** Fills a new machine's window with rows that are context only (not scored): timestamps (n,), values (n, C). */
  prime(machine: string, timestamps: ArrayLike<number>, values: ArrayLike<number>): void {
    const C = this.cfg.channels.length;
    if (values.length !== timestamps.length * C) throw new RangeError(`${machine}: ${values.length} values for ${timestamps.length} rows × ${C} channels`);
    const r = this.ring(machine);
    for (let i = 0; i < timestamps.length; i++) r.push(timestamps[i], Array.prototype.slice.call(values, i * C, i * C + C) as number[]);
  }

  /** Timestamp of the newest sample seen for a machine (-Infinity if none): samples at or before it are skipped. */
  lastTimestamp(machine: string): number {
    return this.rings.get(machine)?.lastTimestamp ?? -Infinity;
  }

  /** Ingests samples (timestamps (n,), values (n, C)) of one machine; returns the scores of the new timestamps only. */
  ingest(machine: string, timestamps: ArrayLike<number>, values: ArrayLike<number>): ScoredPoint[] {
    const C = this.cfg.channels.length;
    if (values.length !== timestamps.length * C) throw new RangeError(`${machine}: ${values.length} values for ${timestamps.length} timestamps × ${C} channels`);
    const ring = this.ring(machine);
    const out: ScoredPoint[] = [];
    let pending = 0;
    const flush = () => {
      if (pending === 0) return;
      const snap = ring.snapshot();
      const s = this.cfg.score({ name: machine, timestamps: snap.timestamps, channels: this.cfg.channels, values: snap.values });
      for (let i = snap.timestamps.length - pending; i < snap.timestamps.length; i++) {
        const p = { t: snap.timestamps[i], score: s[i] };
        out.push(p);
        this.track(machine, p, snap.values.subarray(i * C, i * C + C), snap.values.subarray(0, i * C));
      }
      pending = 0;
    };
    for (let k = 0; k < timestamps.length; k++) {
      if (pending === this.window - 1) flush();
      if (ring.push(timestamps[k], Array.prototype.slice.call(values, k * C, k * C + C) as number[])) pending++;
    }
    flush();
    return out;
  }

  /**
   * Ingests one scrape for many machines: every machine's window is scored in one batched call when `scoreMany` is
   * given (what makes a 10 000-machine cluster cheap); a machine delivering a window or more at once goes through
   * `ingest`. Same points and incidents as calling `ingest` machine by machine.
   */
  ingestMany(items: { machine: string; timestamps: ArrayLike<number>; values: ArrayLike<number> }[]): Map<string, ScoredPoint[]> {
    const C = this.cfg.channels.length;
    const out = new Map<string, ScoredPoint[]>();
    const waiting: { machine: string; snap: { timestamps: Float64Array; values: Float32Array }; pending: number }[] = [];
    for (const it of items) {
      if (!this.cfg.scoreMany || it.timestamps.length >= this.window) {
        out.set(it.machine, this.ingest(it.machine, it.timestamps, it.values));
        continue;
      }
      if (it.values.length !== it.timestamps.length * C) throw new RangeError(`${it.machine}: ${it.values.length} values for ${it.timestamps.length} timestamps × ${C} channels`);
      const ring = this.ring(it.machine);
      let pending = 0;
      for (let k = 0; k < it.timestamps.length; k++) if (ring.push(it.timestamps[k], Array.prototype.slice.call(it.values, k * C, k * C + C) as number[])) pending++;
      if (pending === 0) out.set(it.machine, []);
      else waiting.push({ machine: it.machine, snap: ring.snapshot(), pending });
    }
    if (waiting.length === 0) return out;
    const scores = this.cfg.scoreMany!(waiting.map((w) => ({ name: w.machine, timestamps: w.snap.timestamps, channels: this.cfg.channels, values: w.snap.values })));
    waiting.forEach(({ machine, snap, pending }, j) => {
      const pts: ScoredPoint[] = [];
      for (let i = snap.timestamps.length - pending; i < snap.timestamps.length; i++) {
        const p = { t: snap.timestamps[i], score: scores[j][i] };
        pts.push(p);
        this.track(machine, p, snap.values.subarray(i * C, i * C + C), snap.values.subarray(0, i * C));
      }
      out.set(machine, pts);
    });
    return out;
  }

  /** Machines whose segment state (candidate, open, closed) changed since `clean` was last called for them. */
  get changed(): ReadonlySet<string> {
    return this.dirty;
  }

  /** Marks machines' segment state as persisted. */
  clean(machines: Iterable<string>): void {
    for (const m of machines) this.dirty.delete(m);
  }

  private track(machine: string, p: ScoredPoint, row: ArrayLike<number>, before: Float32Array): void {
    const seg = this.open.get(machine);
    if (seg || p.score >= this.cfg.threshold || this.candidates.has(machine)) this.dirty.add(machine);
    if (p.score >= this.cfg.threshold) {
      if (seg) {
        seg.lastHit = p.t;
        seg.gap = 0;
        seg.peak = Math.max(seg.peak, p.score);
        seg.rows.push(...Array.from(row));
        seg.incident.lastSeen = Math.max(seg.incident.lastSeen, p.t);
        seg.incident.peak = Math.max(seg.incident.peak, p.score);
      } else {
        const c = this.candidates.get(machine) ?? { onset: p.t, hits: 0, gap: 0, peak: p.score, rows: [], baseline: Array.from(before) };
        c.hits++;
        c.gap = 0;
        c.peak = Math.max(c.peak, p.score);
        c.rows.push(...Array.from(row));
        if (c.hits < this.minPoints) {
          this.candidates.set(machine, c);
          return;
        }
        this.candidates.delete(machine);
        const incident = this.tracker.addSegment({ machine, type: 'spike', onset: c.onset, end: p.t, peak: c.peak });
        // a segment that joins the incident of the machine's previous one is typed together with it, against the
        // baseline from before the incident began (a slow rise detected in pieces is still one rise)
        const prev = this.closed.get(machine);
        const joined = prev && prev.incidentId === incident.id;
        this.open.set(machine, {
          onset: joined ? incident.onset : c.onset, lastHit: p.t, gap: 0, peak: c.peak,
          rows: joined ? prev.rows.concat(c.rows) : c.rows, baseline: joined ? prev.baseline : Float32Array.from(c.baseline), incident,
        });
      }
      this.classify(machine);
    } else if (!seg) {
      const c = this.candidates.get(machine);
      if (c && ++c.gap > this.maxGap) this.candidates.delete(machine);
    } else if (++seg.gap > this.maxGap) {
      this.classify(machine, Array.from(row));
      this.open.delete(machine);
      this.closed.set(machine, { incidentId: seg.incident.id, rows: seg.rows, baseline: seg.baseline });
    }
  }

  /** (Re)types the machine's open segment on its top-contributing metric; `after` (C,) closes it. */
  private classify(machine: string, after?: number[]): void {
    const seg = this.open.get(machine)!;
    const C = this.cfg.channels.length;
    if (seg.baseline.length < 3 * C) return; // not enough history yet to type against
    // the baseline is fixed while the segment is open (and shared by the segments of one incident): its levels are
    // computed once, not at every scored point (medians of 10 000 machines' baselines were a fifth of a scrape round)
    let levels = this.levels.get(seg.baseline);
    if (!levels) this.levels.set(seg.baseline, (levels = baselineLevels(C, seg.baseline)));
    const contrib = contributionsFrom(this.cfg.channels, levels, seg.rows);
    this.explanations.set(seg.incident.id, contrib);
    const c = this.cfg.channels.indexOf(contrib[0].name);
    const n = seg.rows.length / C;
    const col = (a: ArrayLike<number>) => Array.from({ length: a.length / C }, (_, i) => a[i * C + c]);
    const bpCols = this.cfg.channels.map((name, i) => (BP.test(name) ? i : -1)).filter((i) => i >= 0);
    let bp = 0;
    for (let i = 0; i < n; i++) if (bpCols.some((j) => seg.rows[i * C + j] > bpLimit(this.cfg.channels[j]))) bp++;
    try {
      const typed = typeSegment({
        timestamps: Array.from({ length: n }, (_, i) => seg.onset + i),
        values: col(seg.rows),
        before: col(seg.baseline),
        after: after ? [after[c], after[c], after[c]] : undefined,
        backpressureShare: bpCols.length ? bp / n : 0,
      });
      seg.incident.type = typed.type as HotspotType;
    } catch (e) {
      if (!(e instanceof TypingError)) throw e;
    }
  }
}
