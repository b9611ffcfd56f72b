// Pieces both store engines share: rows → Series, bucketed columns, incident page cursors.
import { createHash } from 'node:crypto';
import type { Series } from '../core/series.js';
import type { JobGraphSnapshot } from '../core/jobgraph.js';
import type { Incident, IncidentDetail, IncidentLabel, IncidentRecord } from '../core/incident.js';
import type { Downsampled } from './store.js';
import { StoreError } from './store.js';

/** (metric, ts, value) rows of one machine, oldest first → a Series over the union of timestamps (gaps NaN). */
export function rowsToSeries(machine: string, metrics: string[], rows: { metric: string; ts: number; value: number }[], meta: Series['meta']): Series {
  const times: number[] = [];
  for (const r of rows) if (times.length === 0 || times[times.length - 1] !== r.ts) times.push(r.ts);
  const at = new Map(times.map((t, i) => [t, i]));
  const col = new Map(metrics.map((m, j) => [m, j]));
  const values = new Float64Array(times.length * metrics.length).fill(NaN); // float64: stored values come back exact
  for (const r of rows) {
    const j = col.get(r.metric);
    if (j !== undefined) values[at.get(r.ts)! * metrics.length + j] = r.value;
  }
  return { name: machine, timestamps: Float64Array.from(times), channels: [...metrics], values, meta };
}

/** Rows (key, bucket, value) → columns over the buckets present (sorted), one per key in `keys`. */
export function bucketed(rows: { key: string; b: number; v: number }[], keys: string[], from: number, bucketMs: number): Downsampled {
  const buckets = [...new Set(rows.map((r) => r.b))].sort((a, b) => a - b);
  const at = new Map(buckets.map((b, i) => [b, i]));
  const col = new Map(keys.map((k, j) => [k, j]));
  const values: (number | null)[][] = keys.map(() => new Array(buckets.length).fill(null));
  for (const r of rows) {
    const j = col.get(r.key);
    if (j !== undefined && Number.isFinite(r.v)) values[j][at.get(r.b)!] = r.v;
  }
  const keep = values.map((c) => c.some((v) => v !== null));
  return { t: buckets.map((b) => from + b * bucketMs), channels: keys.filter((_, j) => keep[j]), values: values.filter((_, j) => keep[j]), bucketMs };
}

/** The bucket width that cuts [from, to] (inclusive) into at most n buckets. */
export function bucketWidth(from: number, to: number, n: number): number {
  return Math.max(1, Math.ceil((Math.max(0, to - from) + 1) / Math.max(1, Math.floor(n))));
}

/** Page size: default 50, between 1 and 500. */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new StoreError(`page size must be an integer in 1..500 (got ${limit})`);
  return limit;
}

export function encodeCursor(c: { onset: number; id: string }): string {
  return Buffer.from(JSON.stringify([c.onset, c.id])).toString('base64url');
}

export function decodeCursor(s: string): { onset: number; id: string } {
  try {
    const [onset, id] = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof onset === 'number' && Number.isSafeInteger(onset) && typeof id === 'string') return { onset, id };
  } catch { /* fall through */ }
  throw new StoreError(`not a valid page cursor: '${s.slice(0, 40)}'`);
}

/** An incident row's columns (both engines), apart from its detail. */
export interface IncidentRowBase {
  id: string; machine: string; type: string; state: string; onset: number; last_seen: number; resolved_at: number | null; peak: number;
  segments: number; ack_at: number | null; ack_by: string | null; label: string | null; label_at: number | null;
  label_by: string | null; label_note: string | null;
}

/** An incident's detail column as the watcher writes it (both engines): what is not a column of its own. The
 *  operator's acknowledgement and label are never in it. incidentRecord reads it back. */
export function incidentDetailJson(i: Incident & IncidentDetail): string {
  return JSON.stringify({ explanation: i.explanation, jobs: i.jobs, movers: i.movers, cause: i.cause, events: i.events, breach: i.breach ?? null, lastHigh: i.lastHigh, sustainedFrom: i.sustainedFrom, sustainedSince: i.sustainedSince, openedAt: i.openedAt, peakUnits: i.peakUnits, renewals: i.renewals?.length ? i.renewals : undefined, pagedAt: i.pagedAt ?? undefined, updates: i.updates?.length ? i.updates : undefined, muted: i.muted?.length ? i.muted : undefined, symptomOf: i.symptomOf ?? undefined, afterEffectOf: i.afterEffectOf ?? undefined });
}

/** A stored incident row and its parsed detail → the record the API shows. */
export function incidentRecord(r: IncidentRowBase & { paged: boolean }, d: Partial<IncidentRecord>): IncidentRecord {
  return {
    id: r.id, machine: r.machine, type: r.type as IncidentRecord['type'],
    state: r.state === 'resolved' ? 'resolved' : r.ack_at !== null ? 'acknowledged' : 'open',
    onset: r.onset, lastSeen: r.last_seen, ...(r.resolved_at !== null ? { resolvedAt: r.resolved_at } : {}), ...(typeof d.lastHigh === 'number' ? { lastHigh: d.lastHigh } : {}), ...(typeof d.sustainedFrom === 'number' ? { sustainedFrom: d.sustainedFrom } : {}), ...(typeof d.sustainedSince === 'number' ? { sustainedSince: d.sustainedSince } : {}), ...(typeof d.openedAt === 'number' ? { openedAt: d.openedAt } : {}), ...(Array.isArray(d.renewals) && d.renewals.length ? { renewals: d.renewals } : {}), peak: r.peak, ...(typeof d.peakUnits === 'number' ? { peakUnits: d.peakUnits } : {}), segments: r.segments,
    explanation: d.explanation ?? [], jobs: d.jobs ?? [], movers: d.movers ?? [], cause: d.cause ?? null, events: d.events ?? [], paged: r.paged, ...(typeof d.pagedAt === 'number' ? { pagedAt: d.pagedAt } : {}), ...(Array.isArray(d.updates) && d.updates.length ? { updates: d.updates } : {}), ...(Array.isArray(d.muted) && d.muted.length ? { muted: d.muted } : {}), breach: d.breach ?? null, ...(d.symptomOf ? { symptomOf: d.symptomOf } : {}), ...(d.afterEffectOf ? { afterEffectOf: d.afterEffectOf } : {}),
    ack: r.ack_at !== null ? { at: r.ack_at, by: r.ack_by ?? '' } : null,
    label: r.label !== null ? { value: r.label as IncidentLabel, at: r.label_at ?? 0, by: r.label_by ?? '', note: r.label_note ?? '' } : null,
  };
}

/** Roll-up bucket widths (ms) both engines keep: 1 min, 5 min, 30 min, 2 h — each 4-6 times the one below, so a
 *  query reads at most ~3 times the rows it returns. */
export const ROLLUP_LEVELS = [60_000, 300_000, 1_800_000, 7_200_000] as const;

/** Start of the `width`-aligned bucket holding ts (epoch-aligned, so every roll-up bucket nests in a wider one). */
export const alignDown = (ts: number, width: number): number => ts - (((ts % width) + width) % width);

/** How a range query is answered: `level` null = from the raw rows in buckets of bucketMs counted from `from`;
 *  else from the roll-up of that width, in epoch-aligned buckets of bucketMs (a multiple of it) starting at `start`
 *  (the first bucket may begin before `from`: a roll-up bucket is read whole). Either way at most maxPoints buckets. */
export interface BucketPlan {
  level: number | null;
  bucketMs: number;
  start: number;
}

/** The coarsest roll-up that still gives at least maxPoints / 2 buckets, so a query reads at most a few times as
 *  many rows as it returns, whatever the range (a week of 10 s samples is ~60 000 rows per metric; its 30 min
 *  roll-up 336). Ranges fine enough to need buckets under 30 s read the raw rows. */
export function planBuckets(from: number, to: number, maxPoints: number): BucketPlan {
  const n = Math.max(1, Math.floor(maxPoints));
  const w = bucketWidth(from, to, n);
  const level = [...ROLLUP_LEVELS].reverse().find((l) => w >= l / 2);
  if (level === undefined) return { level: null, bucketMs: w, start: from };
  let bucketMs = Math.max(level, Math.ceil(w / level) * level);
  // aligned buckets may straddle both ends: widen until they fit in n
  while (Math.floor(to / bucketMs) - Math.floor(from / bucketMs) + 1 > n) bucketMs += level;
  return { level, bucketMs, start: alignDown(from, bucketMs) };
}

/** One step's score roll-up cells (samples are rolled up in bulk instead): per machine, per level bucket, the max
 *  score and the max on the alarm scale (null: no score in the cell came with its units). Cells are keyed bucket +
 *  level index (buckets are multiples of 60 000, so the levels' keys stay apart). */
export class ScoreRollup {
  private readonly machines = new Map<string, Map<number, [max: number, umax: number | null]>>();

  /** `u`: the score's units as stored (storedUnits). */
  add(machine: string, ts: number, score: number, u: number | null = null): void {
    let cells = this.machines.get(machine);
    if (!cells) this.machines.set(machine, (cells = new Map()));
    for (let i = 0; i < ROLLUP_LEVELS.length; i++) {
      const k = alignDown(ts, ROLLUP_LEVELS[i]) + i;
      const c = cells.get(k);
      if (c === undefined) cells.set(k, [score, u]);
      else {
        if (score > c[0]) c[0] = score;
        c[1] = maxOrNull(c[1], u);
      }
    }
  }

  /** (level, machine, bucket, max, umax) of every cell. */
  *rows(): Generator<[number, string, number, number, number | null]> {
    for (const [machine, cells] of this.machines) {
      for (const [k, [v, u]] of cells) {
        const i = ((k % 60_000) + 60_000) % 60_000;
        yield [ROLLUP_LEVELS[i], machine, k - i, v, u];
      }
    }
  }
}

/** A score point's units as both engines store them: null when the watcher gave none (or a non-finite one). */
export const storedUnits = (u: number | undefined): number | null => (u !== undefined && Number.isFinite(u) ? u : null);

/** The larger of two maxima, either of which may be unknown (null). */
export function maxOrNull(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

/** A heat-map cell: the bucket's max on the alarm scale, else (scores stored without units) its max score over
 *  `threshold`. */
export const heatCell = (max: number, umax: number | null, threshold: number): number => (umax !== null ? umax : max / threshold);

/** A job graph's topology: what stays the same from poll to poll (stored once per change, by hash). */
export type Topology = Pick<JobGraphSnapshot, 'vertices' | 'edges'>;

/** Topology JSON (shares left out) with its hash (the key it is stored under, once per distinct topology) and the
 *  per-subtask shares as float32 pairs (busy, back-pressured), in order. */
export function splitGraph(g: JobGraphSnapshot): { topology: string; hash: string; activity: Buffer } {
  const topology = JSON.stringify({
    vertices: g.vertices.map((v) => ({ id: v.id, name: v.name, parallelism: v.parallelism, subtasks: v.subtasks.map((t) => ({ index: t.index, machine: t.machine, status: t.status, attempt: t.attempt })) })),
    edges: g.edges,
  });
  const pairs = new Float32Array(g.vertices.reduce((n, v) => n + v.subtasks.length, 0) * 2);
  let k = 0;
  for (const v of g.vertices) for (const t of v.subtasks) { pairs[k++] = t.busy; pairs[k++] = t.backpressure; }
  return { topology, hash: createHash('sha256').update(topology).digest('hex').slice(0, 32), activity: Buffer.from(pairs.buffer, pairs.byteOffset, pairs.byteLength) };
}

export function joinGraph(r: { job_id: string; ts: number; job: string; state: string }, topo: Topology, activity: Buffer): JobGraphSnapshot {
  const f = new Float32Array(activity.buffer.slice(activity.byteOffset, activity.byteOffset + activity.byteLength));
  let k = 0;
  return {
    jobId: r.job_id, job: r.job, ts: r.ts, state: r.state, edges: topo.edges,
    vertices: topo.vertices.map((v) => ({ ...v, subtasks: v.subtasks.map((t) => ({ ...t, busy: f[k++] ?? NaN, backpressure: f[k++] ?? NaN })) })),
  };
}
