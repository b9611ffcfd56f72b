// Incidents: what the product raises. Pure data; the life-cycle logic lives in src/inspect/incidents.ts, the
// enrichment in src/app/enrich.ts, persistence in src/store.

export type HotspotType = 'trend' | 'sustained-high' | 'spike' | 'level-shift' | 'backpressure';

/** The watcher's view of an incident. 'acknowledged' is an operator's act on an open incident (see IncidentRecord). */
export type IncidentState = 'open' | 'acknowledged' | 'resolved';

export interface Incident {
  id: string;
  machine: string;
  state: IncidentState;
  type: HotspotType;
  onset: number;
  /** Time of the last anomalous point seen. */
  lastSeen: number;
  resolvedAt?: number;
  /** Time of the last point at or above the opening level (the last anomalous point may be a lower one: hysteresis). */
  lastHigh?: number;
  /** Start of the latest run that met the sustained rule (the sustained rule's run of consecutive points at the
   *  keep-open level; where the scorer has no sustained rule, the persistence run: the opening number of consecutive
   *  points at the opening level): an incident held by an event pages after the hold only if such a run lies wholly
   *  after it, and such a run in a later event's grace period is held by that event (src/app/enrich.ts holdingEvent,
   *  pagesNow). */
  sustainedFrom?: number;
  /** Where the consecutive run that `sustainedFrom`'s run belongs to began (≤ sustainedFrom): the sustained rule's
   *  window slides along a long run, its start does not. A held incident or a symptom is judged on the run read from
   *  here (src/app/enrich.ts), so that the reading does not change as the data goes on. Absent in incidents stored
   *  before it (then sustainedFrom stands in). */
  sustainedSince?: number;
  /** Data time of the point that opened the incident (its onset can be earlier: where its first run began). */
  openedAt?: number;
  /** Its renewals, oldest first: a later segment (the score went below the keep-open level long enough to close the
   *  previous one, then rose again within the quiet period) that met an opening rule again (the persistence run at
   *  the opening level, or the sustained run: what would have opened a new incident) — or, inside a segment, a
   *  persistence run at the opening level after the score stayed below it for at least as many points (a dip that
   *  did not close the segment), led by another metric than the points before the dip. `from` is where that run began, `at` the point at which it met the rule. A renewal of an
   *  incident that paged notifies the operator once more (src/app/enrich.ts updatesOf): an open incident may hide a
   *  second hotspot on the same machine. At most RENEWALS_KEPT are kept (the newest). */
  renewals?: Renewal[];
  /** Its highest score, as the model that scored it gave it. Scores of two models do not compare (a retraining
   *  scores on a scale of its own): see peakUnits. */
  peak: number;
  /** Its highest score in units of the alarm levels each point was judged against (src/core/units.ts: 0 at the
   *  keep-open level, 1 at the opening level): comparable across machines and across retrainings, as `peak` is not.
   *  Absent in incidents stored before it. */
  peakUnits?: number;
  segments: number;
}

/** One renewal of an incident (Incident.renewals). */
export interface Renewal {
  from: number;
  at: number;
  /** How long the incident had been quiet (no point at the keep-open level) before the renewing segment began
   *  (absent when a restart lost it). */
  quietMs?: number;
  /** For a renewal inside a segment (the score dipped below the opening level without closing the segment, then met
   *  the persistence rule again, led by another metric): how long it stayed below the opening level before it rose. */
  dipMs?: number;
  /** For a renewal inside a segment: the metric that led the renewing run's first points and the one that led the
   *  points before the dip (against the incident's baseline: src/inspect/explain.ts). They differ: the same metric
   *  rising again is the same episode and renews nothing. */
  lead?: string;
  leadBefore?: string;
}

/** Renewals an incident keeps (the newest): an incident that flaps for days must not grow without bound. */
export const RENEWALS_KEPT = 50;

/** One metric's share of an incident's deviation from the machine's baseline. */
export interface Contribution {
  name: string;
  /** Share of the total deviation in [0, 1]; shares sum to 1 (all 0 when nothing moved). */
  share: number;
  /** Mean signed robust z-score over the segment (positive = above baseline). */
  meanZ: number;
}

/** A job / operator on the incident's machine whose own metric moved most. */
export interface JobMover {
  job: string;
  operator: string;
  metric: string;
  /** Mean signed robust z-score of that metric over the incident vs the baseline before it. */
  meanZ: number;
}

/** The operator (job vertex) named as the cause on a job's graph (src/inspect/rootcause.ts), with its hot subtasks. */
export interface GraphCause {
  job: string;
  jobId: string;
  vertexId: string;
  /** The vertex's name (its chained operators). */
  vertex: string;
  /** 'downstream': reached walking the graph from the machine's back-pressured subtasks; 'local': the machine's own
   *  busiest subtask. */
  walk: 'downstream' | 'local';
  /** Vertex names from a back-pressured vertex on the machine to the cause ('downstream'), or just the cause. */
  path: string[];
  /** The hot subtasks, busiest first: busy and back-pressured shares of time (0–1) over the incident. */
  subtasks: { index: number; machine: string; busy: number; backpressure: number }[];
  /** Their TaskManagers, in that order, each once. */
  machines: string[];
}

/** The machine (and, where the job graph is known, the operator) most likely causing an incident: for back-pressure
 *  the bottleneck downstream, for other incidents with a known graph the hot operator on the machine itself. */
export interface BackpressureCause {
  machine: string;
  /** Mean busy time of the cause over the incident, in its metric's unit (ms/s from Flink; a graph cause: ms/s). */
  busy: number;
  /** The jobs the two machines share (with a graph cause: the cause's job). */
  jobs: string[];
  /** True when the cause had an incident of its own overlapping this one. */
  anomalous: boolean;
  /** Operator and subtasks from the job graph; absent when the cause comes from the placement heuristic. */
  graph?: GraphCause;
  /** The bottleneck operator read from per-operator samples when no job graph was stored (src/inspect/propagation.ts). */
  operator?: { job: string; name: string };
}

/** When the incident's leading metric is expected to cross the operator's limit (src/inspect/breach.ts). */
export interface Breach {
  metric: string;
  limit: number;
  /** The fitted (robust line) level of the metric now. */
  level: number;
  /** Its slope, metric units per minute. */
  slopePerMin: number;
  /** Expected time of the breach (epoch ms); `now` when already breached. */
  at: number;
  /** ms from the estimate to the breach (0 = breached). */
  inMs: number;
  /** When this incident first carried a breach warning (data time). */
  firstWarnedAt: number;
}

/** What an alert about an incident says: it paged, it renewed while open (an update), it resolved. */
export type AlertKind = 'open' | 'resolved' | 'update';

/** What an operator said about an incident. */
export type IncidentLabel = 'hotspot' | 'false-alarm' | 'expected';
export const INCIDENT_LABELS: readonly IncidentLabel[] = ['hotspot', 'false-alarm', 'expected'];

/** Why an incident is the way it is: written by the watcher (enrichment), never by an operator. */
export interface IncidentDetail {
  explanation: Contribution[];
  /** The jobs on the machine (placement) when the incident was enriched. */
  jobs: string[];
  movers: JobMover[];
  /** The likely cause: downstream for back-pressure; with a job graph also the hot operator of other incidents. */
  cause: BackpressureCause | null;
  /** Ids of the Flink events overlapping the incident. */
  events: string[];
  /** False while the incident is held (an event's grace period): recorded, not paged. */
  paged: boolean;
  /** Data time at which it paged: the point that opened it when it paged at once, else the step that ended its hold
   *  (absent while it has not paged). Whether an event paged is judged by it: a page sent before the event began was
   *  not the event's (src/eval/incidents.ts). */
  pagedAt?: number | null;
  /** Data times at which it notified the operator again after its page (an 'update' alert): its renewals
   *  (Incident.renewals) after the page that no event's grace period held and that are no other incident's symptom
   *  (src/app/enrich.ts nextUpdate). Once sent, kept. */
  updates?: number[];
  /** Starts (Renewal.from) of its renewals judged to send no update — another incident's symptom over their run, or
   *  an event's after-effect (src/app/enrich.ts): judged once, when each first was the next to notify, then kept (for
   *  the renewals still kept), so a muted renewal is not read again at every step. */
  muted?: number[];
  /** Time to breach of its leading metric's limit, when a limit is set and the metric is rising. */
  breach?: Breach | null;
  /** Set when this is back-pressure from a hotspot on another machine whose incident was open (this id): a symptom,
   *  shown with its cause's incident and never paged on its own (one page per hotspot). */
  symptomOf?: string | null;
  /** Set while an event's grace period holds this incident and it has not paged (the event's id): a restart's or a
   *  failover's expected after-effect, shown with the event and never paged. Cleared when it pages after the hold (it
   *  met the opening rule again after the hold: a standalone incident). */
  afterEffectOf?: string | null;
}

/** An operator's acts on an incident: owned by people, never overwritten by the watcher. */
export interface IncidentOperator {
  ack: { at: number; by: string } | null;
  label: { value: IncidentLabel; at: number; by: string; note: string } | null;
}

/** An incident as the store keeps it: the watcher's part, its detail, and the operator's part. */
export interface IncidentRecord extends Incident, IncidentDetail, IncidentOperator {}
