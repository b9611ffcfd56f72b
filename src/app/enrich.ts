// Enrichment of an incident, written once for every path (watch, demo, replay): the jobs on its machine, the jobs /
// operators that moved most, the likely cause (on the job graph where it is known: the operator and subtasks on their
// TaskManagers; else for back-pressure the placement heuristic), the Flink events that overlap it, and whether it
// pages or is held by an event's grace period. Reads the store; the logic is src/inspect's.
import type { Contribution, Incident, IncidentDetail, Renewal } from '../core/incident.js';
import type { FlinkEvent } from '../core/event.js';
import type { Store } from '../store/store.js';
import { contributions, jobMovers } from '../inspect/explain.js';
import { backpressureCause, jobMetricOwn, jobWideSymptomOf, ledByJob, operatorBottleneck, seriesActivity, symptomOf, type Activity, type OperatorSample } from '../inspect/propagation.js';
import { causeFromGraph, causeOverTime, type RootCauseOptions } from '../inspect/rootcause.js';
import { effectFrom, PLACEMENT_EVENTS } from '../inspect/lifecycle.js';
import { COLLECT_EVENTS, dataGapOf } from '../core/outage.js';
import { JOB_WIDE } from '../core/catalogue.js';
import { median } from '../core/stats.js';
import { inHold, newHighFrom, outgrownFrom, runAboveHolds, type HoldWindow } from '../inspect/outgrow.js';
import { PERSIST_POINTS } from '../inspect/levels.js';
import { inUnits, unitOf, type Unit } from '../core/units.js';

export interface EnrichOptions {
  /** Baseline before the onset against which per-job metrics (the movers) and a renewal's metrics (what led it) are
   *  compared. Default 1 h. */
  jobBaselineMs?: number;
  /** An event on the machine (or cluster-wide) within this long before the onset holds the incident's page until
   *  the grace period ends; it pages then only if it is still active. Default 10 min; 0 = events never hold. */
  eventGraceMs?: number;
  /** A paged incident that renews notifies again no sooner than this after its page, and twice as long after each
   *  update (updatesOf). Default 10 min; the watcher passes its quiet period. */
  updateAfterMs?: number;
  /** The sustained rule's length (watch sustainMs). An incident that has not paged (held, or a symptom until now)
   *  pages on its latest run that met the rule; whether that run is another incident's symptom is read from its start
   *  (`sustainedFrom`) over this long, up to the step's data time at most. Default 10 min; 0 = up to the data time. */
  sustainMs?: number;
  /** Consecutive points at or above the opening level needed to open an incident (persistence). Default
   *  PERSIST_POINTS; the model's per-machine tails are calibrated for the same rule (src/app/train.ts). A held
   *  incident's run that outgrew its holds pages at the same persistence (src/inspect/outgrow.ts). */
  minPoints?: number;
  /** Scores of the watch step under way, per machine, not in the store yet (the watcher's): read with the stored
   *  ones where an incident's scores are judged. */
  stepScores?: ReadonlyMap<string, readonly { t: number; score: number }[]>;
  /** The model version that scored `stepScores` (the watcher's). */
  stepModel?: number | null;
  /** A machine's unit under a model version (src/core/units.ts): the judged scores are compared in units of the
   *  levels of the model that scored each, so a retraining does not rescale a yardstick. Default: the model's report. */
  unitOf?: (model: number, machine: string) => Promise<Unit | undefined>;
  /** Root cause on the job graph: thresholds, and the snapshots read — from `lookbackMs` (default 30 s) before the
   *  onset to `spanMs` (default 15 min) after it: the cause as the incident established itself, which then stays. */
  rootCause?: RootCauseOptions & { lookbackMs?: number; spanMs?: number };
}

/** Events that matter for an incident: those on its machine or cluster-wide, from onset − grace to its end — and,
 *  when the machine's data came back in that time from a gap (its metrics were stale, or the collector had no data),
 *  the placement events whose hold that gap moved (holdEnd: it began in their grace period). */
export async function overlappingEvents(store: Store, i: Incident, graceMs: number): Promise<FlinkEvent[]> {
  const events = await store.events({ from: i.onset - graceMs, to: i.resolvedAt ?? i.lastSeen, machine: i.machine, limit: 200 });
  const seen = new Set(events.map((e) => e.id));
  for (const end of [...events]) { // those read: the events added below end no gap
    const since = dataGapOf(end)?.since;
    if (since === undefined) continue;
    for (const e of await store.events({ from: since - graceMs, to: since + graceMs, machine: i.machine, limit: 200 })) {
      if (seen.has(e.id) || holdEnd(e, i.machine, [end], graceMs) === e.ts + graceMs) continue; // not moved by this gap
      events.push(e);
      seen.add(e.id);
    }
  }
  return events.sort((a, b) => a.ts - b.ts);
}

/** Until when event `e` holds `machine`'s incidents: its grace period — from where its effect on the machine shows in
 *  the data when it is a placement event (a failover, deploy or rescale) on the machine or cluster-wide: after a stale
 *  stretch of the machine's metrics or an outage of the collector that began in its grace period, from where the data
 *  came back (effectFrom, the same rule by which retraining calls it settled: src/inspect/lifecycle.ts). */
export function holdEnd(e: FlinkEvent, machine: string, events: readonly FlinkEvent[], graceMs: number): number {
  const placedHere = PLACEMENT_EVENTS.has(e.kind) && (e.machines.length === 0 || e.machines.includes(machine));
  return (placedHere ? effectFrom(e, machine, events, graceMs) : e.ts) + graceMs;
}

/** Events that explain a disturbance (the job was restarted, moved, redeployed, a task failed, the metrics froze):
 *  they hold pages. The job-state checks' symptoms — checkpoints stalled, lag growing — often come from the very
 *  hotspot, and never do; nor does the end of a stale stretch (the values measure again: no disturbance), nor the
 *  collector's outage (flinkscope lost the cluster, the cluster lost nothing: a gap only moves the holds of the events
 *  in it — holdEnd). */
const NOT_HOLDING: ReadonlySet<FlinkEvent['kind']> = new Set(['checkpoint-stalled', 'lag-growing', 'metrics-fresh', ...COLLECT_EVENTS]);

/** The stretches in which the events hold `machine`'s incidents: each holding event from its start to its hold's end
 *  (holdEnd); none when events hold nothing (grace 0). */
function holdWindows(events: readonly FlinkEvent[], machine: string, graceMs: number): HoldWindow[] {
  if (graceMs <= 0) return [];
  return events.filter((e) => !NOT_HOLDING.has(e.kind)).map((e) => ({ from: e.ts, to: holdEnd(e, machine, events, graceMs) }));
}

/** The event that holds the incident's page (the one whose hold lasts longest, when several do; null when none does):
 *  an event whose hold (holdEnd: its grace period) covers the onset, up to the point that opened the incident (the
 *  earliest it could page: a run that began a moment before a restart and met the opening rule after it is the
 *  restart's too) — or whose hold covers the start of its latest sustained run (`sustainedFrom`, the run that could
 *  page it after a hold), from that start back: an incident still open when a later event comes is disturbed by that
 *  event like a new one would be, and its run in that event's grace period does not page either. */
export function holdingEvent(i: Incident, events: FlinkEvent[], graceMs: number): FlinkEvent | null {
  let by: FlinkEvent | null = null;
  let byEnd = -Infinity;
  if (graceMs <= 0) return by;
  const opened = Math.max(i.onset, i.openedAt ?? i.onset);
  const q = i.sustainedFrom;
  for (const e of events) {
    if (NOT_HOLDING.has(e.kind)) continue;
    const end = holdEnd(e, i.machine, events, graceMs);
    const first = i.onset <= end && e.ts <= opened;
    const latest = q !== undefined && q <= end && e.ts <= q;
    if ((first || latest) && (!by || end > byEnd)) [by, byEnd] = [e, end];
  }
  return by;
}

/** Until when an event holds the incident's page (-Infinity when none does). */
export function holdUntil(i: Incident, events: FlinkEvent[], graceMs: number): number {
  const e = holdingEvent(i, events, graceMs);
  return e ? holdEnd(e, i.machine, events, graceMs) : -Infinity;
}

/** Whether an incident held until `until` pages at data time `now`: after the hold only if it met the sustained rule
 *  wholly after it — a run at the keep-open level as long as the sustained rule asks (`sustainedFrom`; the
 *  persistence run where the scorer has none) starting at or after the hold's end. An event's after-effects — bursts
 *  that cross the opening level for a few points, for as long as the incident stays open after a restart — do not
 *  page; a change that stays does — and so does a run that rises above everything the events did to the incident
 *  (enrich: outgrown). (An incident stored before `sustainedFrom` existed gets it from its next sustained run once the
 *  watcher has restored it.) */
export function pagesNow(i: Incident, until: number, now: number): boolean {
  return until === -Infinity || (now >= until && (i.sustainedFrom ?? -Infinity) >= until);
}

/** The incident's scores from its onset up to the data time `now` (at most its last point): the stored ones and the
 *  step's own (EnrichOptions.stepScores), oldest first, each in units of the levels of the model that scored it
 *  (src/core/units.ts; as stored where that model's unit is not known). */
async function scoresOf(store: Store, i: Incident, now: number, o: EnrichOptions): Promise<{ t: number[]; score: number[] }> {
  const to = Math.min(now, i.lastSeen);
  const stored = await store.scores(i.machine, i.onset, to);
  const last = stored.t.length ? stored.t[stored.t.length - 1] : -Infinity;
  const fresh = (o.stepScores?.get(i.machine) ?? []).filter((p) => p.t > last && p.t >= i.onset && p.t <= to);
  const model = [...stored.model, ...fresh.map(() => o.stepModel ?? null)];
  const read = o.unitOf ?? (async (id: number, m: string) => unitOf((await store.model(id))?.report, m));
  const units = new Map<number, Unit | undefined>();
  for (const id of new Set(model)) if (id !== null) units.set(id, await read(id, i.machine));
  const score = [...stored.score, ...fresh.map((p) => p.score)].map((s, k) => inUnits(s, model[k] === null ? undefined : units.get(model[k]!)));
  return { t: [...stored.t, ...fresh.map((p) => p.t)], score };
}

/** The start of a held incident's latest run that outgrew what the events did to it (src/inspect/outgrow.ts), after
 *  the hold that ends at `until`: read from its scores up to the data time `now`, against the latest of the events'
 *  holds on it (`holds`, holdWindows) before the run; holds less than a grace period apart are one. */
async function outgrown(store: Store, i: Incident, until: number, holds: readonly HoldWindow[], graceMs: number, now: number, o: EnrichOptions): Promise<number | undefined> {
  const { t, score } = await scoresOf(store, i, now, o);
  return outgrownFrom(t, score, until, o.minPoints ?? PERSIST_POINTS, holds, graceMs);
}

/** The updates of a paged incident: the data times at which it notifies the operator again, oldest first — `sent`
 *  (those already sent, kept as they are) and the renewals after the last of them that qualify (nextUpdate). */
export function updatesOf(i: Incident, events: FlinkEvent[], graceMs: number, pagedAt: number | undefined, afterMs: number, sent: readonly number[] = []): number[] {
  const holds = holdWindows(events, i.machine, graceMs);
  const out = [...sent];
  for (let r; (r = nextUpdate(i, holds, pagedAt, afterMs, out)); ) out.push(r.at);
  return out;
}

/** The next renewal of a paged incident that notifies the operator, after the notifications `sent` (undefined: none;
 *  none before it pages). A renewal qualifies when it met the opening rule after the page (`pagedAt`; the renewal that
 *  paged a held incident is that page, not an update), when no event's hold covers its run's start (`holds`:
 *  holdWindows — an event from its grace period before the start up to it, as holdingEvent judges a later run), when it is not in `skip` (the
 *  starts of renewals judged another incident's symptom: enrich), and when enough time has passed since the last
 *  notification: `afterMs` after the page, doubling with each update sent. An incident still open when a second
 *  hotspot starts on its machine tells the operator; one that flaps (an unsettled machine after a failover renews
 *  every minute) soon falls silent; the after-effects of a restart inside it do not notify. */
export function nextUpdate(i: Incident, holds: readonly HoldWindow[], pagedAt: number | undefined, afterMs: number, sent: readonly number[], skip: ReadonlySet<number> = new Set()): Renewal | undefined {
  if (pagedAt === undefined) return undefined;
  const last = Math.max(pagedAt, ...sent);
  const wait = afterMs * 2 ** sent.length;
  return (i.renewals ?? []).find((r) => r.at > last && !inHold(holds, r.from) && !skip.has(r.from) && r.at - last >= wait);
}

/** The cause from the stored job graphs (src/inspect/rootcause.ts); undefined when no graph of the machine's jobs
 *  was stored around the incident (the plan is unknown: e.g. a Prometheus source). */
async function graphCauseOf(store: Store, i: Incident, incidents: readonly Incident[], o: EnrichOptions['rootCause'] = {}): Promise<IncidentDetail['cause'] | undefined> {
  const from = i.onset - (o.lookbackMs ?? 30_000);
  const to = Math.min(i.resolvedAt ?? i.lastSeen, i.onset + (o.spanMs ?? 900_000));
  const snaps = await store.jobGraphs({ from, to, machine: i.machine });
  if (snaps.length === 0) return undefined;
  const g = causeOverTime(i, snaps, o);
  return g ? causeFromGraph(i, g, incidents) : null;
}

/** The other machines that share a job with `machine`, from the stored placement. */
function jobPeers(placement: ReadonlyMap<string, readonly string[]>, machine: string): string[] {
  const mine = new Set(placement.get(machine) ?? []);
  return [...placement.keys()].filter((m) => m !== machine && (placement.get(m) ?? []).some((j) => mine.has(j)));
}

/** The likely cause where no job graph was stored: from the per-operator busy / back-pressured time when the
 *  machine's operators report back-pressure (any incident type: a young incident's type still moves, and a machine
 *  whose operators wait on another machine is that machine's symptom whatever its scores look like first), else for
 *  a back-pressure incident from the placement and the machines' busy / back-pressured time. */
async function causeOf(store: Store, i: Incident, incidents: readonly Incident[]): Promise<IncidentDetail['cause']> {
  const placement = await store.placements();
  const mine = new Set(placement.get(i.machine) ?? []);
  const from = i.onset;
  const to = i.resolvedAt ?? i.lastSeen;
  const peers = jobPeers(placement, i.machine);
  // over the anomalous span only: after it (until the quiet period resolves the incident) the bottleneck has gone
  const ops: OperatorSample[] = [];
  for (const s of await store.jobSamples(i.machine, from, i.lastSeen + 1)) if (mine.has(s.job)) ops.push({ ...s, machine: i.machine });
  // the peers' samples only when an operator here waits (every incident is enriched here, most of them do not)
  if (operatorBottleneck(i.machine, ops) !== undefined) {
    for (const m of peers) for (const s of await store.jobSamples(m, from, i.lastSeen + 1)) if (mine.has(s.job)) ops.push({ ...s, machine: m });
  }
  const op = operatorBottleneck(i.machine, ops);
  if (op !== undefined && (op !== null || i.type === 'backpressure')) {
    if (op === null) return null;
    const anomalous = op.machine !== i.machine && incidents.some((o) => o.id !== i.id && o.machine === op.machine && o.onset <= to && (o.resolvedAt ?? o.lastSeen) >= from);
    return { machine: op.machine, busy: op.busy, jobs: [op.job], anomalous, operator: { job: op.job, name: op.operator } };
  }
  if (i.type !== 'backpressure') return null;
  const activity = new Map<string, Activity | null>();
  for (const m of peers) activity.set(m, seriesActivity(await store.series(m, ['busy_ms_per_s', 'backpressured_ms_per_s'], from, to), from, to));
  return backpressureCause(i, { jobsOn: (m) => placement.get(m) ?? [], machines: [i.machine, ...peers], activity: (m) => activity.get(m) ?? null, incidents });
}

/** What led a run of incident `i` from `from` to `to`: each metric's share of its deviation (src/inspect/explain.ts)
 *  from the machine's baseline before the incident's onset (`baselineMs` long), over the metrics `names` the scorer
 *  explained the incident with; [] when either stretch has no data. */
async function runExplanation(store: Store, i: Incident, names: readonly string[], from: number, to: number, baselineMs: number): Promise<Contribution[]> {
  if (names.length === 0) return [];
  const before = await store.series(i.machine, [...names], i.onset - baselineMs, i.onset - 1);
  const run = await store.series(i.machine, [...names], from, to);
  return before.timestamps.length && run.timestamps.length ? contributions(run.channels, before.values, run.values) : [];
}

/** The incident that a run of incident `i` from `from` to `to` is a symptom of (null: none): the cause read over that
 *  run alone, as for a new incident. Over a long incident the cause is diluted: an incident held by a failover can
 *  stay open until a hotspot elsewhere back-pressures its machine, and a symptom can linger at the keep-open level
 *  after the back-pressure ended — over the whole incident the bottleneck is then busy only part of the time and
 *  names nothing, which would page it; over the run that would page it, it is the cause. With `jobWide` (a renewal:
 *  no event holds it), a run led by its job's own metrics — what led it read over the run (runExplanation) — while an
 *  earlier incident elsewhere in the job is open is that incident's too (jobWideSymptomOf), as a new incident is. */
async function runSymptomOf(store: Store, i: Incident, from: number, to: number, incidents: readonly Incident[], isSymptom: (id: string) => boolean, o: EnrichOptions['rootCause'], jobWide?: { names: readonly string[]; baselineMs: number }): Promise<string | null> {
  const { resolvedAt: _r, ...open } = i;
  const run: Incident = { ...open, onset: from, lastSeen: Math.max(from, to) };
  const fromGraph = await graphCauseOf(store, run, incidents, o);
  const cause = fromGraph !== undefined ? fromGraph : await causeOf(store, run, incidents);
  const host = symptomOf(run, cause, incidents, isSymptom);
  if (host !== null || !jobWide) return host;
  const led = await runExplanation(store, i, jobWide.names, from, to, jobWide.baselineMs);
  if (!ledByJob(led)) return null;
  const placement = await store.placements();
  const jobsOn = (m: string): readonly string[] => placement.get(m) ?? [];
  // the job-wide metric that leads it, far higher here than on every other machine of the job, is this machine's own
  const lead = led.find((c) => JOB_WIDE.includes(c.name));
  if (lead) {
    const level = async (m: string): Promise<number> => median((await store.series(m, [lead.name], from, to)).values.filter(Number.isFinite));
    if (jobMetricOwn(await level(i.machine), await Promise.all(jobPeers(placement, i.machine).map(level)))) return null;
  }
  return jobWideSymptomOf(run, led, cause, incidents, jobsOn, isSymptom);
}

/**
 * Everything an incident carries besides the watcher's fields. `explanation` comes from the online scorer. It pages
 * (once paged, always) unless an event holds it; a held incident pages when it is still anomalous after the grace
 * period (its last anomalous point at or past the hold's end, seen at data time `now`). A back-pressure incident whose
 * cause lies on another machine with an incident open there is that incident's symptom (`symptomOf`): shown with it,
 * never paged on its own — unless it paged before the cause's incident opened (once paged, always); so is an incident
 * led by its job's own metrics (checkpoints, event time) while an earlier incident elsewhere in the job is open,
 * unless an event holds it (`jobWideSymptomOf`). A held incident that has not paged is the holding event's
 * after-effect (`afterEffectOf`): shown with the event as its expected consequence; if it pages after the hold it is a
 * standalone incident and the mark goes. After the hold it pages on a run that met the sustained rule, or on a run
 * that rose above everything the events did to it (outgrown: a hotspot that began on the disturbed machine); a
 * symptom, on a run that met the sustained rule or rose above everything it scored before (a hotspot that began on
 * the back-pressured machine). Each run is judged over itself (runSymptomOf): back-pressure from a hotspot elsewhere
 * that comes while a failover's incident is open, or that a symptom lingers after, is that hotspot's symptom. Without
 * a run of its own it does not page, and a symptom stays the symptom of the incident it was (`symptomHostOf`, from the
 * previous step): one that lingers after its cause ended is not a hotspot of its own. In the
 * step that pages it, `pagedAt` says when (src/core/incident.ts); `pagedBefore` is that time for one that paged in an
 * earlier step. Its renewals after the page notify again (`updates`: `sent`, those sent in earlier steps, and the new
 * ones; nextUpdate; `muted`, those judged to send none in earlier steps, are not read again), unless over its run a
 * renewal is another incident's symptom (back-pressure from a hotspot elsewhere; or led by its job's checkpoints or
 * event time while an earlier incident elsewhere in the job is open), or an event's after-effect (in the grace period
 * after the event's hold, its run no higher than what the hold saw: runAboveHolds).
 */
export async function enrich(store: Store, i: Incident, explanation: Contribution[], incidents: readonly Incident[], now: number, wasPaged: boolean, o: EnrichOptions = {}, symptomHostOf: (id: string) => string | undefined = () => undefined, pagedBefore?: number, sent: readonly number[] = [], muted: readonly number[] = []): Promise<IncidentDetail> {
  const base = o.jobBaselineMs ?? 3_600_000;
  const grace = o.eventGraceMs ?? 600_000;
  const sustain = o.sustainMs ?? 600_000;
  const end = i.resolvedAt ?? i.lastSeen;
  const isSymptom = (id: string): boolean => symptomHostOf(id) !== undefined;
  const wasSymptom = isSymptom(i.id);
  const events = await overlappingEvents(store, i, grace);
  // where the job graph is known it decides (for every type); else back-pressure falls back to the placement heuristic
  const fromGraph = await graphCauseOf(store, i, incidents, o.rootCause);
  const cause = fromGraph !== undefined ? fromGraph : await causeOf(store, i, incidents);
  const holder = holdingEvent(i, events, grace);
  const until = holder ? holdEnd(holder, i.machine, events, grace) : -Infinity;
  const holds = holdWindows(events, i.machine, grace);
  let host = symptomOf(i, cause, incidents, isSymptom);
  // a job's checkpoints or event time that moved on every machine of the job come from the hotspot that opened first
  // in it — unless an event explains the disturbance (a restart or a failed checkpoint moves them job-wide too). The
  // placement is read only for an incident led by those metrics (most are not, and enrich runs every step). Renewals
  // also ask whether the leading metric is the machine's own (runSymptomOf); new incidents do not: over their opening
  // run that cost the baselines and moved no row of the default (docs/ccl.md stop 45)
  if (host === null && !holder && ledByJob(explanation)) {
    const placement = await store.placements();
    host = jobWideSymptomOf(i, explanation, cause, incidents, (m) => placement.get(m) ?? [], isSymptom);
  }
  // an incident that has not paged — held by an event, or a symptom until now — pages only on a run of its own, and
  // that run is what it would page for: its cause is read there (the latest stretch that met the sustained rule, never
  // past the data seen; held, the latest run that outgrew what the events did to it; a symptom, the latest run that
  // rose above everything it scored before), not over the whole incident, which may hold other causes before it.
  // Without such a run it does not page: a symptom that lingers after its cause ended (its score stays near the
  // keep-open level) stays that cause's symptom
  const judged = !wasPaged && host === null && (holder !== null || wasSymptom);
  let run: number | undefined;
  if (judged) {
    // over a run: from its start the sustained length (never past the data seen), or up to where it stopped rising
    const readRun = (r: { from: number; to?: number }): Promise<string | null> => runSymptomOf(store, i, r.from, r.to ?? (sustain > 0 ? Math.min(now, r.from + sustain) : now), incidents, isSymptom, o.rootCause);
    // the sustained run first; when it does not page, held, the run that outgrew the holds, or, a symptom, the run
    // that rose above everything it scored as one (src/inspect/outgrow.ts). `read`: what the last run judged read as
    // The sustained run is read from where it began (after the hold: from the hold's end), not from the rule's latest
    // window, which slides along it; and a later run that begins inside it goes on from it: it is the same run, and
    // reads as it did. A symptom's run goes on after its cause ended — the back-log drains — and read over its tail
    // alone it names no cause: it would page (held-out s214, stop 46: docs/ccl.md)
    const sustained = i.sustainedFrom !== undefined && pagesNow(i, until, now) ? { from: Math.max(i.sustainedSince ?? i.sustainedFrom, until), end: i.sustainedFrom + sustain } : undefined;
    let read = sustained ? await readRun(sustained) : null;
    if (sustained && read === null) run = sustained.from;
    else {
      let other: { from: number; to?: number } | undefined;
      if (!holder) {
        const { t, score } = await scoresOf(store, i, now, o);
        other = newHighFrom(t, score, o.minPoints ?? PERSIST_POINTS, holds);
      } else if (now >= until) {
        const from = await outgrown(store, i, until, holds, grace, now, o);
        other = from !== undefined ? { from } : undefined;
      }
      if (other && !(sustained && other.from >= sustained.from && other.from <= sustained.end)) { // after the hold: from > until
        read = await readRun(other);
        if (read === null) run = other.from;
      }
    }
    // no run of its own: a symptom of what its run reads, else (not held) of what it was
    host = run !== undefined ? null : read ?? (holder ? null : symptomHostOf(i.id) ?? null);
  }
  const paged = wasPaged || (host === null && (judged ? run !== undefined : pagesNow(i, until, now)));
  // when it pages here: at the point that opened it, unless a hold or being a symptom kept it from paging then — then
  // now (the step's data time: an upper bound when a step covers many points). Once paged, the caller keeps the time.
  const pagedAt = paged && !wasPaged ? (holder === null && !wasSymptom ? i.openedAt ?? now : now) : undefined;
  // a renewal that is another incident's symptom over its run (back-pressure from a hotspot elsewhere; or led by its
  // job's checkpoints or event time while a hotspot elsewhere in the job is open) does not notify: it is that
  // hotspot's, which pages on its own. Read over the run that met the opening rule (from its start to the point that
  // renewed it), as a new incident is when it opens: a reading that can no longer change as the data goes on — over a
  // longer stretch the cause would dilute once the back-pressure ends, and the update go out late
  const notified = pagedAt ?? (wasPaged ? pagedBefore : undefined);
  // A renewal in the grace period after an event's hold is the event's after-effect (the catch-up once a failover's
  // hold is over) unless its run rose above everything that hold saw on the incident (runAboveHolds); later renewals
  // are judged as any other. The scores are read once, when one could be
  const updates = [...sent];
  const kept = new Set((i.renewals ?? []).map((r) => r.from));
  const skip = new Set(muted.filter((from) => kept.has(from))); // judged in an earlier step: not read again
  let scores: { t: number[]; score: number[] } | undefined;
  for (let r; (r = nextUpdate(i, holds, notified, o.updateAfterMs ?? 600_000, updates, skip)); ) {
    const { from, at } = r;
    const just = holds.filter((h) => h.to < from && from - h.to <= grace);
    let afterEffect = false;
    if (just.length) {
      scores ??= await scoresOf(store, i, now, o);
      afterEffect = !runAboveHolds(scores.t, scores.score, from, at, just);
    }
    if (afterEffect || (await runSymptomOf(store, i, from, at, incidents, isSymptom, o.rootCause, { names: explanation.map((c) => c.name), baselineMs: base })) !== null) skip.add(from);
    else updates.push(at);
  }
  return {
    explanation,
    jobs: await store.jobsOn(i.machine),
    movers: jobMovers(await store.jobSamples(i.machine, i.onset - base, end), i.onset - base, i.onset, end),
    cause,
    events: events.map((e) => e.id),
    paged,
    ...(pagedAt !== undefined ? { pagedAt } : {}),
    ...(updates.length ? { updates } : {}),
    ...(skip.size ? { muted: [...skip].sort((a, b) => a - b) } : {}),
    ...(host !== null ? { symptomOf: host } : {}),
    ...(host === null && !paged && holder ? { afterEffectOf: holder.id } : {}),
  };
}
