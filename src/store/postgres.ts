// The shared store: PostgreSQL through `pg`, for fleets — N watch workers write while `serve` reads. Same interface,
// same packed sample rows (src/store/rows.ts) and the same numbered migrations as the SQLite engine
// (src/store/pg-schema.ts). Every write method is one transaction on one pooled connection; a watch step
// (scores + scorer state + incidents + outbox + cluster view + meta) is one, checked against its fence
// (`claim`) under a row lock, so a worker that lost its partition cannot write to it. Text ordering is byte order
// (COLLATE "C"), as in SQLite, whatever the database's locale.
import pg from 'pg';
import type { Series } from '../core/series.js';
import type { Sample } from '../core/sample.js';
import type { FlinkEvent } from '../core/event.js';
import type { AlertKind, IncidentLabel, IncidentRecord } from '../core/incident.js';
import type { JobGraphSnapshot } from '../core/jobgraph.js';
import { PG_MIGRATIONS } from './pg-schema.js';
import { eachEntry, eachSum, entryCount, mergeRows, packRow } from './rows.js';
import { RollupCells } from './pg-rollups.js';
import {
  FencedError, StoreError, type Downsampled, type EventQuery, type Evidence, type HeatMap, type IncidentQuery, type JobSampleRow, type MachineStatus, type ModelRecord, type ScoreRows,
  type OutboxAlert, type Page, type RetentionPolicy, type RetentionResult, type StatusSummary, type StepWrite, type Store, type StoreStatus,
} from './store.js';
import { alignDown, bucketed, decodeCursor, encodeCursor, heatCell, incidentDetailJson, incidentRecord, joinGraph, pageLimit, planBuckets, ROLLUP_LEVELS, ScoreRollup, splitGraph, storedUnits, type BucketPlan, type IncidentRowBase, type Topology } from './common.js';

const MAX = Number.MAX_SAFE_INTEGER;
const clampT = (t: number | undefined, d: number): number => (t === undefined || !Number.isFinite(t) ? d : Math.max(-MAX, Math.min(MAX, Math.round(t))));
/** Scores and risks are finite in the store (as in SQLite's engine). */
const fin = (x: number): number => (Number.isFinite(x) ? x : 1e30);

// BIGINT (times, ids, counts) and NUMERIC (sums) come back as numbers: every time is a safe integer (clampT)
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

/** A location without its password, for messages. */
export const redact = (url: string): string => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:…@');

interface IncidentRow extends IncidentRowBase { paged: boolean; detail: Partial<IncidentRecord> }
const toRecord = (r: IncidentRow): IncidentRecord => incidentRecord(r, r.detail);

interface OutboxRow { id: number; sink: string; key: string; incident_id: string; kind: AlertKind; created_at: number; attempts: number; next_at: number; delivered_at: number | null; last_error: string | null }
const toAlert = (r: OutboxRow): OutboxAlert => ({ id: r.id, sink: r.sink, key: r.key, incidentId: r.incident_id, kind: r.kind, createdAt: r.created_at, attempts: r.attempts, nextAt: r.next_at, deliveredAt: r.delivered_at, lastError: r.last_error });

type Q = Pick<pg.PoolClient, 'query'>;

/** Applies the migrations after the store's version up to `upTo` (all by default), each in a transaction under an
 *  advisory lock, so workers starting together migrate once. */
export async function migratePg(pool: pg.Pool, upTo = PG_MIGRATIONS.length, location = ''): Promise<number> {
  const c = await pool.connect();
  try {
    for (;;) {
      await c.query('BEGIN');
      try {
        await c.query("SELECT pg_advisory_xact_lock(hashtext('flinkscope schema'))");
        await c.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
        const have = (await c.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_version')).rows[0].v ?? 0;
        if (have > PG_MIGRATIONS.length) throw new StoreError(`store ${redact(location)} has schema version ${have}; this flinkscope knows up to ${PG_MIGRATIONS.length} (upgrade flinkscope)`);
        if (have >= upTo) {
          await c.query('COMMIT');
          return Math.max(have, upTo);
        }
        const m = PG_MIGRATIONS[have];
        if (typeof m === 'string') await c.query(m);
        else await m(c);
        await c.query('INSERT INTO schema_version VALUES ($1, $2)', [have + 1, Date.now()]);
        await c.query('COMMIT');
      } catch (e) {
        await c.query('ROLLBACK');
        throw e;
      }
    }
  } finally {
    c.release();
  }
}

export class PostgresStore implements Store {
  readonly engine = 'postgres' as const;
  private readonly metricId = new Map<string, number>();
  private readonly metricName = new Map<number, string>();
  private version = 0;

  private constructor(readonly location: string, readonly pool: pg.Pool) {}

  /** Connects, migrates, loads the metric ids. */
  static async open(location: string, o: { max?: number } = {}): Promise<PostgresStore> {
    const pool = new pg.Pool({ connectionString: location, max: o.max ?? 4, types, application_name: 'flinkscope' });
    // an idle connection's error (server restart) must not crash the process; the next query reports it
    pool.on('error', () => {});
    const s = new PostgresStore(location, pool);
    try {
      s.version = await migratePg(pool, PG_MIGRATIONS.length, location);
      await s.loadMetricIds();
      return s;
    } catch (e) {
      await pool.end();
      if (e instanceof StoreError) throw e;
      throw new StoreError(`cannot open the store at ${redact(location)}: ${(e as Error).message}`);
    }
  }

  get schemaVersion(): number {
    return this.version;
  }

  private async rows<T extends pg.QueryResultRow>(sql: string, args: unknown[] = []): Promise<T[]> {
    return (await this.pool.query<T>(sql, args)).rows;
  }

  /** Runs f in one transaction on one connection. */
  private async tx<T>(f: (c: Q) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const out = await f(c);
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }

  private async loadMetricIds(): Promise<void> {
    this.metricId.clear();
    this.metricName.clear();
    for (const r of await this.rows<{ metric: string; id: number }>('SELECT metric, id FROM metric_ids')) {
      this.metricId.set(r.metric, r.id);
      this.metricName.set(r.id, r.metric);
    }
  }

  /** Ids of metric names, registering new ones (committed at once: an id, once given, names that metric for good,
   *  whichever worker registered it first). */
  private async idsOf(names: string[]): Promise<void> {
    const fresh = [...new Set(names)].filter((m) => !this.metricId.has(m));
    if (fresh.length === 0) return;
    await this.pool.query("INSERT INTO metric_ids SELECT m, nextval('metric_id_seq') FROM unnest($1::text[]) m ON CONFLICT (metric) DO NOTHING", [fresh]);
    await this.loadMetricIds();
    const over = fresh.map((m) => this.metricId.get(m)!).find((id) => id > 0xffff);
    if (over !== undefined) throw new StoreError(`too many distinct metric names (id ${over}); a store holds at most 65 536`);
  }

  async insertSamples(samples: Sample[]): Promise<number> {
    const ok = samples.filter((s) => Number.isFinite(s.value) && Number.isFinite(s.ts));
    for (const s of ok) if (typeof s.machine !== 'string' || typeof s.metric !== 'string') throw new StoreError(`sample with a machine or metric that is not a string (${JSON.stringify(s).slice(0, 80)})`);
    await this.idsOf(ok.filter((s) => s.job === undefined).map((s) => s.metric));
    const span = new Map<string, [number, number]>();
    const jobs: [string, string, string, string, number, number][] = [];
    const packed = new Map<string, Map<number, { ids: number[]; values: number[] }>>();
    for (const s of ok) {
      const ts = Math.round(s.ts);
      const sp = span.get(s.machine);
      if (!sp) span.set(s.machine, [ts, ts]);
      else { if (ts < sp[0]) sp[0] = ts; if (ts > sp[1]) sp[1] = ts; }
      if (s.job !== undefined) { jobs.push([s.machine, s.job, s.operator ?? '', s.metric, ts, s.value]); continue; }
      const id = this.metricId.get(s.metric)!;
      const byTs = packed.get(s.machine) ?? packed.set(s.machine, new Map()).get(s.machine)!;
      const row = byTs.get(ts) ?? byTs.set(ts, { ids: [], values: [] }).get(ts)!;
      row.ids.push(id); // a repeated metric: packRow keeps its first value
      row.values.push(s.value);
    }
    // sorted by key, so concurrent writers lock rows in one order (no deadlocks)
    const rows: { machine: string; ts: number; v: Buffer; n: number }[] = [];
    for (const m of [...packed.keys()].sort()) {
      for (const [ts, r] of [...packed.get(m)!].sort((a, b) => a[0] - b[0])) { const v = packRow(r.ids, r.values); rows.push({ machine: m, ts, v, n: entryCount(v) }); }
    }
    const seen = [...span].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const M = Math.max(0, ...this.metricName.keys()) + 1;
    return this.tx(async (c) => {
      let n = 0;
      // writers of the same machine take turns (in one order): the roll-up cells below are read, then written
      if (seen.length) await c.query('SELECT pg_advisory_xact_lock(hashtext(m)) FROM (SELECT m FROM unnest($1::text[]) m ORDER BY m COLLATE "C") s', [seen.map((x) => x[0])]);
      const cells = new RollupCells(M);
      if (rows.length) {
        const ins = await c.query<{ machine: string; ts: number }>(
          'INSERT INTO sample_rows SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[]) ON CONFLICT (machine, ts) DO NOTHING RETURNING machine, ts',
          [rows.map((r) => r.machine), rows.map((r) => r.ts), rows.map((r) => r.v)]);
        const inserted = new Set(ins.rows.map((r) => `${r.machine}\u0000${r.ts}`));
        const rest = rows.filter((r) => !inserted.has(`${r.machine}\u0000${r.ts}`));
        for (const r of rows) {
          if (!inserted.has(`${r.machine}\u0000${r.ts}`)) continue;
          n += r.n;
          eachEntry(r.v, (id, v) => cells.add(r.machine, r.ts, id, v));
        }
        if (rest.length) {
          // rows of these machines and times exist (re-delivery, or metrics arriving late): add what they lack
          const old = await c.query<{ machine: string; ts: number; v: Buffer }>(
            'SELECT s.machine, s.ts, s.v FROM sample_rows s JOIN unnest($1::text[], $2::bigint[]) k(machine, ts) USING (machine, ts) ORDER BY 1, 2 FOR UPDATE OF s',
            [rest.map((r) => r.machine), rest.map((r) => r.ts)]);
          const have = new Map(old.rows.map((r) => [`${r.machine}\u0000${r.ts}`, r.v]));
          const upd: { machine: string; ts: number; v: Buffer }[] = [];
          for (const r of rest) {
            const old = have.get(`${r.machine}\u0000${r.ts}`)!;
            const m = mergeRows(old, r.v);
            if (!m.added) continue;
            upd.push({ machine: r.machine, ts: r.ts, v: m.row });
            n += m.added;
            const had = new Set<number>();
            eachEntry(old, (id) => had.add(id));
            eachEntry(r.v, (id, v) => { if (!had.has(id)) cells.add(r.machine, r.ts, id, v); });
          }
          if (upd.length) {
            await c.query('UPDATE sample_rows s SET v = u.v FROM unnest($1::text[], $2::bigint[], $3::bytea[]) u(machine, ts, v) WHERE s.machine = u.machine AND s.ts = u.ts',
              [upd.map((r) => r.machine), upd.map((r) => r.ts), upd.map((r) => r.v)]);
          }
        }
      }
      const keys = cells.keys();
      if (keys.length) {
        const old = await c.query<{ level: number; machine: string; bucket: number; v: Buffer }>(
          `SELECT r.level, r.machine, r.bucket, r.v FROM sample_rollups r JOIN unnest($1::int[], $2::text[], $3::bigint[]) k(level, machine, bucket) USING (level, machine, bucket)
           ORDER BY r.level, r.machine COLLATE "C", r.bucket FOR UPDATE OF r`, [keys.map((k) => k.level), keys.map((k) => k.machine), keys.map((k) => k.bucket)]);
        for (const r of old.rows) cells.merge(r.level, r.machine, r.bucket, r.v);
        const put = cells.rows();
        await c.query('INSERT INTO sample_rollups SELECT * FROM unnest($1::int[], $2::text[], $3::bigint[], $4::bytea[]) ON CONFLICT (level, machine, bucket) DO UPDATE SET v = excluded.v',
          [put.map((x) => x.level), put.map((x) => x.machine), put.map((x) => x.bucket), put.map((x) => x.v)]);
      }
      if (jobs.length) {
        const col = (k: number): unknown[] => jobs.map((j) => j[k]);
        n += (await c.query('INSERT INTO job_samples SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::float8[]) ON CONFLICT DO NOTHING',
          [col(0), col(1), col(2), col(3), col(4), col(5)])).rowCount ?? 0;
      }
      if (seen.length) {
        await c.query(`INSERT INTO machines SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[]) ON CONFLICT (machine) DO UPDATE
          SET first_seen = LEAST(machines.first_seen, excluded.first_seen), last_seen = GREATEST(machines.last_seen, excluded.last_seen)`,
        [seen.map((x) => x[0]), seen.map((x) => x[1][0]), seen.map((x) => x[1][1])]);
      }
      return n;
    });
  }

  /** Packed rows → a Series over the requested metrics (missing values NaN). */
  private unpack(machine: string, metrics: string[], rows: { ts: number; v: Buffer }[]): Series {
    const C = metrics.length;
    const col = new Map<number, number>();
    metrics.forEach((m, j) => { const id = this.metricId.get(m); if (id !== undefined) col.set(id, j); });
    const values = new Float64Array(rows.length * C).fill(NaN);
    rows.forEach((r, i) => eachEntry(r.v, (id, v) => { const j = col.get(id); if (j !== undefined) values[i * C + j] = v; }));
    return { name: machine, timestamps: Float64Array.from(rows, (r) => r.ts), channels: [...metrics], values, meta: { source: redact(this.location) } };
  }

  async recordPlacement(jobsOn: Record<string, string[]>, ts: number): Promise<void> {
    const pairs = Object.entries(jobsOn).flatMap(([m, js]) => [...new Set(js)].map((j) => [m, j] as const)).sort((a, b) => (a[0] + '\u0000' + a[1] < b[0] + '\u0000' + b[1] ? -1 : 1));
    if (pairs.length === 0) return;
    await this.pool.query('INSERT INTO placements SELECT m, j, $3 FROM unnest($1::text[], $2::text[]) p(m, j) ON CONFLICT (machine, job) DO UPDATE SET last_seen = excluded.last_seen',
      [pairs.map((p) => p[0]), pairs.map((p) => p[1]), ts]);
  }

  async jobsOn(machine: string): Promise<string[]> {
    return (await this.rows<{ job: string }>('SELECT job FROM placements WHERE machine = $1 ORDER BY job COLLATE "C"', [machine])).map((r) => r.job);
  }

  async placements(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const r of await this.rows<{ machine: string; job: string }>('SELECT machine, job FROM placements ORDER BY machine COLLATE "C", job COLLATE "C"')) {
      (out.get(r.machine) ?? out.set(r.machine, []).get(r.machine)!).push(r.job);
    }
    return out;
  }

  async machines(): Promise<string[]> {
    return (await this.rows<{ machine: string }>('SELECT machine FROM machines ORDER BY machine COLLATE "C"')).map((r) => r.machine);
  }

  async metrics(): Promise<string[]> {
    await this.loadMetricIds(); // other writers may have registered names
    return [...this.metricId.keys()].sort();
  }

  async series(machine: string, metrics: string[], from = -Infinity, to = Infinity, maxRows?: number): Promise<Series> {
    await this.knowIds(metrics);
    const rows = await this.rows<{ ts: number; v: Buffer }>('SELECT ts, v FROM sample_rows WHERE machine = $1 AND ts >= $2 AND ts <= $3 ORDER BY ts LIMIT $4',
      [machine, clampT(from, -MAX), clampT(to, MAX), maxRows ?? null]);
    return this.unpack(machine, metrics, rows);
  }

  async seriesAfter(items: { machine: string; after: number }[], metrics: string[], maxRows: number): Promise<Series[]> {
    if (items.length === 0) return [];
    await this.knowIds(metrics);
    const rows = await this.rows<{ machine: string; ts: number; v: Buffer }>(`SELECT k.machine, r.ts, r.v FROM unnest($1::text[], $2::bigint[]) k(machine, after)
      CROSS JOIN LATERAL (SELECT ts, v FROM sample_rows s WHERE s.machine = k.machine AND s.ts > k.after ORDER BY ts LIMIT $3) r`,
    [items.map((i) => i.machine), items.map((i) => clampT(i.after, -MAX)), maxRows]);
    const by = new Map<string, { ts: number; v: Buffer }[]>(items.map((i) => [i.machine, []]));
    for (const r of rows) by.get(r.machine)!.push(r);
    return items.map((i) => this.unpack(i.machine, metrics, by.get(i.machine)!.sort((a, b) => a.ts - b.ts)));
  }

  /** Reloads the id table when a requested metric is unknown here (another writer may have registered it). */
  private async knowIds(metrics: string[]): Promise<void> {
    if (metrics.some((m) => !this.metricId.has(m))) await this.loadMetricIds();
  }

  async lastRows(machine: string, metrics: string[], to: number, n: number): Promise<Series> {
    await this.knowIds(metrics);
    const rows = await this.rows<{ ts: number; v: Buffer }>('SELECT ts, v FROM sample_rows WHERE machine = $1 AND ts <= $2 ORDER BY ts DESC LIMIT $3', [machine, clampT(to, MAX), n]);
    return this.unpack(machine, metrics, rows.reverse());
  }

  async jobSamples(machine: string, from: number, to: number): Promise<JobSampleRow[]> {
    return this.rows<JobSampleRow>('SELECT job, operator, metric, ts, value FROM job_samples WHERE machine = $1 AND ts >= $2 AND ts <= $3 ORDER BY ts',
      [machine, clampT(from, -MAX), clampT(to, MAX)]);
  }

  async newestSample(): Promise<number> {
    return (await this.rows<{ t: number | null }>('SELECT MAX(last_seen) AS t FROM machines'))[0].t ?? -Infinity;
  }

  /** How far a sample roll-up level is built (this engine builds as it writes: to the end). */
  private async rollupDone(level: number): Promise<number> {
    return (await this.rows<{ d: number }>('SELECT done_until AS d FROM rollup_state WHERE level = $1', [level]))[0]?.d ?? -MAX;
  }

  async metricsRange(machine: string, from: number, to: number, maxPoints: number): Promise<Downsampled> {
    const metrics = await this.metrics();
    const p = planBuckets(from, to, maxPoints);
    // sums and counts per (metric id, bucket): from the roll-up (buckets before done_until), the rest from raw rows
    const acc = new Map<number, { s: number; n: number; id: number; b: number }>();
    const add = (id: number, b: number, sum: number, n: number): void => {
      const k = b * 65_536 + id;
      const a = acc.get(k);
      if (a) { a.s += sum; a.n += n; } else acc.set(k, { s: sum, n, id, b });
    };
    let rawFrom = from;
    let rawTo = to;
    if (p.level !== null) {
      const done = await this.rollupDone(p.level);
      for (const r of await this.rows<{ bucket: number; v: Buffer }>('SELECT bucket, v FROM sample_rollups WHERE level = $1 AND machine = $2 AND bucket >= $3 AND bucket <= $4 AND bucket < $5',
        [p.level, machine, clampT(p.start, -MAX), clampT(to, MAX), done])) {
        const b = Math.floor((r.bucket - p.start) / p.bucketMs);
        eachSum(r.v, (id, n, sum) => add(id, b, sum, n));
      }
      rawFrom = Math.max(done, p.start);
      rawTo = alignDown(to, p.level) + p.level - 1; // whole buckets, like the roll-up's
    }
    if (rawFrom <= rawTo) {
      for (const r of await this.rows<{ ts: number; v: Buffer }>('SELECT ts, v FROM sample_rows WHERE machine = $1 AND ts >= $2 AND ts <= $3', [machine, clampT(rawFrom, -MAX), clampT(rawTo, MAX)])) {
        const b = Math.floor((r.ts - p.start) / p.bucketMs);
        eachEntry(r.v, (id, v) => add(id, b, v, 1));
      }
    }
    return bucketed([...acc.values()].map((a) => ({ key: this.metricName.get(a.id)!, b: a.b, v: a.s / a.n })), metrics, p.start, p.bucketMs);
  }

  async insertEvents(events: FlinkEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    return (await this.pool.query('INSERT INTO events SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::jsonb[], $6::text[], $7::jsonb[]) ON CONFLICT (id) DO NOTHING',
      [events.map((e) => e.id), events.map((e) => Math.round(e.ts)), events.map((e) => e.kind), events.map((e) => e.job ?? null),
        events.map((e) => JSON.stringify(e.machines)), events.map((e) => e.detail), events.map((e) => (e.attrs ? JSON.stringify(e.attrs) : null))])).rowCount ?? 0;
  }

  async events(q: EventQuery = {}): Promise<FlinkEvent[]> {
    const rows = await this.rows<{ id: string; ts: number; kind: FlinkEvent['kind']; job: string | null; machines: string[]; detail: string; attrs: FlinkEvent['attrs'] | null }>(
      `SELECT * FROM events WHERE ts >= $1 AND ts <= $2 AND ($3::text IS NULL OR machines = '[]'::jsonb OR machines ? $3) AND ($4::text[] IS NULL OR kind = ANY($4)) ORDER BY ts LIMIT $5`,
      [clampT(q.from, -MAX), clampT(q.to, MAX), q.machine ?? null, q.kinds ? [...q.kinds] : null, Math.min(q.limit ?? 10_000, 100_000)]);
    return rows.map((r) => ({ id: r.id, ts: r.ts, kind: r.kind, ...(r.job !== null ? { job: r.job } : {}), machines: r.machines, detail: r.detail, ...(r.attrs ? { attrs: r.attrs } : {}) }));
  }

  async insertJobGraphs(snaps: JobGraphSnapshot[]): Promise<number> {
    for (const g of snaps) if (!Number.isFinite(g.ts)) throw new StoreError(`job graph of ${g.job} (${g.jobId}) has no valid time (${g.ts})`);
    if (snaps.length === 0) return 0;
    const topo = new Map<string, string>();
    const rows = snaps.map((g) => {
      const { topology, hash, activity } = splitGraph(g);
      topo.set(hash, topology);
      return { jobId: g.jobId, ts: Math.round(g.ts), job: g.job, state: g.state, hash, activity };
    }).sort((a, b) => (a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : a.ts - b.ts)); // one lock order for concurrent writers
    const hashes = [...topo.keys()].sort();
    return this.tx(async (c) => {
      await c.query('INSERT INTO job_topologies SELECT h, g::jsonb FROM unnest($1::text[], $2::text[]) t(h, g) ON CONFLICT (hash) DO NOTHING', [hashes, hashes.map((h) => topo.get(h)!)]);
      return (await c.query('INSERT INTO job_graphs SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bytea[]) ON CONFLICT (job_id, ts) DO NOTHING',
        [rows.map((r) => r.jobId), rows.map((r) => r.ts), rows.map((r) => r.job), rows.map((r) => r.state), rows.map((r) => r.hash), rows.map((r) => r.activity)])).rowCount ?? 0;
    });
  }

  /** Topologies by hash: a hash names one topology for good, so they are cached. */
  private readonly topologies = new Map<string, Topology>();

  async jobGraphs(q: { from: number; to: number; machine?: string; limit?: number }): Promise<JobGraphSnapshot[]> {
    const rows = (await this.rows<{ job_id: string; ts: number; job: string; state: string; topology: string; activity: Buffer }>(
      'SELECT * FROM job_graphs WHERE ts >= $1 AND ts <= $2 ORDER BY ts DESC, job_id COLLATE "C" LIMIT $3',
      [clampT(q.from, -MAX), clampT(q.to, MAX), Math.min(q.limit ?? 10_000, 100_000)])).reverse();
    const missing = [...new Set(rows.map((r) => r.topology))].filter((h) => !this.topologies.has(h));
    if (missing.length) {
      for (const t of await this.rows<{ hash: string; graph: Topology }>('SELECT hash, graph FROM job_topologies WHERE hash = ANY($1::text[])', [missing])) this.topologies.set(t.hash, t.graph);
    }
    const out: JobGraphSnapshot[] = [];
    for (const r of rows) {
      const t = this.topologies.get(r.topology);
      if (!t) throw new StoreError(`job graph ${r.job_id} at ${r.ts}: its topology ${r.topology} is missing`);
      if (q.machine !== undefined && !t.vertices.some((v) => v.subtasks.some((s) => s.machine === q.machine))) continue;
      out.push(joinGraph(r, t, r.activity));
    }
    return out;
  }

  async putEvidence(e: Evidence): Promise<void> {
    await this.pool.query(`INSERT INTO evidence (incident_id, kind, target, requested_at, captured_at, latency_ms, bytes, truncated, error, body)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (incident_id, kind) DO UPDATE SET target = excluded.target, requested_at = excluded.requested_at,
      captured_at = excluded.captured_at, latency_ms = excluded.latency_ms, bytes = excluded.bytes, truncated = excluded.truncated, error = excluded.error, body = excluded.body`,
    [e.incidentId, e.kind, JSON.stringify(e.target), Math.round(e.requestedAt), Math.round(e.capturedAt), e.latencyMs === null ? null : Math.round(e.latencyMs),
      e.bytes, e.truncated, e.error, e.body === null || e.body === undefined ? null : JSON.stringify(e.body)]);
  }

  async evidence(incidentId: string): Promise<Evidence[]> {
    const rows = await this.rows<{ incident_id: string; kind: Evidence['kind']; target: Evidence['target']; requested_at: number; captured_at: number; latency_ms: number | null; bytes: number; truncated: boolean; error: string | null; body: string | null }>(
      'SELECT * FROM evidence WHERE incident_id = $1 ORDER BY kind COLLATE "C"', [incidentId]);
    return rows.map((r) => ({
      incidentId: r.incident_id, kind: r.kind, target: r.target, requestedAt: r.requested_at, capturedAt: r.captured_at,
      latencyMs: r.latency_ms, bytes: r.bytes, truncated: r.truncated, error: r.error, body: r.body === null ? null : JSON.parse(r.body) as unknown,
    }));
  }

  async addModel(kind: string, path: string, report: Record<string, unknown>, createdAt = Date.now()): Promise<number> {
    return (await this.rows<{ id: number }>('INSERT INTO models (kind, path, created_at, report) VALUES ($1, $2, $3, $4) RETURNING id', [kind, path, createdAt, JSON.stringify(report)]))[0].id;
  }

  private async modelRow(where: string, args: unknown[], c: Q = this.pool): Promise<ModelRecord | null> {
    const r = (await c.query<{ id: number; kind: string; path: string; created_at: number; report: Record<string, unknown> }>(`SELECT * FROM models ${where}`, args)).rows[0];
    return r ? { id: r.id, kind: r.kind, path: r.path, createdAt: r.created_at, report: r.report } : null;
  }

  async latestModel(): Promise<ModelRecord | null> {
    return this.modelRow('ORDER BY id DESC LIMIT 1', []);
  }

  async model(id: number): Promise<ModelRecord | null> {
    return this.modelRow('WHERE id = $1', [id]);
  }

  async updateModelReport(id: number, patch: Record<string, unknown>): Promise<void> {
    const n = (await this.pool.query('UPDATE models SET report = report || $2::jsonb WHERE id = $1', [id, JSON.stringify(patch)])).rowCount;
    if (!n) throw new StoreError(`no model version #${id}`);
  }

  async commitStep(w: StepWrite): Promise<void> {
    const now = Date.now();
    await this.tx(async (c) => {
      if (w.fence) {
        const held = Number((await c.query<{ value: string }>('SELECT value FROM watch_meta WHERE key = $1 FOR UPDATE', [w.fence.key])).rows[0]?.value ?? 0);
        if (held !== w.fence.epoch) throw new FencedError(w.fence.key, w.fence.epoch, held);
      }
      const sc = w.scores.flatMap((s) => s.points.map((p) => [s.machine, p.t, fin(p.score), storedUnits(p.units)] as const));
      if (sc.length) {
        await c.query(`INSERT INTO scores SELECT m, t, s, $4, u FROM unnest($1::text[], $2::bigint[], $3::float8[], $5::float8[]) x(m, t, s, u)
          ON CONFLICT (machine, ts) DO UPDATE SET score = excluded.score, model_id = excluded.model_id, units = excluded.units`,
        [sc.map((x) => x[0]), sc.map((x) => x[1]), sc.map((x) => x[2]), w.modelId, sc.map((x) => x[3])]);
        // a roll-up bucket's max is the max of every score written into it (a re-scored point can only raise it)
        const roll = new ScoreRollup();
        for (const [m, t, v, u] of sc) roll.add(m, t, v, u);
        const r = [...roll.rows()].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[2] - b[2]));
        // GREATEST ignores NULLs: an unknown umax keeps the other
        await c.query(`INSERT INTO score_rollups (level, machine, bucket, max, umax) SELECT * FROM unnest($1::int[], $2::text[], $3::bigint[], $4::float8[], $5::float8[])
          ON CONFLICT (level, machine, bucket) DO UPDATE SET max = GREATEST(score_rollups.max, excluded.max), umax = GREATEST(score_rollups.umax, excluded.umax)`,
        [r.map((x) => x[0]), r.map((x) => x[1]), r.map((x) => x[2]), r.map((x) => x[3]), r.map((x) => x[4])]);
      }
      if (w.scorerStates.length) {
        await c.query(`INSERT INTO scorer_state SELECT m, s, $3 FROM unnest($1::text[], $2::text[]) x(m, s)
          ON CONFLICT (machine) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
        [w.scorerStates.map((s) => s.machine), w.scorerStates.map((s) => JSON.stringify(s.state)), now]);
      }
      // the watcher's fields only: an operator's ack / label are never written here
      for (const i of w.incidents) {
        const detail = incidentDetailJson(i);
        await c.query(`INSERT INTO incidents (id, machine, type, state, onset, last_seen, resolved_at, peak, segments, paged, detail)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO UPDATE SET type = excluded.type, state = excluded.state,
          onset = excluded.onset, last_seen = excluded.last_seen, resolved_at = excluded.resolved_at, peak = excluded.peak,
          segments = excluded.segments, paged = excluded.paged, detail = excluded.detail`,
        [i.id, i.machine, i.type, i.state === 'resolved' ? 'resolved' : 'open', i.onset, i.lastSeen, i.resolvedAt ?? null, i.peak, i.segments, i.paged, detail]);
      }
      for (const a of w.alerts) {
        await c.query('INSERT INTO outbox (sink, key, incident_id, kind, created_at, next_at) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (sink, key) DO NOTHING', [a.sink ?? 'webhook', a.key, a.incidentId, a.kind, a.createdAt]);
      }
      if (w.status.length) {
        await c.query(`INSERT INTO machine_status SELECT * FROM unnest($1::text[], $2::bigint[], $3::float8[], $4::float8[], $5::int[])
          ON CONFLICT (machine) DO UPDATE SET last_ts = excluded.last_ts, last_score = excluded.last_score, risk = excluded.risk, open_incidents = excluded.open_incidents`,
        [w.status.map((m) => m.machine), w.status.map((m) => m.lastTs), w.status.map((m) => fin(m.lastScore)), w.status.map((m) => fin(m.risk)), w.status.map((m) => m.openIncidents)]);
      }
      const meta = Object.entries(w.meta);
      if (meta.length) {
        await c.query('INSERT INTO watch_meta SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [meta.map((m) => m[0]), meta.map((m) => m[1])]);
      }
    });
  }

  async scorerStates(machines?: string[]): Promise<Map<string, unknown>> {
    const rows = machines
      ? await this.rows<{ machine: string; state: string }>('SELECT machine, state FROM scorer_state WHERE machine = ANY($1::text[])', [machines])
      : await this.rows<{ machine: string; state: string }>('SELECT machine, state FROM scorer_state');
    return new Map(rows.map((r) => [r.machine, JSON.parse(r.state) as unknown]));
  }

  async claim(key: string): Promise<number> {
    const r = await this.rows<{ value: string }>(`INSERT INTO watch_meta VALUES ($1, '1') ON CONFLICT (key) DO UPDATE
      SET value = (watch_meta.value::bigint + 1)::text RETURNING value`, [key]);
    return Number(r[0].value);
  }

  async meta(key: string): Promise<string | null> {
    return (await this.rows<{ value: string }>('SELECT value FROM watch_meta WHERE key = $1', [key]))[0]?.value ?? null;
  }

  async scores(machine: string, from: number, to: number, last?: number): Promise<ScoreRows> {
    type Row = { ts: number; score: number; model_id: number | null };
    const rows = last === undefined
      ? await this.rows<Row>('SELECT ts, score, model_id FROM scores WHERE machine = $1 AND ts >= $2 AND ts <= $3 ORDER BY ts', [machine, clampT(from, -MAX), clampT(to, MAX)])
      : (await this.rows<Row>('SELECT ts, score, model_id FROM scores WHERE machine = $1 AND ts >= $2 AND ts <= $3 ORDER BY ts DESC LIMIT $4', [machine, clampT(from, -MAX), clampT(to, MAX), last])).reverse();
    return { t: rows.map((r) => r.ts), score: rows.map((r) => r.score), model: rows.map((r) => r.model_id) };
  }

  async scoreModels(machine: string, from: number, to: number): Promise<{ model: number | null; from: number }[]> {
    const rows = await this.rows<{ model: number | null; first: number }>('SELECT model_id AS model, MIN(ts) AS first FROM scores WHERE machine = $1 AND ts >= $2 AND ts <= $3 GROUP BY model_id ORDER BY first',
      [machine, clampT(from, -MAX), clampT(to, MAX)]);
    return rows.map((r) => ({ model: r.model, from: r.first }));
  }

  async scoresRange(machine: string, from: number, to: number, maxPoints: number): Promise<Downsampled> {
    const p = planBuckets(from, to, maxPoints);
    const rows = await this.scoreBuckets(p, [machine], from, to);
    return bucketed(rows.map((r) => ({ key: 'score', b: r.b, v: r.v })), ['score'], p.start, p.bucketMs);
  }

  /** Max score (v) and max on the alarm scale (u; null: none stored) per (machine, bucket) of the plan: from the raw
   *  scores or the roll-up it names. */
  private async scoreBuckets(p: BucketPlan, machines: string[], from: number, to: number): Promise<{ machine: string; b: number; v: number; u: number | null }[]> {
    return p.level === null
      ? this.rows('SELECT machine, (ts - $1::bigint) / $2::bigint AS b, MAX(score) AS v, MAX(units) AS u FROM scores WHERE machine = ANY($3::text[]) AND ts >= $4 AND ts <= $5 GROUP BY machine, b ORDER BY b',
        [clampT(p.start, -MAX), p.bucketMs, machines, clampT(from, -MAX), clampT(to, MAX)])
      : this.rows('SELECT machine, (bucket - $1::bigint) / $2::bigint AS b, MAX(max) AS v, MAX(umax) AS u FROM score_rollups WHERE level = $3 AND machine = ANY($4::text[]) AND bucket >= $5 AND bucket <= $6 GROUP BY machine, b ORDER BY b',
        [clampT(p.start, -MAX), p.bucketMs, p.level, machines, clampT(p.start, -MAX), clampT(to, MAX)]);
  }

  async heatMap(q: { from: number; to: number; buckets: number; threshold: number; machines?: string[]; limit?: number }): Promise<HeatMap> {
    const machines = q.machines ?? (await this.rows<{ machine: string }>('SELECT machine FROM machine_status ORDER BY risk DESC, machine COLLATE "C" LIMIT $1', [Math.min(q.limit ?? 50, 1000)])).map((r) => r.machine);
    const p = planBuckets(q.from, q.to, Math.max(1, Math.min(q.buckets, 2000)));
    const n = Math.max(1, Math.floor((q.to - p.start) / p.bucketMs) + 1);
    const th = q.threshold > 0 ? q.threshold : 1;
    const at = new Map(machines.map((m, i) => [m, i]));
    const cells = machines.map(() => new Array<number | null>(n).fill(null));
    for (const r of await this.scoreBuckets(p, machines, q.from, q.to)) if (r.b >= 0 && r.b < n) cells[at.get(r.machine)!][r.b] = heatCell(r.v, r.u, th);
    return { machines, t: Array.from({ length: n }, (_, i) => p.start + i * p.bucketMs), bucketMs: p.bucketMs, cells };
  }

  async machineStatus(q: { limit?: number; machine?: string } = {}): Promise<MachineStatus[]> {
    return (await this.rows<{ machine: string; last_ts: number; last_score: number; risk: number; open_incidents: number }>(
      'SELECT * FROM machine_status WHERE ($1::text IS NULL OR machine = $1) ORDER BY risk DESC, machine COLLATE "C" LIMIT $2', [q.machine ?? null, q.limit ?? null]))
      .map((r) => ({ machine: r.machine, lastTs: r.last_ts, lastScore: r.last_score, risk: r.risk, openIncidents: r.open_incidents }));
  }

  async newestScore(): Promise<number> {
    return (await this.rows<{ t: number | null }>('SELECT MAX(last_ts) AS t FROM machine_status'))[0].t ?? -Infinity;
  }

  async statusSummary(): Promise<StatusSummary> {
    const a = (await this.rows<{ n: number; r: number; o: number; t: number | null }>(
      'SELECT COUNT(*)::int AS n, COUNT(*) FILTER (WHERE risk >= 1)::int AS r, COALESCE(SUM(open_incidents), 0)::int AS o, MAX(last_ts) AS t FROM machine_status'))[0];
    const scores = (await this.rows<{ s: number }>("SELECT last_score AS s FROM machine_status WHERE last_score IS NOT NULL AND last_score <> 'NaN' ORDER BY last_score"))
      .map((r) => r.s).filter(Number.isFinite);
    return { machines: a.n, atRisk: a.r, openIncidents: a.o, newest: a.t ?? -Infinity, scores };
  }

  async incidents(q: IncidentQuery = {}): Promise<Page<IncidentRecord>> {
    const limit = pageLimit(q.limit);
    const after = q.cursor ? decodeCursor(q.cursor) : null;
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown): string => { args.push(v); return `$${args.length}`; };
    if (q.state === 'resolved') where.push("state = 'resolved'");
    else if (q.state === 'active') where.push("state <> 'resolved'");
    else if (q.state === 'open') where.push("state <> 'resolved' AND ack_at IS NULL");
    else if (q.state === 'acknowledged') where.push("state <> 'resolved' AND ack_at IS NOT NULL");
    if (q.type) where.push(`type = ${arg(q.type)}`);
    if (q.machine) where.push(`machine = ${arg(q.machine)}`);
    if (q.job) where.push(`detail -> 'jobs' ? ${arg(q.job)}`);
    if (q.label === 'none') where.push('label IS NULL');
    else if (q.label) where.push(`label = ${arg(q.label)}`);
    if (q.from !== undefined) where.push(`onset >= ${arg(clampT(q.from, -MAX))}`);
    if (q.to !== undefined) where.push(`onset <= ${arg(clampT(q.to, MAX))}`);
    if (after) { const o = arg(after.onset); where.push(`(onset < ${o} OR (onset = ${o} AND id COLLATE "C" < ${arg(after.id)}))`); }
    const rows = await this.rows<IncidentRow>(`SELECT * FROM incidents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY onset DESC, id COLLATE "C" DESC LIMIT ${arg(limit + 1)}`, args);
    const items = rows.slice(0, limit).map(toRecord);
    const last = items[items.length - 1];
    return { items, next: rows.length > limit && last ? encodeCursor({ onset: last.onset, id: last.id }) : null };
  }

  async incident(id: string): Promise<IncidentRecord | null> {
    const r = (await this.rows<IncidentRow>('SELECT * FROM incidents WHERE id = $1', [id]))[0];
    return r ? toRecord(r) : null;
  }

  async activeIncidents(): Promise<IncidentRecord[]> {
    return (await this.rows<IncidentRow>("SELECT * FROM incidents WHERE state <> 'resolved' ORDER BY onset, id COLLATE \"C\"")).map(toRecord);
  }

  async acknowledge(id: string, by: string, at: number): Promise<IncidentRecord> {
    return this.tx(async (c) => {
      const r = (await c.query<IncidentRow>('SELECT * FROM incidents WHERE id = $1 FOR UPDATE', [id])).rows[0];
      if (!r) throw new StoreError(`unknown incident '${id}'`);
      if (r.state === 'resolved') throw new StoreError(`incident ${id} is already resolved`);
      if (r.ack_at !== null) return toRecord(r);
      return toRecord((await c.query<IncidentRow>('UPDATE incidents SET ack_at = $2, ack_by = $3 WHERE id = $1 RETURNING *', [id, at, by])).rows[0]);
    });
  }

  async label(id: string, value: IncidentLabel, by: string, note: string, at: number): Promise<IncidentRecord> {
    const r = (await this.rows<IncidentRow>('UPDATE incidents SET label = $2, label_at = $3, label_by = $4, label_note = $5 WHERE id = $1 RETURNING *', [id, value, at, by, note]))[0];
    if (!r) throw new StoreError(`unknown incident '${id}'`);
    return toRecord(r);
  }

  async dueAlerts(now: number, limit: number, sink?: string, incidentPrefixes?: string[]): Promise<OutboxAlert[]> {
    return (await this.rows<OutboxRow>(`SELECT * FROM outbox WHERE delivered_at IS NULL AND next_at <= $1 AND ($3::text IS NULL OR sink = $3)
      AND ($4::text[] IS NULL OR EXISTS (SELECT 1 FROM unnest($4::text[]) p WHERE left(incident_id, length(p)) = p)) ORDER BY id LIMIT $2`, [now, limit, sink ?? null, incidentPrefixes ?? null])).map(toAlert);
  }

  async markDelivered(id: number, at: number): Promise<void> {
    await this.pool.query('UPDATE outbox SET delivered_at = $2, attempts = attempts + 1, last_error = NULL WHERE id = $1', [id, at]);
  }

  async markRetry(id: number, nextAt: number, error: string | null, countAttempt: boolean): Promise<void> {
    await this.pool.query('UPDATE outbox SET next_at = $2, last_error = $3, attempts = attempts + $4 WHERE id = $1', [id, nextAt, error, countAttempt ? 1 : 0]);
  }

  async alerts(q: { incidentId?: string; sink?: string; limit?: number } = {}): Promise<OutboxAlert[]> {
    return (await this.rows<OutboxRow>('SELECT * FROM outbox WHERE ($1::text IS NULL OR incident_id = $1) AND ($2::text IS NULL OR sink = $2) ORDER BY id LIMIT $3',
      [q.incidentId ?? null, q.sink ?? null, q.limit ?? 100_000])).map(toAlert);
  }

  async applyRetention(now: number, p: RetentionPolicy): Promise<RetentionResult> {
    if (!(p.retainMs > 0 && p.rawMs > 0 && p.bucketMs > 0)) throw new StoreError('retention: retain, raw and bucket must be positive durations');
    if (p.rawMs > p.retainMs) throw new StoreError('retention: the raw period must not exceed the retention period');
    const cut = now - p.retainMs;
    const rawCut = now - p.rawMs;
    return this.tx(async (c) => {
      let deletedSamples = 0;
      for (const r of (await c.query<{ v: Buffer }>('DELETE FROM sample_rows WHERE ts < $1 RETURNING v', [cut])).rows) deletedSamples += entryCount(r.v);
      deletedSamples += (await c.query('DELETE FROM job_samples WHERE ts < $1', [cut])).rowCount ?? 0;
      // roll-up as in the SQLite engine: one row per (machine, bucket) holding each metric's mean
      const sums = new Map<string, Map<number, Map<number, [number, number]>>>();
      let before = 0;
      for (const r of (await c.query<{ machine: string; ts: number; v: Buffer }>('DELETE FROM sample_rows WHERE ts >= $1 AND ts < $2 RETURNING machine, ts, v', [cut, rawCut])).rows) {
        const b = r.ts - (r.ts % p.bucketMs);
        const byB = sums.get(r.machine) ?? sums.set(r.machine, new Map()).get(r.machine)!;
        const byId = byB.get(b) ?? byB.set(b, new Map()).get(b)!;
        before += entryCount(r.v);
        eachEntry(r.v, (id, v) => { const a = byId.get(id); if (a) { a[0] += v; a[1]++; } else byId.set(id, [v, 1]); });
      }
      const put: { machine: string; ts: number; v: Buffer }[] = [];
      let after = 0;
      for (const [machine, byB] of sums) {
        for (const [b, byId] of byB) {
          put.push({ machine, ts: b, v: packRow([...byId.keys()], [...byId.values()].map(([sum, n]) => sum / n)) });
          after += byId.size;
        }
      }
      if (put.length) {
        await c.query('INSERT INTO sample_rows SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[]) ON CONFLICT (machine, ts) DO UPDATE SET v = excluded.v',
          [put.map((x) => x.machine), put.map((x) => x.ts), put.map((x) => x.v)]);
      }
      const deletedScores = (await c.query('DELETE FROM scores WHERE ts < $1', [cut])).rowCount ?? 0;
      // roll-up buckets wholly before the cut go with their rows (the roll-ups keep the exact means of what was raw)
      for (const l of ROLLUP_LEVELS) {
        await c.query('DELETE FROM sample_rollups WHERE level = $1 AND bucket < $2', [l, cut - l + 1]);
        await c.query('DELETE FROM score_rollups WHERE level = $1 AND bucket < $2', [l, cut - l + 1]);
      }
      const deletedEvents = (await c.query('DELETE FROM events WHERE ts < $1', [cut])).rowCount ?? 0;
      await c.query("DELETE FROM outbox WHERE incident_id IN (SELECT id FROM incidents WHERE state = 'resolved' AND resolved_at < $1)", [cut]);
      await c.query("DELETE FROM evidence WHERE incident_id IN (SELECT id FROM incidents WHERE state = 'resolved' AND resolved_at < $1)", [cut]);
      const deletedIncidents = (await c.query("DELETE FROM incidents WHERE state = 'resolved' AND resolved_at < $1", [cut])).rowCount ?? 0;
      const deletedJobGraphs = (await c.query('DELETE FROM job_graphs WHERE ts < $1', [cut])).rowCount ?? 0;
      if (deletedJobGraphs) await c.query('DELETE FROM job_topologies t WHERE NOT EXISTS (SELECT 1 FROM job_graphs g WHERE g.topology = t.hash)');
      await c.query('UPDATE machines SET first_seen = GREATEST(first_seen, $1)', [cut]);
      return { deletedSamples, rolledUpSamples: before - after, deletedScores, deletedEvents, deletedIncidents, deletedJobGraphs };
    });
  }

  async status(): Promise<StoreStatus> {
    const s = (await this.rows<{ n: number | null }>('SELECT SUM(length(v)) / 10 AS n FROM sample_rows'))[0];
    const span = (await this.rows<{ a: number | null; b: number | null; m: number }>('SELECT MIN(first_seen) AS a, MAX(last_seen) AS b, COUNT(*) AS m FROM machines'))[0];
    const inc = (await this.rows<{ total: number; open: number | null }>("SELECT COUNT(*) AS total, COUNT(*) FILTER (WHERE state <> 'resolved') AS open FROM incidents"))[0];
    const one = async (sql: string): Promise<number> => (await this.rows<{ n: number }>(sql))[0].n;
    return {
      location: redact(this.location), engine: 'postgres', schemaVersion: this.schemaVersion, samples: Math.floor(s.n ?? 0), machines: span.m, metrics: await this.metrics(),
      from: span.a, to: span.b, models: await one('SELECT COUNT(*) AS n FROM models'), incidents: { open: inc.open ?? 0, total: inc.total },
      events: await one('SELECT COUNT(*) AS n FROM events'), bytes: await one('SELECT pg_database_size(current_database()) AS n'),
    };
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }
}
