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
  peak: number;
  segments: number;
}

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

/** The machine most likely causing a back-pressure incident. */
export interface BackpressureCause {
  machine: string;
  /** Mean busy time of the cause over the incident, in its metric's unit. */
  busy: number;
  /** The jobs the two machines share. */
  jobs: string[];
  /** True when the cause had an incident of its own overlapping this one. */
  anomalous: boolean;
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

/** What an operator said about an incident. */
export type IncidentLabel = 'hotspot' | 'false-alarm' | 'expected';
export const INCIDENT_LABELS: readonly IncidentLabel[] = ['hotspot', 'false-alarm', 'expected'];

/** Why an incident is the way it is: written by the watcher (enrichment), never by an operator. */
export interface IncidentDetail {
  explanation: Contribution[];
  /** The jobs on the machine (placement) when the incident was enriched. */
  jobs: string[];
  movers: JobMover[];
  cause: BackpressureCause | null;
  /** Ids of the Flink events overlapping the incident. */
  events: string[];
  /** False while the incident is held (an event's grace period): recorded, not paged. */
  paged: boolean;
  /** Time to breach of its leading metric's limit, when a limit is set and the metric is rising. */
  breach?: Breach | null;
}

/** An operator's acts on an incident: owned by people, never overwritten by the watcher. */
export interface IncidentOperator {
  ack: { at: number; by: string } | null;
  label: { value: IncidentLabel; at: number; by: string; note: string } | null;
}

/** An incident as the store keeps it: the watcher's part, its detail, and the operator's part. */
export interface IncidentRecord extends Incident, IncidentDetail, IncidentOperator {}
