// The watch loop over the store — the product path's heart. Each step, for every machine, scores the samples after
// its cursor (at most `maxRowsPerStep` of them, so catching up on a long history takes fixed-size steps), feeds the
// incident tracker, enriches what changed, decides what pages, and commits scores + scorer state + incidents +
// outbox alerts + the cluster view in ONE transaction. A crash therefore loses a whole step or nothing, and a
// restarted watcher (state read back from the store, windows rebuilt from the stored samples) continues with the
// same chunks: the same scores, the same incidents with the same ids, the same alerts. Operator acts (ack, labels)
// live in their own columns and are never written here. Alerts are delivered from the outbox after the commit
// (src/app/alerts.ts), at least once.
import type { Detector } from '../detectors/index.js';
import type { Incident, IncidentDetail } from '../core/incident.js';
import type { Store, MachineStatus, StepWrite } from '../store/store.js';
import { IncidentTracker } from '../inspect/incidents.js';
import { OnlineScorer, type MachineState, type TrailingScorer } from '../inspect/online.js';
import { rankMachines } from '../inspect/ranking.js';
import { FixedLevels, PERSIST_POINTS, type AlarmLevels } from '../inspect/levels.js';
import { holdNext, inUnits, unitKey, unitOf, type Unit } from '../core/units.js';
import { peerGroups } from '../core/peers.js';
import { median } from '../core/stats.js';
import { enrich, type EnrichOptions } from './enrich.js';
import { displayThreshold } from './alarms.js';

export interface WatchOptions extends EnrichOptions {
  /** Window the detector scores, samples. Default 64. */
  window?: number;
  /** An incident quiet this long resolves. Default 10 min. */
  resolveAfterMs?: number;
  /** Segments this close join one incident. Default 10 min. */
  mergeGapMs?: number;
  /** At most this many new rows per machine per step. Default 360. */
  maxRowsPerStep?: number;
  /** Resolved incidents are dropped from memory this long after resolving (they stay in the store). Default 6 h. */
  keepResolvedMs?: number;
  /** A machine seen for the first time is scored from after this time; what precedes it is its window's context.
   *  Default: from its first sample. */
  startAt?: number;
  /** Limits per metric: open incidents rising towards one carry a time to breach (`watch --slo metric=limit`). */
  slo?: Record<string, number>;
  /** A score at or above the low (keep-open) level for this long opens an incident as well, even if it never reaches
   *  the opening level (src/inspect/online.ts sustainPoints; counted in the model's sampling interval). Default: the
   *  quiet period (resolveAfterMs); 0 = off. */
  sustainMs?: number;
  /** The alert sinks to queue each alert for (one outbox row each). Default ['webhook']. */
  alertSinks?: string[];
  /** Fleet workers (src/app/fleet.ts): the machines this watcher owns (default: all of the store's), ids prefixed
   *  per owner, meta keys prefixed per owner, every commit fenced. A single `watch` leaves them unset. */
  owns?: (machine: string) => boolean;
  idPrefix?: string;
  metaPrefix?: string;
  fence?: { key: string; epoch: number };
}

export interface StepResult {
  scored: number;
  /** Incidents that paged in this step (an 'open' alert was queued). */
  opened: Incident[];
  /** Announced incidents that resolved in this step (a 'resolved' alert was queued). */
  resolved: Incident[];
  /** Incidents recorded without paging (an event's grace period). */
  held: Incident[];
  /** Incidents that began in this step (paged or held): where evidence is captured. */
  created: Incident[];
  /** Paged incidents that renewed in this step (an 'update' alert was queued; once per update). */
  updated: Incident[];
  /** False when there was nothing new. */
  progressed: boolean;
  /** Some machine had more new rows than one step takes: step again. */
  more: boolean;
}

/** What the watcher persists per machine besides its cursor (the cluster view's last scored timestamp) and recent
 *  scores (the scores table): the scorer's segment state — written only in the steps that change it. */
type SavedSegments = Omit<MachineState, 'cursor'>;

const RECENT = 6;

export class Watcher {
  readonly tracker: IncidentTracker;
  readonly scorer: OnlineScorer;
  readonly channels: string[];
  private readonly recent = new Map<string, number[]>();

  /** Incident id → its detail as last written (paged stays true once set). */
  private readonly details = new Map<string, IncidentDetail>();
  /** Jobs on each machine as last read from the store (peers share a job). */
  private placement = new Map<string, string[]>();
  /** Each machine's unit under each model version (`${model} ${machine}`; src/core/units.ts): read from the model's
   *  report, else taken from the levels as the model begins scoring the machine and written to the report. */
  private readonly units = new Map<string, Unit | undefined>();
  /** Each machine's last minPoints points on the alarm scale, oldest first (restored from the store on open): a new
   *  point holds the lowest of its own and those before it (holdUnits; what the heat map shows). */
  private readonly lastUnits = new Map<string, number[]>();

  /** `o.minPoints` resolved by open (persistOf): the opening rule, the held levels and enrich read this one number. */
  private constructor(private readonly store: Store, detector: Detector, private levels: AlarmLevels, private modelId: number | null, private readonly o: WatchOptions & { minPoints: number }) {
    this.channels = detector.channels;
    this.tracker = new IncidentTracker({ resolveAfterMs: o.resolveAfterMs, mergeGapMs: o.mergeGapMs, idPrefix: o.idPrefix });
    this.scorer = new OnlineScorer({
      channels: this.channels, window: o.window ?? 64, levels, minPoints: o.minPoints, sustainPoints: sustainPoints(detector, o), candidateGap: 0, scoreTrailing: trailing(detector), slo: o.slo,
      peers: detector.peerAware ? (names) => peerGroups(names, (m) => this.placement.get(m)) : undefined,
    }, this.tracker);
  }

  /** One threshold for displays (the median of the machines' opening levels under a budget). */
  get threshold(): number {
    return displayThreshold(this.levels, [...this.recent.keys()]);
  }

  /** A watcher that continues from what the store holds (active incidents, scorer states, windows). */
  static async open(store: Store, detector: Detector, levels: AlarmLevels | number, modelId: number | null, o: WatchOptions = {}): Promise<Watcher> {
    const w = new Watcher(store, detector, asLevels(levels), modelId, { ...o, minPoints: o.minPoints ?? persistOf(detector) });
    // creation order (ids are numbered in it), as an uninterrupted watcher holds them: it decides the order of a
    // step's writes and alerts
    const num = (id: string): number => Number(/(\d+)$/.exec(id)?.[1] ?? 0);
    const owns = o.owns ?? (() => true);
    const active = (await store.activeIncidents()).filter((r) => owns(r.machine)).sort((a, b) => num(a.id) - num(b.id));
    w.tracker.restore(active.map((r) => ({ id: r.id, machine: r.machine, state: 'open', type: r.type, onset: r.onset, lastSeen: r.lastSeen, ...(r.lastHigh !== undefined ? { lastHigh: r.lastHigh } : {}), ...(r.sustainedFrom !== undefined ? { sustainedFrom: r.sustainedFrom } : {}), ...(r.sustainedSince !== undefined ? { sustainedSince: r.sustainedSince } : {}), ...(r.openedAt !== undefined ? { openedAt: r.openedAt } : {}), ...(r.renewals?.length ? { renewals: r.renewals.map((x) => ({ ...x })) } : {}), peak: r.peak, ...(r.peakUnits !== undefined ? { peakUnits: r.peakUnits } : {}), segments: r.segments })), Number(await store.meta(`${o.metaPrefix ?? ''}nextIncident`) ?? 1));
    for (const r of active) {
      w.details.set(r.id, { explanation: r.explanation, jobs: r.jobs, movers: r.movers, cause: r.cause, events: r.events, paged: r.paged, ...(typeof r.pagedAt === 'number' ? { pagedAt: r.pagedAt } : {}), ...(r.updates?.length ? { updates: r.updates } : {}), ...(r.muted?.length ? { muted: r.muted } : {}), ...(r.symptomOf ? { symptomOf: r.symptomOf } : {}), ...(r.afterEffectOf ? { afterEffectOf: r.afterEffectOf } : {}) });
      w.scorer.explanations.set(r.id, r.explanation);
    }
    const mine = (await store.machineStatus()).filter((st) => owns(st.machine));
    const segments = await store.scorerStates(o.owns ? mine.map((st) => st.machine) : undefined);
    for (const st of mine) {
      const saved = (segments.get(st.machine) ?? {}) as Partial<SavedSegments>;
      const win = await store.lastRows(st.machine, w.channels, st.lastTs, o.window ?? 64);
      w.scorer.restore(st.machine, { candidate: null, open: null, closed: null, ...saved, cursor: st.lastTs }, win);
      const last = await store.scores(st.machine, -Infinity, st.lastTs, RECENT);
      w.recent.set(st.machine, last.score);
      const u = await Promise.all(last.model.map((id) => (id === null ? undefined : w.unit(id, st.machine))));
      w.holdUnits(st.machine, last.score.flatMap((x, k) => (u[k] ? [inUnits(x, u[k])] : [])));
    }
    return w;
  }

  /** Switches to a retrained model over the same channels; machine windows and open incidents carry over. */
  swapModel(detector: Detector, levelsOrThreshold: AlarmLevels | number, modelId: number | null): void {
    const levels = asLevels(levelsOrThreshold);
    const missing = this.channels.filter((c) => !detector.channels.includes(c));
    if (missing.length || detector.channels.length !== this.channels.length) throw new Error(`the new model's channels differ from the running one's (${missing.join(', ') || 'count'})`);
    this.scorer.setModel(trailing(detector), levels);
    this.levels = levels;
    this.modelId = modelId;
  }

  /** Machine m's next points on the alarm scale → the level each held (holdNext over the points kept before them). */
  private holdUnits(m: string, units: readonly number[]): number[] {
    const { held, kept } = holdNext(this.lastUnits.get(m) ?? [], units, this.o.minPoints);
    this.lastUnits.set(m, kept);
    return held;
  }

  /** A machine's unit under a model version: as kept in memory, else from the model's report. */
  private async unit(model: number, machine: string): Promise<Unit | undefined> {
    const k = `${model} ${machine}`;
    if (!this.units.has(k)) this.units.set(k, unitOf((await this.store.model(model))?.report, machine));
    return this.units.get(k);
  }

  /** The current model's unit on each of `machines` that it has none for yet: its levels now, before it scores the
   *  machine's first point (an online budget moves them later), kept in memory and in the model's report (one key per
   *  machine), so a restart and the enrichment of a later model read the same unit. */
  private async keepUnits(machines: readonly string[]): Promise<void> {
    const id = this.modelId;
    if (id === null) return;
    const patch: Record<string, Unit> = {};
    for (const m of machines) {
      if ((await this.unit(id, m)) !== undefined) continue;
      const u: Unit = [this.levels.low(m), this.levels.high(m)];
      if (!(Number.isFinite(u[0]) && Number.isFinite(u[1]))) continue; // no level yet: its scores read as stored
      this.units.set(`${id} ${m}`, u);
      patch[unitKey(m)] = u;
    }
    if (Object.keys(patch).length && (await this.store.model(id))) await this.store.updateModelReport(id, patch);
  }

  /** Scores the next chunk of what is new in the store (of the machines `only`, when the caller knows which have
   *  new rows) and commits it; returns what changed. */
  async step(only?: Iterable<string>, extraMeta: Record<string, string> = {}): Promise<StepResult> {
    const started = Date.now();
    const maxRows = this.o.maxRowsPerStep ?? 360;
    const batch: { machine: string; timestamps: Float64Array; values: Float64Array | Float32Array }[] = [];
    let newest = -Infinity;
    let more = false;
    const owns = this.o.owns ?? (() => true);
    const want: { machine: string; after: number }[] = [];
    this.placement = await this.store.placements();
    for (const m of only ? [...only] : await this.store.machines()) {
      if (!owns(m)) continue;
      if (this.o.startAt !== undefined && this.scorer.lastTimestamp(m) === -Infinity) {
        const ctx = await this.store.lastRows(m, this.channels, this.o.startAt, this.o.window ?? 64);
        this.scorer.prime(m, ctx.timestamps, ctx.values);
      }
      want.push({ machine: m, after: Math.max(this.scorer.lastTimestamp(m), this.o.startAt ?? -Infinity) });
    }
    // every machine's new rows in one read (one round trip to a shared store)
    for (const s of await this.store.seriesAfter(want, this.channels, maxRows)) {
      if (s.timestamps.length === 0) continue;
      batch.push({ machine: s.name, timestamps: s.timestamps, values: s.values });
      if (s.timestamps.length >= maxRows) more = true;
      newest = Math.max(newest, s.timestamps[s.timestamps.length - 1]);
    }
    if (batch.length === 0) return { scored: 0, opened: [], resolved: [], held: [], created: [], updated: [], progressed: false, more: false };
    await this.keepUnits(batch.map((b) => b.machine));
    const before = new Map(this.tracker.incidents.map((i) => [i.id, JSON.stringify(i)]));
    const write: StepWrite = { scores: [], modelId: this.modelId, scorerStates: [], incidents: [], alerts: [], status: [], meta: { ...extraMeta }, ...(this.o.fence ? { fence: this.o.fence } : {}) };
    let scored = 0;
    for (const [m, pts] of this.scorer.ingestMany(batch)) { // every machine's window in one batched forward
      // each point on the alarm scale too (the cluster heat map reads it): in the unit kept for this model and machine,
      // the level the machine held there — the lowest of it and the points before it that persistence reads
      const u = this.modelId === null ? undefined : await this.unit(this.modelId, m); // kept in memory by keepUnits
      const held = u ? this.holdUnits(m, pts.map((p) => inUnits(p.score, u))) : [];
      write.scores.push({ machine: m, points: u ? pts.map((p, k) => ({ ...p, units: held[k] })) : pts });
      const recent = (this.recent.get(m) ?? []).concat(pts.map((p) => p.score)).slice(-RECENT);
      this.recent.set(m, recent);
      if (this.scorer.changed.has(m)) {
        const { cursor: _c, ...seg } = this.scorer.saveState(m)!;
        write.scorerStates.push({ machine: m, state: seg });
      }
      scored += pts.length;
    }
    this.tracker.tick(newest);
    const stepScores = new Map(write.scores.map((x) => [x.machine, x.points]));
    const now = newest; // data time: what the step has seen
    const result: StepResult = { scored, opened: [], resolved: [], held: [], created: [], updated: [], progressed: true, more };
    for (const i of this.tracker.incidents) {
      const prev = before.get(i.id);
      const changed = prev !== JSON.stringify(i);
      const held = this.details.get(i.id);
      // a held incident is looked at again each step: its grace period may have ended
      if (!changed && !(held && !held.paged && i.state !== 'resolved')) continue;
      const wasPaged = held?.paged ?? false;
      const pagedBefore = wasPaged && typeof held?.pagedAt === 'number' ? held.pagedAt : undefined;
      const sent = held?.updates ?? [];
      const e = await enrich(this.store, i, this.scorer.explanations.get(i.id) ?? [], this.tracker.incidents, now, wasPaged, { ...this.o, updateAfterMs: this.o.updateAfterMs ?? this.o.resolveAfterMs, sustainMs: sustainMsOf(this.o), stepScores, stepModel: this.modelId, unitOf: (id, m) => this.unit(id, m) }, (id) => this.details.get(id)?.symptomOf ?? undefined, pagedBefore, sent, held?.muted ?? []);
      // once paged, the time it paged stays (enrich sets it in the step that pages it); an update sent stays sent
      const fresh = (e.updates ?? []).slice(sent.length);
      const d = { ...e, ...(pagedBefore !== undefined ? { pagedAt: pagedBefore } : {}), breach: i.state === 'resolved' ? null : this.scorer.breaches.get(i.id) ?? null };
      this.details.set(i.id, d);
      write.incidents.push({ ...i, ...d });
      if (prev === undefined) result.created.push(i);
      const at = Date.now();
      const sinks = this.o.alertSinks ?? ['webhook'];
      if (d.paged && !wasPaged) {
        for (const sink of sinks) write.alerts.push({ sink, key: `${i.id}:open`, incidentId: i.id, kind: 'open', createdAt: at });
        result.opened.push(i);
      } else if (!d.paged && prev === undefined) result.held.push(i);
      for (const t of fresh) {
        for (const sink of sinks) write.alerts.push({ sink, key: `${i.id}:update:${t}`, incidentId: i.id, kind: 'update', createdAt: at });
        result.updated.push(i);
      }
      const wasResolved = prev !== undefined && (JSON.parse(prev) as Incident).state === 'resolved';
      if (i.state === 'resolved' && !wasResolved && d.paged) {
        for (const sink of sinks) write.alerts.push({ sink, key: `${i.id}:resolved`, incidentId: i.id, kind: 'resolved', createdAt: at });
        result.resolved.push(i);
      }
    }
    write.status = this.statusRows(batch.map((b) => b.machine));
    write.meta[`${this.o.metaPrefix ?? ''}nextIncident`] = String(this.tracker.nextNumber);
    // the detector's own health for /metrics (wall clock, unlike the data time above)
    write.meta[`${this.o.metaPrefix ?? ''}lastStepAt`] = String(Date.now());
    write.meta[`${this.o.metaPrefix ?? ''}lastStepMs`] = String(Date.now() - started);
    await this.store.commitStep(write);
    this.scorer.clean(write.scorerStates.map((x) => x.machine));
    // memory stays bounded on a long run; the store keeps everything
    this.tracker.prune(now - (this.o.keepResolvedMs ?? 6 * 3_600_000));
    for (const id of this.details.keys()) if (!this.tracker.incidents.some((i) => i.id === id)) { this.details.delete(id); this.scorer.forget(id); }
    return result;
  }

  /** Cluster-view rows of the machines scored in this step. */
  private statusRows(machines: string[]): MachineStatus[] {
    const open = new Map<string, number>();
    for (const i of this.tracker.incidents) if (i.state !== 'resolved') open.set(i.machine, (open.get(i.machine) ?? 0) + 1);
    // risk relative to each machine's own opening level
    const rel = (m: string): number[] => {
      const h = this.levels.high(m);
      return (this.recent.get(m) ?? []).map((s) => s / (h > 0 ? h : 1e-6));
    };
    const ranked = rankMachines(machines.map((m) => ({ machine: m, scores: rel(m), hasActiveIncident: open.has(m) })), 1, RECENT);
    return ranked.map((r) => ({ machine: r.machine, lastTs: this.scorer.lastTimestamp(r.machine), lastScore: this.recent.get(r.machine)?.at(-1) ?? NaN, risk: r.risk, openIncidents: open.get(r.machine) ?? 0 }));
  }
}

/** The sustained rule's length, ms: `sustainMs`, else the quiet period, else 10 min (0 = no sustained rule). */
export function sustainMsOf(o: Pick<WatchOptions, 'sustainMs' | 'resolveAfterMs'>): number {
  return o.sustainMs ?? o.resolveAfterMs ?? 600_000;
}

/** The sustained rule in points of the model's sampling interval (from its per-machine training facts; 10 s, the
 *  collector's default, for a model without them). */
export function sustainPoints(detector: Detector, o: Pick<WatchOptions, 'sustainMs' | 'resolveAfterMs'>): number {
  const ms = sustainMsOf(o);
  if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`sustainMs must be a non-negative number of ms (got ${ms})`);
  if (ms === 0) return 0;
  return Math.max(1, Math.round(ms / (factOf(detector, 'intervalMs') ?? 10_000)));
}

/** The median over the model's machines of a positive number its training recorded per machine (src/app/train.ts
 *  setMachineFacts); undefined when none did. */
function factOf(detector: Detector, key: 'intervalMs' | 'persist'): number | undefined {
  const xs = Object.values(detector.machineFacts as Record<string, Record<string, unknown>>).map((f) => Number(f[key])).filter((x) => Number.isFinite(x) && x > 0);
  return xs.length ? median(xs) : undefined;
}

/** The persistence a watcher uses unless told (`minPoints`): the one the model's alarm tails were calibrated for at
 *  training (persistPoints of its history's scrape interval), so the budget's levels and the opening rule read the
 *  same statistic; a model that recorded none: PERSIST_POINTS. */
export function persistOf(detector: Detector): number {
  return Math.round(factOf(detector, 'persist') ?? PERSIST_POINTS);
}

const trailing = (d: Detector): TrailingScorer => (xs, last, groups, context) => d.scoreTrailing(xs, last, groups, context);
/** A bare number is one threshold for every machine, without hysteresis. */
const asLevels = (l: AlarmLevels | number): AlarmLevels => (typeof l === 'number' ? new FixedLevels(l, 'fixed') : l);
