// The API's shapes as JSON Schema (TypeBox): fastify validates every query, parameter and body against them, and
// serialises answers through them (fast-json-stringify); /api/openapi.json is generated from the same objects, so
// the document cannot drift from what the routes do. Unknown query parameters and body fields are refused (400).
import { Type, type TSchema } from 'typebox';
import { PERSIST_POINTS } from '../core/units.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
/** A nullable scalar as OpenAPI 3.0 writes it; serialised without the per-value branch test an anyOf costs
 *  (a metrics answer holds tens of thousands of them). */
const NullableNumber = (o: object = {}) => Type.Unsafe<number | null>({ type: 'number', nullable: true, ...o });
const EpochMs = (description: string) => Type.Integer({ minimum: -8.64e15, maximum: 8.64e15, description });
const closed = { additionalProperties: false } as const;

export const ErrorBody = Type.Object({ error: Type.String() }, { description: 'What was wrong, one line' });

// ---- parameters
export const MachineParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 256, description: 'Machine (TaskManager) id' }) }, closed);
export const IncidentParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128, description: 'Incident id' }) }, closed);

export const RangeQuery = Type.Object({
  from: Type.Optional(EpochMs('Range start, epoch ms (default: 24 h before `to`)')),
  to: Type.Optional(EpochMs('Range end, epoch ms (default: the newest scored point)')),
  points: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, description: 'At most this many buckets (the chart\'s width in pixels); default 1500' })),
}, closed);

export const MachinesQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, description: 'The riskiest this many machines (default 200)' })),
  machine: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Only this machine' })),
}, closed);

export const ClusterQuery = Type.Object({
  from: Type.Optional(EpochMs('Range start, epoch ms (default: 6 h before `to`)')),
  to: Type.Optional(EpochMs('Range end, epoch ms (default: the newest scored point)')),
  buckets: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000, description: 'Time buckets (default 120)' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'The riskiest this many machines (default 50)' })),
}, closed);

const HotspotType = Type.Enum(['trend', 'sustained-high', 'spike', 'level-shift', 'backpressure'], { type: 'string' });
const LabelValue = Type.Enum(['hotspot', 'false-alarm', 'expected'], { type: 'string' });

export const IncidentsQuery = Type.Object({
  state: Type.Optional(Type.Enum(['open', 'acknowledged', 'resolved', 'active'], { type: 'string', description: 'active = open or acknowledged' })),
  type: Type.Optional(HotspotType),
  machine: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  job: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  label: Type.Optional(Type.Enum(['hotspot', 'false-alarm', 'expected', 'none'], { type: 'string', description: 'none = not labelled' })),
  from: Type.Optional(EpochMs('Onset at or after, epoch ms')),
  to: Type.Optional(EpochMs('Onset at or before, epoch ms')),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'Page size (default 50)' })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'The previous page\'s `next`' })),
}, closed);

export const EventsQuery = Type.Object({
  from: Type.Optional(EpochMs('From, epoch ms')),
  to: Type.Optional(EpochMs('To, epoch ms')),
  machine: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
}, closed);

export const AckBody = Type.Object({}, { ...closed, description: 'Empty JSON object' });
export const LabelBody = Type.Object({
  label: LabelValue,
  note: Type.Optional(Type.String({ maxLength: 500 })),
}, closed);

// ---- answers
const Num = NullableNumber();

export const Health = Type.Object({
  machines: Type.Integer(), atRisk: Type.Integer(), p50: Num, p90: Num, max: Num, threshold: Num,
  newest: Type.Unsafe<number | null>({ type: 'integer', nullable: true }), openIncidents: Type.Integer(),
  collectFailing: Type.Unsafe<{ at: number; since: number | null; error: string } | null>({
    type: 'object', nullable: true, required: ['at', 'since', 'error'],
    properties: { at: { type: 'integer' }, since: { type: 'integer', nullable: true }, error: { type: 'string' } },
    description: 'Set while the collector cannot collect (its first failed poll, the last data before it, the error): the scores are not current',
  }),
});

export const MachineRow = Type.Object({
  machine: Type.String(), lastTs: Type.Integer(), lastScore: Type.Number(), risk: Type.Number(), openIncidents: Type.Integer(), atRisk: Type.Boolean(),
});

export const Cluster = Type.Object({
  machines: Type.Array(Type.String()),
  t: Type.Array(Type.Integer(), { description: 'Bucket start times' }),
  bucketMs: Type.Integer(),
  cells: Type.Array(Type.Array(Num), {
    description: `(machines, buckets): the highest level a machine held on the alarm scale (each point the lowest of its score and the points before it that the opening rule reads: ${PERSIST_POINTS - 1} at a scrape of 5 s or slower, more at a faster one, where Flink repeats its readings) — in units of the levels the scoring model held on the machine: 1 = its opening level, 0 = its keep-open level, about -1 = its median training score — so machines and retrainings read alike; scores stored without their units: max score / threshold; null = not scored`,
  }),
  threshold: NullableNumber({ description: "The newest model's threshold (what buckets stored without units are divided by)" }),
});

export const Scores = Type.Object({
  machine: Type.String(), threshold: NullableNumber({ description: "The newest model's threshold (each stretch's own level: levels)" }), bucketMs: Type.Integer(),
  t: Type.Array(Type.Integer()), score: Type.Array(Num, { description: 'Max score per bucket' }),
  levels: Type.Array(Type.Object({ from: Type.Integer(), model: Nullable(Type.Integer()), level: Num }), {
    description: 'The opening level each model that scored the range held on this machine, from the first point it scored there, oldest first: a retrained model scores on a scale of its own, so each stretch reads against its own model\'s level (model null: scores stored without their version; level null: unknown)',
  }),
});

export const Metrics = Type.Object({
  machine: Type.String(), bucketMs: Type.Integer(), t: Type.Array(Type.Integer()), channels: Type.Array(Type.String()),
  values: Type.Array(Type.Array(Num), { description: 'One column per channel: mean per bucket, null = gap' }),
});

const Contribution = Type.Object({ name: Type.String(), share: Type.Number(), meanZ: Type.Number() });
const Mover = Type.Object({ job: Type.String(), operator: Type.String(), metric: Type.String(), meanZ: Type.Number() });
const GraphCause = Type.Object({
  job: Type.String(), jobId: Type.String(), vertexId: Type.String(), vertex: Type.String(), walk: Type.Enum(['downstream', 'local'], { type: 'string' }),
  path: Type.Array(Type.String()), machines: Type.Array(Type.String()),
  subtasks: Type.Array(Type.Object({ index: Type.Integer(), machine: Type.String(), busy: Type.Number(), backpressure: Type.Number() })),
}, { description: 'The operator named on the job graph and its hot subtasks (src/inspect/rootcause.ts)' });
const Cause = Type.Object({ machine: Type.String(), busy: Type.Number(), jobs: Type.Array(Type.String()), anomalous: Type.Boolean(), graph: Type.Optional(GraphCause) });

export const FlinkEvent = Type.Object({
  id: Type.String(), ts: Type.Integer(), kind: Type.String(), job: Type.Optional(Type.String()), machines: Type.Array(Type.String()),
  detail: Type.String(), attrs: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]))),
});

const incidentFields = {
  id: Type.String(), machine: Type.String(), type: HotspotType, state: Type.Enum(['open', 'acknowledged', 'resolved'], { type: 'string' }),
  onset: Type.Integer(), lastSeen: Type.Integer(), resolvedAt: Type.Optional(Type.Integer()), peak: Type.Number(), peakUnits: Type.Optional(Type.Number({ description: 'Highest score in units of the alarm levels its points were judged against: 0 at the keep-open level, 1 at the opening level. Comparable across machines and across retrainings, unlike peak (a retrained model scores on a scale of its own); absent in incidents stored before it' })), segments: Type.Integer(),
  explanation: Type.Array(Contribution), jobs: Type.Array(Type.String()), movers: Type.Array(Mover), cause: Nullable(Cause),
  events: Type.Array(Type.String(), { description: 'Ids of overlapping Flink events' }), paged: Type.Boolean(),
  pagedAt: Type.Optional(Nullable(Type.Integer({ description: 'Data time (epoch ms) at which it paged: the point that opened it, or the end of an event\'s hold; absent while it has not paged' }))),
  renewals: Type.Optional(Type.Array(Type.Object({ from: Type.Integer(), at: Type.Integer(), quietMs: Type.Optional(Type.Integer()), dipMs: Type.Optional(Type.Integer()), lead: Type.Optional(Type.String()), leadBefore: Type.Optional(Type.String()) }), { description: 'Later segments that met the opening rule again while it was open (the score went quiet, then rose again), or runs at the opening level after a dip below it inside a segment led by another metric than before the dip: where each run began, when it met the rule, how long it had been quiet before (quietMs) or below the opening level (dipMs), and for the latter the metric leading the run and the one that led before the dip' })),
  updates: Type.Optional(Type.Array(Type.Integer(), { description: "Data times (epoch ms) at which it notified again after its page: its renewals after the page that no event's grace period held" })),
  muted: Type.Optional(Type.Array(Type.Integer(), { description: "Starts (epoch ms) of its renewals judged to send no update: another incident's symptom over their run, or an event's after-effect" })),
  symptomOf: Type.Optional(Nullable(Type.String({ description: "The incident whose hotspot back-pressures this machine: a symptom, never paged on its own" }))),
  afterEffectOf: Type.Optional(Nullable(Type.String({ description: "The Flink event (restart, failover, deploy …) whose grace period holds this incident: its expected after-effect, never paged unless it meets the opening rule again after the hold" }))),
  ack: Nullable(Type.Object({ at: Type.Integer(), by: Type.String() })),
  label: Nullable(Type.Object({ value: LabelValue, at: Type.Integer(), by: Type.String(), note: Type.String() })),
};
export const Incident = Type.Object(incidentFields);
export const IncidentDetail = Type.Object({ ...incidentFields, eventDetails: Type.Array(FlinkEvent) });
export const IncidentPage = Type.Object({ items: Type.Array(Incident), next: Type.Unsafe<string | null>({ type: 'string', nullable: true, description: 'Cursor of the next page' }) });

export const Model = Type.Object({
  id: Type.Integer(), kind: Type.String(), version: Type.String(), path: Type.String(), threshold: Num, thresholdRule: Type.String(),
  history: Type.Array(Type.Object({ epoch: Type.Integer(), loss: Num, valLoss: Num, ms: Num })),
  reason: Type.Optional(Type.String()),
  drift: Type.Optional(Type.Object({ ks: Type.Number(), critical: Type.Number(), drifted: Type.Boolean(), trainMedian: Num, recentMedian: Num, checkedAt: Type.Integer() })),
  provenance: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Type.Integer(),
});

/** Every answer may also be one of these. */
export const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody };
