// Online scorer: per-machine ring buffer of the recent samples; every new sample is scored once, at the end of its
// own window (Detector.scoreTrailing: a score never depends on how samples were batched), all machines of a scrape
// in one batched call with their peers as context; anomalous runs become typed, explained segments fed to the
// incident tracker (task brief "watch", "Hotspot typing", "Explanation"). Per-machine alarm levels
// (src/inspect/levels.ts): a run opens at `high` and stays open while the score is at or above `low` (hysteresis);
// normal points update the levels online.

import type { Series } from '../core/series.js';
import { RingBuffer } from './ring.js';
import { typeSegment, TypingError } from './typing.js';
import { RENEWALS_KEPT, type Breach, type HotspotType, type Incident, type Renewal } from '../core/incident.js';
import { joinRows, keepRow, type KeptRows } from './kept-rows.js';
import { contributionsFrom, baselineLevels, type BaselineLevels, type Contribution } from './explain.js';
import type { IncidentTracker } from './incidents.js';
import type { PeerGroups } from '../core/peers.js';
import { FixedLevels, type AlarmLevels } from './levels.js';
import { leadingMetric, timeToBreach } from './breach.js';
import { inUnits } from '../core/units.js';

/** Scores the last `last[i]` rows of each series at the end of their windows (Detector.scoreTrailing); groups over
 *  the list, whose last `context` series are peers given as context only. */
export type TrailingScorer = (xs: Series[], last: number[], groups?: PeerGroups, context?: number) => Float32Array[];

export interface OnlineConfig {
  channels: string[];
  /** Window length the detector scores, in samples. Default 64. */
  window?: number;
  /** Per-machine alarm levels; or `threshold`: one level for all, no hysteresis. */
  levels?: AlarmLevels;
  threshold?: number;
  /** Normal points tolerated inside one segment. Default 2. */
  maxGap?: number;
  /** Anomalous points (within candidateGap of each other) needed before a segment becomes an incident. Default 2:
   *  a single noisy sample above the threshold does not page anyone. */
  minPoints?: number;
  /** Normal points tolerated between those first anomalous points. Default maxGap; 0 = they must be consecutive
   *  (persistence: the product's alarm statistic is then the minimum of the last minPoints scores). */
  candidateGap?: number;
  /** Consecutive points at or above the LOW level that open an incident too (0 = off, the default): a hotspot that
   *  lifts the score steadily but not quite to the opening level (a plateau on the machine that back-pressures
   *  others) is found once it has lasted this long. Hysteresis has to be on (low < high) for it to matter. */
  sustainPoints?: number;
  /** The detector's trailing scorer; or `score`, a pointwise scoring function of a whole series (tests). */
  scoreTrailing?: TrailingScorer;
  score?: (s: Series) => Float32Array;
  /** Peer groups of a list of machines (from the placement); absent: no peer context. */
  peers?: (machines: string[]) => PeerGroups;
  /** Operator limits per metric (`--slo latency_ms=500`): open incidents whose leading metric rises towards its
   *  limit carry a time-to-breach estimate (src/inspect/breach.ts). */
  slo?: Record<string, number>;
  /** Recent points the breach line is fitted on. Default 30. */
  breachPoints?: number;
}

export interface ScoredPoint {
  t: number;
  score: number;
}

interface OpenSegment extends KeptRows {
  onset: number;
  /** Where this segment itself began (`onset` is the incident's for a segment that joined one); absent in states
   *  saved before it (such a segment never renews its incident). */
  since?: number;
  /** For a segment that joined an incident: how long the incident had been quiet before it (ms). */
  quietMs?: number;
  /** Consecutive points below the opening level since the segment's last point at it (a dip that did not close the
   *  segment), when the dip began, and the metric that led the points at the opening level just before it (explain.ts,
   *  against the segment's baseline); absent in states saved before them. */
  below?: number;
  dipSince?: number;
  dipLead?: string;
  /** A rise after a dip of at least the persistence: its first point at the opening level, the dip's length, and what
   *  led before the dip. Judged once, when a run from there meets the persistence rule (`renew`), then dropped. */
  rise?: { since: number; dipMs: number; leadBefore?: string };
  lastHit: number;
  gap: number;
  peak: number;
  rows: number[]; // (n, C) values of the anomalous run, a bounded sample of it (kept-rows.ts)
  baseline: Float32Array; // (B, C) window before the onset
  incident: Incident;
}

/** A machine's scorer state apart from its window (which a restart rebuilds from the stored samples up to `cursor`). */
export interface MachineState {
  /** Timestamp of the newest sample scored. */
  cursor: number;
  /** Rows and baseline of the machine's last closed segment, for typing a later segment of the same incident. */
  closed?: ({ incidentId: string; baseline: number[] } & KeptRows) | null;
  /** The open segment as saved: its fields, with the baseline as a plain array and the incident by id. */
  open: (Omit<OpenSegment, 'baseline' | 'incident'> & { baseline: number[]; incidentId: string; incident?: undefined }) | null;
  candidate?: Candidate | null;
  /** The machine's alarm-level state (e.g. its SPOT tail), when the levels keep one. */
  levels?: unknown;
  /** Timestamps of the current runs of consecutive points at the opening (high) and keep-open (low) levels, at most
   *  as many as the opening rule counts; absent in states saved before them. */
  runs?: Runs | null;
}

/** The last points of the current consecutive runs at the opening and at the keep-open level (their timestamps), and
 *  where each run began (its first point; absent in states saved before them, and while the run is empty). */
interface Runs {
  high: number[];
  low: number[];
  highSince?: number;
  lowSince?: number;
}

/** Anomalous points seen but not yet enough to open an incident. */
interface Candidate extends KeptRows {
  onset: number;
  /** Consecutive points at or above the opening level (persistence counts these). */
  hits: number;
  /** Consecutive points at or above the low level (sustainPoints counts these); absent in states saved before it. */
  run?: number;
  gap: number;
  peak: number;
  /** The peak in units of the levels its points were judged against (absent in states saved before it). */
  peakUnits?: number;
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
  private readonly runs = new Map<string, Runs>();
  readonly explanations = new Map<string, Contribution[]>();
  /** Incident id → its current time-to-breach estimate (only open incidents rising towards a limit). */
  readonly breaches = new Map<string, Breach>();
  private readonly firstWarned = new Map<string, number>();
  /** Per machine: the last closed segment's rows and baseline, so an incident is typed on all its segments. */
  private readonly closed = new Map<string, { incidentId: string; baseline: Float32Array } & KeptRows>();
  /** Baseline levels of open segments, by their baseline array. */
  private readonly levels = new WeakMap<Float32Array, BaselineLevels>();
  private readonly dirty = new Set<string>();
  private readonly window: number;
  private readonly maxGap: number;
  private readonly minPoints: number;
  private readonly candidateGap: number;
  private alarm: AlarmLevels;
  private scorer: TrailingScorer;

  constructor(private readonly cfg: OnlineConfig, private readonly tracker: IncidentTracker) {
    this.window = cfg.window ?? 64;
    this.maxGap = cfg.maxGap ?? 2;
    this.minPoints = cfg.minPoints ?? 2;
    this.candidateGap = cfg.candidateGap ?? this.maxGap;
    if (!Number.isInteger(this.window) || this.window < 2) throw new RangeError(`window must be an integer ≥ 2 (got ${this.window})`);
    this.alarm = levelsOf(cfg.levels, cfg.threshold);
    this.scorer = scorerOf(cfg.scoreTrailing, cfg.score);
  }

  /** The alarm levels in use. */
  get alarmLevels(): AlarmLevels {
    return this.alarm;
  }

  private ring(machine: string): RingBuffer {
    let r = this.rings.get(machine);
    // a window of context before each of up to `window` new rows
    if (!r) this.rings.set(machine, (r = new RingBuffer(2 * this.window, this.cfg.channels.length)));
    return r;
  }

  /** A new model version (same channels): later points are scored by it against its levels. */
  setModel(scoreTrailing: TrailingScorer, levels: AlarmLevels): void {
    this.scorer = scoreTrailing;
    this.alarm = levels;
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
      levels: this.alarm.save(machine) ?? undefined,
      runs: this.runs.get(machine) ?? null,
    };
  }

  /**
   * Restores a machine's saved state: `window` holds the stored rows up to the saved cursor (timestamps (n,), values
   * (n, C), the newest `window` of them are kept); its open segment re-attaches to the tracker's incident of the same id.
   */
  restore(machine: string, st: MachineState, window: { timestamps: ArrayLike<number>; values: ArrayLike<number> }): void {
    const C = this.cfg.channels.length;
    if (window.values.length !== window.timestamps.length * C) throw new RangeError(`${machine}: restored window has ${window.values.length} values for ${window.timestamps.length} rows × ${C} channels`);
    const r = new RingBuffer(2 * this.window, C);
    for (let i = 0; i < window.timestamps.length; i++) if (window.timestamps[i] <= st.cursor) r.pushFrom(window.timestamps[i], window.values, i * C);
    if (r.lastTimestamp !== st.cursor) throw new RangeError(`${machine}: the stored samples end at ${r.lastTimestamp}, not at the saved cursor ${st.cursor} (were samples deleted?)`);
    this.rings.set(machine, r);
    if (st.levels !== undefined) this.alarm.restore(machine, st.levels);
    if (st.candidate) this.candidates.set(machine, { ...st.candidate });
    if (st.runs) this.runs.set(machine, { ...st.runs, high: [...st.runs.high], low: [...st.runs.low] });
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
    for (let i = 0; i < timestamps.length; i++) r.pushFrom(timestamps[i], values, i * C);
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
      out.push(...this.scoreAndTrack([{ machine, snap: ring.snapshot(this.window + pending), pending }]).get(machine)!);
      pending = 0;
    };
    for (let k = 0; k < timestamps.length; k++) {
      if (pending === this.window) flush();
      if (ring.pushFrom(timestamps[k], values, k * C)) pending++;
    }
    flush();
    return out;
  }

  /**
   * Ingests one scrape for many machines: every machine's new samples are scored in one batched call (what makes a
   * 10 000-machine cluster cheap); a machine delivering more than a window at once goes through `ingest`. Same points
   * and incidents as calling `ingest` machine by machine.
   */
  ingestMany(items: { machine: string; timestamps: ArrayLike<number>; values: ArrayLike<number> }[]): Map<string, ScoredPoint[]> {
    const C = this.cfg.channels.length;
    const out = new Map<string, ScoredPoint[]>();
    const waiting: { machine: string; snap: { timestamps: Float64Array; values: Float32Array }; pending: number }[] = [];
    for (const it of items) {
      if (it.timestamps.length > this.window) {
        out.set(it.machine, this.ingest(it.machine, it.timestamps, it.values));
        continue;
      }
      if (it.values.length !== it.timestamps.length * C) throw new RangeError(`${it.machine}: ${it.values.length} values for ${it.timestamps.length} timestamps × ${C} channels`);
      const ring = this.ring(it.machine);
      let pending = 0;
      for (let k = 0; k < it.timestamps.length; k++) if (ring.pushFrom(it.timestamps[k], it.values, k * C)) pending++;
      if (pending === 0) out.set(it.machine, []);
      // a window before the first pending row is all the scorer and the baseline read (the ring keeps two)
      else waiting.push({ machine: it.machine, snap: ring.snapshot(this.window + pending), pending });
    }
    if (waiting.length) for (const [m, pts] of this.scoreAndTrack(waiting)) out.set(m, pts);
    return out;
  }

  /** Scores the pending rows of the given machines in one call (the other machines' windows as peer context) and
   *  feeds them to the tracker. */
  private scoreAndTrack(waiting: { machine: string; snap: { timestamps: Float64Array; values: Float32Array }; pending: number }[]): Map<string, ScoredPoint[]> {
    const C = this.cfg.channels.length;
    const series = (machine: string, snap: { timestamps: Float64Array; values: Float32Array }): Series => ({ name: machine, timestamps: snap.timestamps, channels: this.cfg.channels, values: snap.values });
    const xs = waiting.map((w) => series(w.machine, w.snap));
    let groups: PeerGroups | undefined;
    let context = 0;
    if (this.cfg.peers) {
      const scored = new Set(waiting.map((w) => w.machine));
      const most = waiting.reduce((a, w) => Math.max(a, w.pending), 0); // the context covers the scored rows' windows
      for (const [m, r] of this.rings) {
        if (scored.has(m)) continue;
        xs.push(series(m, r.snapshot(this.window + most)));
        context++;
      }
      groups = this.cfg.peers(xs.map((x) => x.name));
    }
    const scores = this.scorer(xs, waiting.map((w) => w.pending), groups, context);
    const out = new Map<string, ScoredPoint[]>();
    waiting.forEach(({ machine, snap, pending }, j) => {
      const pts: ScoredPoint[] = [];
      const n = snap.timestamps.length;
      for (let k = 0; k < pending; k++) {
        const i = n - pending + k;
        const p = { t: snap.timestamps[i], score: scores[j][k] };
        pts.push(p);
        this.track(machine, p, snap.values.subarray(i * C, i * C + C), snap.values.subarray(Math.max(0, i - this.window) * C, i * C));
      }
      if (this.cfg.slo) this.estimateBreach(machine, snap);
      out.set(machine, pts);
    });
    return out;
  }

  /** Time to breach of the machine's open incident: its leading metric's recent points against its limit. */
  private estimateBreach(machine: string, snap: { timestamps: Float64Array; values: Float32Array }): void {
    const seg = this.open.get(machine);
    if (!seg) return;
    const id = seg.incident.id;
    const metric = leadingMetric(this.explanations.get(id) ?? [], this.cfg.slo!);
    const C = this.cfg.channels.length;
    const c = metric === null ? -1 : this.cfg.channels.indexOf(metric);
    const n = snap.timestamps.length;
    const k = Math.min(n, this.cfg.breachPoints ?? 30);
    const est = c < 0 ? null : timeToBreach(metric!, snap.timestamps.subarray(n - k), Float32Array.from({ length: k }, (_, j) => snap.values[(n - k + j) * C + c]), this.cfg.slo![metric!], snap.timestamps[n - 1]);
    if (!est) {
      this.breaches.delete(id);
      return;
    }
    if (!this.firstWarned.has(id)) this.firstWarned.set(id, snap.timestamps[n - 1]);
    this.breaches.set(id, { ...est, firstWarnedAt: this.firstWarned.get(id)! });
  }

  /** Forgets what is kept per incident (explanation, breach) of incidents no longer tracked. */
  forget(incidentId: string): void {
    this.explanations.delete(incidentId);
    this.breaches.delete(incidentId);
    this.firstWarned.delete(incidentId);
  }

  /** Machines whose persisted state (candidate, open, closed segment, alarm levels) changed since `clean` was last
   *  called for them. */
  get changed(): ReadonlySet<string> {
    return this.dirty;
  }

  /** Marks machines' segment state as persisted. */
  clean(machines: Iterable<string>): void {
    for (const m of machines) this.dirty.delete(m);
  }

  private track(machine: string, p: ScoredPoint, row: ArrayLike<number>, before: Float32Array): void {
    const high = this.alarm.high(machine);
    const low = this.alarm.low(machine);
    const seg = this.open.get(machine);
    if (seg || p.score >= low || this.candidates.has(machine)) this.dirty.add(machine);
    this.extendRuns(machine, p, high, low);
    if (seg) {
      // an open run stays open while the score is at or above the low level (hysteresis)
      if (p.score >= low) {
        seg.lastHit = p.t;
        seg.gap = 0;
        seg.peak = Math.max(seg.peak, p.score);
        keepRow(seg, row, this.cfg.channels.length);
        seg.incident.lastSeen = Math.max(seg.incident.lastSeen, p.t);
        if (p.score >= high) seg.incident.lastHigh = Math.max(seg.incident.lastHigh ?? -Infinity, p.t);
        seg.incident.peak = Math.max(seg.incident.peak, p.score);
        seg.incident.peakUnits = Math.max(seg.incident.peakUnits ?? -Infinity, inUnits(p.score, [low, high]));
        this.dip(seg, p, high, before);
        this.qualify(machine, seg.incident, high, low);
        this.renew(machine, seg, p.t, row, before);
        this.classify(machine);
      } else if (++seg.gap <= this.maxGap) {
        this.dip(seg, p, high, before);
      } else {
        this.classify(machine, Array.from(row));
        this.open.delete(machine);
        this.closed.set(machine, { incidentId: seg.incident.id, rows: seg.rows, stride: seg.stride, seen: seg.seen, baseline: seg.baseline });
      }
      return;
    }
    // an incident in its quiet period is still the same episode: back above the low level, it goes on
    const active = this.tracker.continuing(machine, p.t);
    const prev = this.closed.get(machine);
    const resumes = active !== undefined && prev?.incidentId === active.id && p.score >= low;
    const c = this.candidates.get(machine);
    const sustain = this.cfg.sustainPoints ?? 0;
    const sustained = sustain > 0 && active === undefined && p.score >= low && low < high;
    if (p.score >= high || resumes || sustained) {
      const cand = c ?? { onset: p.t, hits: 0, gap: 0, peak: p.score, rows: [], baseline: Array.from(before) };
      // persistence counts consecutive points at the opening level; the sustained rule any run at the low level
      cand.hits = p.score >= high || resumes ? cand.hits + 1 : 0;
      if (sustain > 0) cand.run = (cand.run ?? 0) + 1;
      cand.gap = 0;
      cand.peak = Math.max(cand.peak, p.score);
      cand.peakUnits = Math.max(cand.peakUnits ?? -Infinity, inUnits(p.score, [low, high]));
      keepRow(cand, row, this.cfg.channels.length);
      if (cand.hits < this.minPoints && !resumes && !(sustain > 0 && (cand.run ?? 0) >= sustain)) {
        this.candidates.set(machine, cand);
        return;
      }
      this.candidates.delete(machine);
      const known = this.tracker.incidents.length;
      const quietSince = this.tracker.active(machine)?.lastSeen;
      const incident = this.tracker.addSegment({ machine, type: 'spike', onset: cand.onset, end: p.t, peak: cand.peak, ...(cand.peakUnits !== undefined ? { peakUnits: cand.peakUnits } : {}) });
      if (p.score >= high) incident.lastHigh = Math.max(incident.lastHigh ?? -Infinity, p.t);
      if (this.tracker.incidents.length > known) incident.openedAt = p.t; // a new incident, not a segment joining one
      this.qualify(machine, incident, high, low);
      // a segment that joins the incident of the machine's previous one is typed together with it, against the
      // baseline from before the incident began (a slow rise detected in pieces is still one rise)
      const joined = prev && prev.incidentId === incident.id;
      const seg: OpenSegment = {
        onset: joined ? incident.onset : cand.onset, since: cand.onset, ...(this.tracker.incidents.length === known && quietSince !== undefined ? { quietMs: cand.onset - quietSince } : {}), lastHit: p.t, gap: 0, peak: cand.peak,
        ...(joined ? joinRows(prev, cand, this.cfg.channels.length) : { rows: cand.rows, stride: cand.stride, seen: cand.seen }), baseline: joined ? prev.baseline : Float32Array.from(cand.baseline), incident,
      };
      this.open.set(machine, seg);
      this.renew(machine, seg, p.t, row, before);
      this.classify(machine);
      return;
    }
    if (c && ++c.gap > this.candidateGap) this.candidates.delete(machine);
    // normal operation: the levels learn from it (never from points in or near an incident)
    if (!this.candidates.has(machine) && active === undefined && this.alarm.observe(machine, p.score)) this.dirty.add(machine);
  }

  /** Extends (or breaks) the machine's runs of consecutive points at the opening and at the keep-open level. */
  private extendRuns(machine: string, p: ScoredPoint, high: number, low: number): void {
    const sustain = this.cfg.sustainPoints ?? 0;
    let r = this.runs.get(machine);
    if (!r) {
      if (p.score < low) return;
      this.runs.set(machine, (r = { high: [], low: [] }));
    }
    // each run keeps its last `keep` points, and where it began (its first point; a state saved before `since` was
    // kept has its oldest kept point instead)
    const extend = (run: number[], at: boolean, keep: number, since: number | undefined): number | undefined => {
      if (!at) return void (run.length = 0);
      if (run.length === 0) since = p.t;
      if (run.push(p.t) > keep) run.shift();
      return since ?? run[0];
    };
    const since = { highSince: extend(r.high, p.score >= high, this.minPoints, r.highSince), lowSince: extend(r.low, sustain > 0 && low < high && p.score >= low, sustain, r.lowSince) };
    for (const k of ['highSince', 'lowSince'] as const) {
      if (since[k] === undefined) delete r[k];
      else r[k] = since[k];
    }
    if (r.high.length === 0 && r.low.length === 0) {
      this.runs.delete(machine);
      this.dirty.add(machine);
    }
  }

  /** Records on the incident the start of its latest sustained run (`sustainedFrom`): sustainPoints consecutive points
   *  at the keep-open level, or — where the scorer has no sustained rule — minPoints at the opening level; and where
   *  the consecutive run it is the latest window of began (`sustainedSince`). */
  private qualify(machine: string, incident: Incident, high: number, low: number): void {
    const r = this.runs.get(machine);
    if (!r) return;
    const sustain = this.cfg.sustainPoints ?? 0;
    const keepOpen = sustain > 0 && low < high;
    const run = keepOpen ? (r.low.length >= sustain ? r.low : null) : r.high.length >= this.minPoints ? r.high : null;
    if (!run || run[0] < (incident.sustainedFrom ?? -Infinity)) return;
    incident.sustainedFrom = run[0];
    incident.sustainedSince = (keepOpen ? r.lowSince : r.highSince) ?? run[0]; // ≤ run[0]: the run's first point
  }

  /** Counts a point of an open segment below the opening level into the current dip, or — at the opening level — ends
   *  the dip: after one of at least the persistence (that many points below the opening level, which did not close the
   *  segment) this point begins a rise that may renew the incident (`renew`). */
  private dip(seg: OpenSegment, p: ScoredPoint, high: number, before: Float32Array): void {
    if (p.score < high) {
      if ((seg.below = (seg.below ?? 0) + 1) > 1) return;
      seg.dipSince = p.t;
      const lead = this.leadOf(seg, before.subarray(Math.max(0, before.length - this.minPoints * this.cfg.channels.length)));
      if (lead === undefined) delete seg.dipLead;
      else seg.dipLead = lead;
      return;
    }
    if ((seg.below ?? 0) >= this.minPoints && seg.dipSince !== undefined) seg.rise = { since: p.t, dipMs: p.t - seg.dipSince, ...(seg.dipLead ? { leadBefore: seg.dipLead } : {}) };
    seg.below = 0;
  }

  /** A later segment of an incident that meets the opening rule again — the persistence run at the opening level or
   *  the sustained run at the keep-open level, whichever a new incident would have opened on — renews the incident,
   *  once per segment, at point `t` (Incident.renewals). So does a rise inside a segment (`dip`) whose run meets the
   *  persistence rule, when another metric leads it than led the points before the dip: a second hotspot that began
   *  before the first one's scores settled below the keep-open level. The same metric rising again is the same
   *  episode wavering (on the synthetic clusters' hour-long plateaus 25 of 35 such renewals were); the rise is judged
   *  once, on the run's first `minPoints` points (`row`, with the points `before` it). */
  private renew(machine: string, seg: OpenSegment, t: number, row: ArrayLike<number>, before: Float32Array): void {
    const i = seg.incident;
    const r = this.runs.get(machine);
    const run = (since: number): number | undefined => (r && r.high.length >= this.minPoints && r.high[0] >= since ? r.high[0] : undefined);
    const last = i.renewals?.at(-1)?.from ?? -Infinity;
    if (seg.since !== undefined && seg.since > i.onset && last < seg.since) {
      const from = run(seg.since) ?? (i.sustainedFrom !== undefined && i.sustainedFrom >= seg.since ? i.sustainedFrom : undefined);
      if (from !== undefined) {
        this.addRenewal(i, { from, at: t, ...(seg.quietMs !== undefined ? { quietMs: seg.quietMs } : {}) });
        if (seg.rise && seg.rise.since <= from) delete seg.rise; // the same run
        return;
      }
    }
    const rise = seg.rise;
    const from = rise && rise.since > last ? run(rise.since) : undefined;
    if (!rise || from === undefined) return;
    delete seg.rise;
    const C = this.cfg.channels.length;
    const rows = new Float32Array(this.minPoints * C);
    rows.set(before.subarray(Math.max(0, before.length - (this.minPoints - 1) * C)), 0);
    rows.set(Array.from(row), rows.length - C);
    const lead = this.leadOf(seg, rows);
    if (lead !== undefined && rise.leadBefore !== undefined && lead !== rise.leadBefore) this.addRenewal(i, { from, at: t, dipMs: rise.dipMs, lead, leadBefore: rise.leadBefore });
  }

  private addRenewal(i: Incident, r: Renewal): void {
    const list = i.renewals ?? (i.renewals = []);
    list.push(r);
    if (list.length > RENEWALS_KEPT) list.splice(0, list.length - RENEWALS_KEPT);
  }

  /** The levels of the segment's baseline, or undefined when it is too short to explain or type against. The baseline
   *  is fixed while the segment is open (and shared by the segments of one incident): its levels are computed once,
   *  not at every scored point (medians of 10 000 machines' baselines were a fifth of a scrape round). */
  private baselineOf(seg: OpenSegment): BaselineLevels | undefined {
    const C = this.cfg.channels.length;
    if (seg.baseline.length < 3 * C) return undefined;
    let levels = this.levels.get(seg.baseline);
    if (!levels) this.levels.set(seg.baseline, (levels = baselineLevels(C, seg.baseline)));
    return levels;
  }

  /** The metric that leads `rows` (n, C) against the segment's baseline; undefined without enough baseline. */
  private leadOf(seg: OpenSegment, rows: ArrayLike<number>): string | undefined {
    const levels = this.baselineOf(seg);
    return levels && rows.length >= this.cfg.channels.length ? contributionsFrom(this.cfg.channels, levels, rows)[0].name : undefined;
  }

  /** (Re)types the machine's open segment on its top-contributing metric; `after` (C,) closes it. */
  private classify(machine: string, after?: number[]): void {
    const seg = this.open.get(machine)!;
    const C = this.cfg.channels.length;
    const levels = this.baselineOf(seg);
    if (!levels) return; // not enough history yet to type against
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

function levelsOf(levels: AlarmLevels | undefined, threshold: number | undefined): AlarmLevels {
  if (levels) return levels;
  if (threshold === undefined || !Number.isFinite(threshold)) throw new RangeError(`threshold must be finite (got ${threshold})`);
  return new FixedLevels(threshold, 'fixed');
}

function scorerOf(trailing: TrailingScorer | undefined, score: ((s: Series) => Float32Array) | undefined): TrailingScorer {
  if (trailing) return trailing;
  if (!score) throw new RangeError('the online scorer needs scoreTrailing (a detector) or score');
  return (xs, last, _groups, context = 0) => xs.slice(0, xs.length - context).map((x, i) => score(x).slice(x.timestamps.length - last[i]));
}
