// The store interface: everything flinkscope keeps — samples (machine-level and per job/operator), job placement,
// Flink events, model versions, scores, incidents (the watcher's part and the operator's part apart), the scorer's
// state, the alert outbox, and retention. One interface, two engines: SQLite (embedded default, src/store/sqlite.ts)
// and PostgreSQL (shared, for fleets). Every method is async so both fit; every write that must be atomic is ONE
// method (commitStep), so an engine needs no open transaction across awaits.
import type { Series } from '../core/series.js';
import type { Sample } from '../core/sample.js';
import type { EventKind, FlinkEvent } from '../core/event.js';

/** Which events (Store.events): [from, to] (ms), on a machine or cluster-wide, of some kinds, at most `limit`. */
export interface EventQuery { from?: number; to?: number; machine?: string; kinds?: readonly EventKind[]; limit?: number }
import type { JobGraphSnapshot } from '../core/jobgraph.js';
import type { AlertKind, Incident, IncidentDetail, IncidentLabel, IncidentRecord } from '../core/incident.js';

export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreError';
  }
}

/** A per-(machine, job, operator) sample as stored. */
/** A commitStep refused because its fence was claimed by someone else (the partition moved to another worker). */
export class FencedError extends StoreError {
  constructor(key: string, mine: number, now: number) {
    super(`fenced: '${key}' was claimed again (epoch ${now}, this writer holds ${mine})`);
    this.name = 'FencedError';
  }
}

/** Counts over the cluster view and every machine's latest score, ascending (for quantiles). */
export interface StatusSummary {
  machines: number;
  atRisk: number;
  openIncidents: number;
  newest: number;
  scores: number[];
}

export interface JobSampleRow {
  job: string;
  operator: string;
  metric: string;
  ts: number;
  value: number;
}

/** A machine's stored scores, oldest first: (n,) each. */
export interface ScoreRows {
  t: number[];
  score: number[];
  model: (number | null)[];
}

export interface ModelRecord {
  id: number;
  kind: string;
  /** The model artifact (src/app/artifact.ts): weights, threshold rule and value, training scores, provenance. */
  path: string;
  createdAt: number;
  /** Why and on what it was trained, its latest drift check (JSON). */
  report: Record<string, unknown>;
}

/** One machine's row of the cluster view, written by the watcher in each step. */
export interface MachineStatus {
  machine: string;
  /** Newest scored timestamp and its score. */
  lastTs: number;
  lastScore: number;
  /** Risk now (src/inspect/ranking.ts): ≥ 1 means at risk. */
  risk: number;
  /** Open (not resolved) incidents on it. */
  openIncidents: number;
}

/** An alert waiting in (or delivered from) the outbox. Written in the step that raised it; delivered afterwards. */
export interface OutboxAlert {
  id: number;
  /** The sink it goes to ('webhook', 'alertmanager'): each sink has its own row and its own delivery state. */
  sink: string;
  /** Idempotency key: `<incident id>:<kind>` (an update: `<incident id>:update:<data time>`) — the receiver-side id
   *  (unique per sink). */
  key: string;
  incidentId: string;
  kind: AlertKind;
  createdAt: number;
  attempts: number;
  /** Not before this time (back-off, or a rate-limit deferral). */
  nextAt: number;
  deliveredAt: number | null;
  lastError: string | null;
}

/** Everything one watch step changes, committed atomically (all or nothing). */
export interface StepWrite {
  /** `units`: the level the machine held at the point on the alarm scale (src/core/units.ts) — the lowest of the
   *  point's score and the scores before it that the watcher's persistence reads (PERSIST_POINTS − 1 at a 10-s scrape;
   *  persistPoints), each in units of the levels its scoring model held on
   *  the machine as it began scoring it (what persistence reads: one high sample is not a level); omitted when no unit
   *  is known (no levels yet, no model version). The heat map shows their maximum per bucket. */
  scores: { machine: string; points: { t: number; score: number; units?: number }[] }[];
  modelId: number | null;
  /** Scorer state of the machines whose state changed (JSON-able). */
  scorerStates: { machine: string; state: unknown }[];
  /** Incidents created or changed by the watcher; the operator's fields (ack, label) are never written here. */
  incidents: (Incident & IncidentDetail)[];
  /** Alerts to enqueue (sink default 'webhook'); a (sink, key) already in the outbox is ignored. */
  alerts: { key: string; incidentId: string; kind: AlertKind; createdAt: number; sink?: string }[];
  /** Machine rows of the cluster view. */
  status: MachineStatus[];
  /** Watcher bookkeeping kept with the step (e.g. the next incident number). */
  meta: Record<string, string>;
  /** Fencing (fleet workers, src/app/fleet.ts): the step commits only while `epoch` is still the latest `claim` of
   *  `key`; otherwise it is rolled back with a FencedError — a worker that lost its partition cannot write to it. */
  fence?: { key: string; epoch: number };
}

export interface IncidentQuery {
  state?: 'open' | 'acknowledged' | 'resolved' | 'active';
  type?: string;
  machine?: string;
  job?: string;
  label?: IncidentLabel | 'none';
  /** Onset range (epoch ms). */
  from?: number;
  to?: number;
  /** Page size (default 50, at most 500). */
  limit?: number;
  /** Opaque cursor from the previous page's `next`. */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Cursor of the next page, null on the last. */
  next: string | null;
}

/** A time series downsampled to at most a number of buckets: per bucket the max (scores) or mean (metrics). */
export interface Downsampled {
  t: number[];
  /** One column per channel; null = no value in the bucket. */
  values: (number | null)[][];
  channels: string[];
  /** Bucket width in ms (0 = raw points). */
  bucketMs: number;
}

export interface HeatMap {
  machines: string[];
  /** Bucket start times. */
  t: number[];
  bucketMs: number;
  /** (machines, buckets) the highest score on the alarm scale per bucket (max score / threshold where scores were stored without units); null = not scored. */
  cells: (number | null)[][];
}

export interface RetentionPolicy {
  /** Delete everything older than now − retainMs. */
  retainMs: number;
  /** Samples older than now − rawMs are replaced by their means over `bucketMs` (roll-up). */
  rawMs: number;
  bucketMs: number;
}

export interface RetentionResult {
  deletedSamples: number;
  rolledUpSamples: number;
  deletedScores: number;
  deletedEvents: number;
  deletedIncidents: number;
  deletedJobGraphs: number;
}

/** Evidence captured from Flink for an incident (src/app/evidence.ts): a flame graph of the hot vertex, a thread dump
 *  of its TaskManager. A capture that failed is kept too, with its error, so the incident page can say why. */
export interface Evidence {
  incidentId: string;
  kind: 'flamegraph' | 'thread-dump';
  /** What it was taken of: job, vertex and subtask, or the TaskManager. */
  target: Record<string, string | number>;
  /** Wall clock when the capture was asked for and when it was complete. */
  requestedAt: number;
  capturedAt: number;
  /** capturedAt − the incident's onset (ms), when the onset is in wall-clock time. */
  latencyMs: number | null;
  /** Size of the body kept, bytes (bodies are size-bounded; truncated says whether something was cut). */
  bytes: number;
  truncated: boolean;
  error: string | null;
  /** The evidence as Flink gave it, bounded (JSON: a flame-graph tree, or thread dumps). Null when it failed. */
  body: unknown;
}

export interface StoreStatus {
  location: string;
  engine: 'sqlite' | 'postgres';
  schemaVersion: number;
  samples: number;
  machines: number;
  metrics: string[];
  from: number | null;
  to: number | null;
  models: number;
  incidents: { open: number; total: number };
  events: number;
  /** Bytes on disk, when the engine can tell. */
  bytes: number | null;
}

export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  readonly location: string;
  readonly schemaVersion: number;

  // samples and placement
  /** Stores a batch; duplicates (same machine, metric[, job, operator], ts) are ignored. Returns how many were new. */
  insertSamples(samples: Sample[]): Promise<number>;
  recordPlacement(jobsOn: Record<string, string[]>, ts: number): Promise<void>;
  jobsOn(machine: string): Promise<string[]>;
  /** Every machine's jobs (the placement the collectors recorded). */
  placements(): Promise<Map<string, string[]>>;
  machines(): Promise<string[]>;
  metrics(): Promise<string[]>;
  /** One machine's samples in [from, to] as a Series over the union of timestamps (missing values NaN); with
   *  `maxRows`, only the oldest maxRows timestamps of the range. */
  series(machine: string, metrics: string[], from?: number, to?: number, maxRows?: number): Promise<Series>;
  /** For each machine, its rows after `after` (oldest first, at most maxRows), in one read: what a watch step scores.
   *  Same as `series(machine, metrics, after + 1, ∞, maxRows)` per machine; one round trip for a shared store. */
  seriesAfter(items: { machine: string; after: number }[], metrics: string[], maxRows: number): Promise<Series[]>;
  /** The newest `n` rows at or before `to` (for rebuilding a scorer's window after a restart). */
  lastRows(machine: string, metrics: string[], to: number, n: number): Promise<Series>;
  jobSamples(machine: string, from: number, to: number): Promise<JobSampleRow[]>;
  /** Newest sample timestamp (-Infinity when empty). */
  newestSample(): Promise<number>;
  /** Metrics of a machine in [from, to], bucketed to at most maxPoints. */
  metricsRange(machine: string, from: number, to: number, maxPoints: number): Promise<Downsampled>;

  // events
  insertEvents(events: FlinkEvent[]): Promise<number>;
  /** Events in [from, to] by time: on `machine` or cluster-wide when it is given, of `kinds` when they are given. */
  events(q: EventQuery): Promise<FlinkEvent[]>;

  // job graphs (src/core/jobgraph.ts)
  /** Stores snapshots (one per job and poll); a (job id, ts) already stored is ignored. Returns how many were new. */
  insertJobGraphs(snaps: JobGraphSnapshot[]): Promise<number>;
  /** Snapshots with ts in [from, to], oldest first; with `machine`, only those of jobs with a subtask on it. At most
   *  `limit` (default 10 000) — the newest ones when there are more. */
  jobGraphs(q: { from: number; to: number; machine?: string; limit?: number }): Promise<JobGraphSnapshot[]>;

  // evidence captured for incidents
  /** Stores (or replaces) an incident's evidence of one kind. */
  putEvidence(e: Evidence): Promise<void>;
  evidence(incidentId: string): Promise<Evidence[]>;

  // models
  addModel(kind: string, path: string, report: Record<string, unknown>, createdAt?: number): Promise<number>;
  latestModel(): Promise<ModelRecord | null>;
  model(id: number): Promise<ModelRecord | null>;
  updateModelReport(id: number, patch: Record<string, unknown>): Promise<void>;

  // the watcher
  /** One watch step, atomically: scores, scorer state, incidents, outbox alerts, machine status, meta. */
  commitStep(w: StepWrite): Promise<void>;
  /** Saved scorer states (of the given machines, or all). */
  scorerStates(machines?: string[]): Promise<Map<string, unknown>>;
  /** Takes ownership of `key` (kept in the watcher meta as a number): returns the new epoch, after which commits
   *  fenced with an older epoch of the key fail. */
  claim(key: string): Promise<number>;
  meta(key: string): Promise<string | null>;
  /** A machine's scores in [from, to], oldest first; with `last`, only the newest `last` of them. `model`: the model
   *  version that scored each (null: not recorded). */
  scores(machine: string, from: number, to: number, last?: number): Promise<ScoreRows>;
  /** The model versions that scored a machine's points in [from, to], each with the first timestamp it scored there,
   *  oldest first (model null: scores stored without their version). A chart draws each stretch against its own
   *  model's level: a retrained model scores on a scale of its own. */
  scoreModels(machine: string, from: number, to: number): Promise<{ model: number | null; from: number }[]>;
  /** Scores of a machine in [from, to], max per bucket, at most maxPoints. */
  scoresRange(machine: string, from: number, to: number, maxPoints: number): Promise<Downsampled>;
  /** Per bucket over [from, to] (in SQL) the highest score on the alarm scale (1 = the opening level of the model
   *  that scored it, 0 = its keep-open level), for the given machines or else the `limit` (default 50) riskiest ones.
   *  A bucket whose scores were stored without their units reads max score / `threshold`. */
  heatMap(q: { from: number; to: number; buckets: number; threshold: number; machines?: string[]; limit?: number }): Promise<HeatMap>;
  /** The cluster view: each scored machine's latest status, highest risk first (the first `limit`, or one machine). */
  machineStatus(q?: { limit?: number; machine?: string }): Promise<MachineStatus[]>;
  /** Newest scored timestamp (-Infinity when nothing is scored). */
  newestScore(): Promise<number>;
  /** The cluster view in numbers, aggregated by the engine (not 10 000 status rows through the API process). */
  statusSummary(): Promise<StatusSummary>;

  // incidents
  incidents(q?: IncidentQuery): Promise<Page<IncidentRecord>>;
  incident(id: string): Promise<IncidentRecord | null>;
  /** Incidents the watcher has not resolved (all of them: what a restarted watcher continues). */
  activeIncidents(): Promise<IncidentRecord[]>;
  /** The operator acknowledges an open incident (idempotent). Throws StoreError for unknown / resolved ones. */
  acknowledge(id: string, by: string, at: number): Promise<IncidentRecord>;
  label(id: string, value: IncidentLabel, by: string, note: string, at: number): Promise<IncidentRecord>;

  // alert outbox
  /** Undelivered alerts due at `now`, oldest first; of one sink, or of every sink without `sink`; with
   *  `incidentPrefixes`, only those of incidents whose id starts with one of them (a fleet worker delivers its own
   *  partitions' alerts). */
  dueAlerts(now: number, limit: number, sink?: string, incidentPrefixes?: string[]): Promise<OutboxAlert[]>;
  markDelivered(id: number, at: number): Promise<void>;
  /** A failed or deferred delivery: try again at nextAt. */
  markRetry(id: number, nextAt: number, error: string | null, countAttempt: boolean): Promise<void>;
  alerts(q?: { incidentId?: string; sink?: string; limit?: number }): Promise<OutboxAlert[]>;

  // housekeeping
  applyRetention(now: number, p: RetentionPolicy): Promise<RetentionResult>;
  status(): Promise<StoreStatus>;
  close(): Promise<void>;
}
