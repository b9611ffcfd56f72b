// The embedded store: SQLite through better-sqlite3 (nothing to install). WAL journal, prepared statements cached,
// every write one transaction — a watch step (scores + scorer state + incidents + outbox) is one, so a crash loses a
// whole step or nothing. Duplicate samples are ignored, so re-delivered data never doubles.
import Database from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Series } from '../core/series.js';
import type { Sample } from '../core/sample.js';
import type { FlinkEvent } from '../core/event.js';
import type { JobGraphSnapshot } from '../core/jobgraph.js';
import type { AlertKind, IncidentLabel, IncidentRecord } from '../core/incident.js';
import { MIGRATIONS } from './schema.js';
import { eachEntry, eachSum, entryCount, mergeRows, packRow, packSums, unpackRow } from './rows.js';
import { SAMPLES, SCORES, TwoTables } from './recent.js';
import {
  FencedError, StoreError, type Downsampled, type EventQuery, type Evidence, type HeatMap, type IncidentQuery, type JobSampleRow, type MachineStatus, type ModelRecord, type ScoreRows,
  type OutboxAlert, type Page, type RetentionPolicy, type RetentionResult, type StatusSummary, type StepWrite, type Store, type StoreStatus,
} from './store.js';
import { alignDown, bucketed, decodeCursor, encodeCursor, heatCell, incidentDetailJson, incidentRecord, joinGraph, maxOrNull, pageLimit, planBuckets, ROLLUP_LEVELS, ScoreRollup, splitGraph, storedUnits, type BucketPlan, type IncidentRowBase, type Topology } from './common.js';

export { StoreError };

const MAX = Number.MAX_SAFE_INTEGER;
/** `(?,…,?),(?,…,?)…`: n rows of w placeholders (the statements cache one text per chunk size). */
const rowsOf = (n: number, w: number): string => new Array(n).fill(`(${new Array(w).fill('?').join(',')})`).join(',');
const clampT = (t: number | undefined, d: number): number => (t === undefined || !Number.isFinite(t) ? d : Math.max(-MAX, Math.min(MAX, Math.round(t))));

/** Roll-up cells → the plan's buckets (a plan bucket may span several cells): the max per bucket. */
function maxPerBucket(cells: { bucket: number; max: number; umax?: number | null }[], p: BucketPlan): { b: number; v: number; u: number | null }[] {
  const out: { b: number; v: number; u: number | null }[] = [];
  for (const c of cells) {
    const b = Math.floor((c.bucket - p.start) / p.bucketMs);
    const last = out[out.length - 1];
    if (last?.b === b) {
      last.v = Math.max(last.v, c.max);
      last.u = maxOrNull(last.u, c.umax ?? null);
    } else out.push({ b, v: c.max, u: c.umax ?? null });
  }
  return out;
}

interface IncidentRow extends IncidentRowBase { paged: number; detail: string }

const toRecord = (r: IncidentRow): IncidentRecord => incidentRecord({ ...r, paged: r.paged === 1 }, JSON.parse(r.detail) as Partial<IncidentRecord>);

interface OutboxRow { id: number; sink: string; key: string; incident_id: string; kind: AlertKind; created_at: number; attempts: number; next_at: number; delivered_at: number | null; last_error: string | null }
const toAlert = (r: OutboxRow): OutboxAlert => ({ id: r.id, sink: r.sink, key: r.key, incidentId: r.incident_id, kind: r.kind, createdAt: r.created_at, attempts: r.attempts, nextAt: r.next_at, deliveredAt: r.delivered_at, lastError: r.last_error });

/** Applies the migrations after `have` up to `upTo` (all by default) on an open database. */
export function migrate(db: Database.Database, upTo = MIGRATIONS.length, path = ':memory:'): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const have = (db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
  if (have > MIGRATIONS.length) throw new StoreError(`store ${path} has schema version ${have}; this flinkscope knows up to ${MIGRATIONS.length} (upgrade flinkscope)`);
  for (let v = have + 1; v <= upTo; v++) {
    db.transaction(() => {
      const m = MIGRATIONS[v - 1];
      if (typeof m === 'string') db.exec(m);
      else m(db);
      db.prepare('INSERT INTO schema_version VALUES (?, ?)').run(v, Date.now());
    })();
  }
  return Math.max(have, upTo);
}

export class SqliteStore implements Store {
  readonly engine = 'sqlite' as const;
  readonly db: Database.Database;
  private readonly stmts = new Map<string, Database.Statement>();
  /** metric name ↔ id of the packed rows (table metric_ids). */
  private readonly metricId = new Map<string, number>();
  private readonly metricName = new Map<number, string>();
  /** Samples and scores, each in two tables: settled rows in machine order, recent ones in time order
   *  (src/store/recent.ts). */
  private readonly samples = new TwoTables<{ ts: number; v: Buffer }>((sql) => this.q(sql), SAMPLES);
  private readonly scoreRows = new TwoTables<{ ts: number; score: number; model_id: number | null; units: number | null }>((sql) => this.q(sql), SCORES);
  /** The newest score roll-up cell this connection wrote per (level, machine): a step whose scores do not raise it
   *  skips the write (the table's max is at least this). */
  private readonly rolled = new Map<string, { bucket: number; max: number; umax: number | null }>();

  /** `readonly`: a reading connection beside the store's owner (e.g. the API's range reader in a worker thread):
   *  no migration, no roll-up work — the schema must already be this version's. */
  constructor(readonly location: string, o: { readonly?: boolean } = {}) {
    if (location !== ':memory:' && !o.readonly) mkdirSync(dirname(location), { recursive: true });
    try {
      this.db = new Database(location, { readonly: !!o.readonly, fileMustExist: !!o.readonly });
      this.db.pragma('busy_timeout = 5000');
      if (o.readonly) {
        if (this.schemaVersion !== MIGRATIONS.length) throw new StoreError(`store ${location} has schema version ${this.schemaVersion}, not ${MIGRATIONS.length}: open it read-write first`);
        this.loadMetricIds();
        return;
      }
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('cache_size = -65536'); // 64 MiB of pages: a scrape's rows and the windows read back stay cached
      migrate(this.db, MIGRATIONS.length, location);
      this.loadMetricIds();
      // a store written before the roll-ups existed is rolled up once here (and any closed bucket left behind)
      this.db.transaction(() => this.rollUpSamples(Infinity, this.samples.span()?.max ?? -Infinity))();
    } catch (e) {
      if (e instanceof StoreError) throw e;
      throw new StoreError(`cannot open the store at ${location}: ${(e as Error).message}`);
    }
  }

  get schemaVersion(): number {
    return (this.q('SELECT MAX(version) AS v FROM schema_version').get() as { v: number }).v;
  }

  /** A cached prepared statement. */
  private q(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) this.stmts.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  async insertSamples(samples: Sample[]): Promise<number> {
    try {
      return this.insertSamplesSync(samples);
    } catch (e) {
      this.loadMetricIds(); // ids registered by the rolled-back transaction are not in the table
      throw e;
    }
  }

  private loadMetricIds(): void {
    this.metricId.clear();
    this.metricName.clear();
    for (const r of this.db.prepare('SELECT metric, id FROM metric_ids').all() as { metric: string; id: number }[]) {
      this.metricId.set(r.metric, r.id);
      this.metricName.set(r.id, r.metric);
    }
  }

  /** Runs `head VALUES (?,…),(?,…)… tail` over rows in chunks (one statement per ≤ 128 rows); returns the changes. */
  private insertMany(head: string, width: number, rows: unknown[][], tail = ''): number {
    let n = 0;
    for (let i = 0; i < rows.length; i += 128) {
      const chunk = rows.slice(i, i + 128);
      n += this.q(`${head} VALUES ${rowsOf(chunk.length, width)} ${tail}`).run(...chunk.flat()).changes;
    }
    return n;
  }

  /** A machine's roll-up cells at `level` with from ≤ bucket ≤ to: a point lookup per aligned bucket start (the
   *  tables are keyed level, bucket, machine). `cols` are read from the table as r.<col>. */
  private machineCells<T>(table: 'sample_rollups' | 'score_rollups', cols: string, level: number, machine: string, from: number, to: number): T[] {
    // two subqueries: MIN and MAX in one SELECT make SQLite scan the level instead of reading its two ends
    const held = this.q(`SELECT (SELECT MIN(bucket) FROM ${table} WHERE level = ?) AS a, (SELECT MAX(bucket) FROM ${table} WHERE level = ?) AS b`).get(level, level) as { a: number | null; b: number | null };
    if (held.a === null || held.b === null) return [];
    let first = alignDown(Math.max(clampT(from, -MAX), held.a), level);
    if (first < from) first += level;
    const last = Math.min(clampT(to, MAX), held.b);
    if (last < first) return [];
    if ((last - first) / level > 50_000) { // a range longer than the buckets a lookup each is worth: scan it
      return this.q(`SELECT r.bucket AS bucket, ${cols} FROM ${table} r WHERE r.level = ? AND r.bucket >= ? AND r.bucket <= ? AND r.machine = ? ORDER BY r.bucket`)
        .all(level, first, last, machine) as T[];
    }
    return this.q(`WITH RECURSIVE b(x) AS (SELECT ? UNION ALL SELECT x + ? FROM b WHERE x + ? <= ?)
      SELECT r.bucket AS bucket, ${cols} FROM b CROSS JOIN ${table} r ON r.level = ? AND r.bucket = b.x AND r.machine = ? ORDER BY b.x`)
      .all(first, level, level, last, level, machine) as T[];
  }

  /** The id of a metric name, registering a new one (inside the caller's transaction). */
  private idOf(metric: string): number {
    let id = this.metricId.get(metric);
    if (id === undefined) {
      id = this.metricId.size;
      if (id > 0xffff) throw new StoreError(`too many distinct metric names (${id}); a store holds at most 65 536`);
      this.q('INSERT INTO metric_ids VALUES (?, ?)').run(metric, id);
      this.metricId.set(metric, id);
      this.metricName.set(id, metric);
    }
    return id;
  }

  private insertSamplesSync(samples: Sample[]): number {
    const insJob = this.q('INSERT OR IGNORE INTO job_samples (machine, job, operator, metric, ts, value) VALUES (?, ?, ?, ?, ?, ?)');
    return this.db.transaction((rows: Sample[]) => {
      let n = 0;
      // machine-level samples grouped into rows, per machine: its time span and ts → (ids, values), first value of a
      // metric wins. One map lookup per sample: a machine's entry holds its span and its last row (a scrape is one
      // row per machine), and samples come grouped by metric, so the last metric's id is kept
      const machines = new Map<string, { lo: number; hi: number; rows: Map<number, { ids: number[]; values: number[] }>; ts: number; row: { ids: number[]; values: number[] } | null }>();
      let lastMetric: string | null = null;
      let lastId = -1;
      for (const s of rows) {
        if (!Number.isFinite(s.value) || !Number.isFinite(s.ts)) continue;
        const ts = Math.round(s.ts);
        let e = machines.get(s.machine);
        if (!e) machines.set(s.machine, (e = { lo: ts, hi: ts, rows: new Map(), ts: NaN, row: null }));
        else { if (ts < e.lo) e.lo = ts; if (ts > e.hi) e.hi = ts; }
        if (s.job !== undefined) {
          n += insJob.run(s.machine, s.job, s.operator ?? '', s.metric, ts, s.value).changes;
          continue;
        }
        if (s.metric !== lastMetric) { lastMetric = s.metric; lastId = this.idOf(s.metric); }
        let row = e.ts === ts ? e.row! : e.rows.get(ts);
        if (!row) e.rows.set(ts, (row = { ids: [], values: [] }));
        e.ts = ts;
        e.row = row;
        row.ids.push(lastId); // a repeated metric: packRow keeps its first value
        row.values.push(s.value);
      }
      let lo = Infinity; // the span of rows that changed: what the roll-ups must take in
      let hi = -Infinity;
      const changed = (ts: number): void => { if (ts < lo) lo = ts; if (ts > hi) hi = ts; };
      const fresh: [string, number, Buffer, number][] = []; // (machine, ts, row, entries)
      const stamps = new Set<number>();
      for (const [machine, { rows: byTs }] of machines) {
        for (const [ts, row] of byTs) {
          const blob = packRow(row.ids, row.values);
          fresh.push([machine, ts, blob, entryCount(blob)]);
          stamps.add(ts);
        }
      }
      // rows before the split go to sample_rows (in key order), the others to sample_recent (in time order); a settle
      // due with this batch happens first, so the batch's older rows go straight where they would be moved to
      const until = this.samples.splitFor(stamps);
      this.samples.settle(until);
      const settled = fresh.filter((f) => f[1] < until).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
      const recent = fresh.filter((f) => f[1] >= until).sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      n += this.putRows(settled, 'sample_rows', changed);
      n += this.putRows(recent, 'sample_recent', changed);
      this.samples.noteTimestamps(new Set(recent.map((f) => f[1])));
      const spans = [...machines];
      for (let i = 0; i < spans.length; i += 128) {
        const chunk = spans.slice(i, i + 128);
        this.q(`INSERT INTO machines VALUES ${rowsOf(chunk.length, 3)} ON CONFLICT (machine) DO UPDATE SET first_seen = MIN(first_seen, excluded.first_seen), last_seen = MAX(last_seen, excluded.last_seen)`)
          .run(...chunk.flatMap(([m, e]) => [m, e.lo, e.hi]));
      }
      if (hi >= lo) this.rollUpSamples(lo, hi);
      return n;
    })(samples);
  }

  /** Inserts packed rows into a sample table, many per statement; where a row of that machine and time exists
   *  (re-delivery, or metrics arriving late) adds what it lacks. Returns the values added. */
  private putRows(rows: [string, number, Buffer, number][], table: 'sample_rows' | 'sample_recent', changed: (ts: number) => void): number {
    let n = 0;
    for (let i = 0; i < rows.length; i += 128) {
      const chunk = rows.slice(i, i + 128);
      const args: unknown[] = [];
      for (const [m, ts, blob] of chunk) args.push(m, ts, blob);
      // RETURNING names the rows that were new, the others exist already
      const ret = this.q(`INSERT OR IGNORE INTO ${table} (machine, ts, v) VALUES ${rowsOf(chunk.length, 3)} RETURNING machine, ts`).raw(true).all(...args) as [string, number][];
      const added = ret.length === chunk.length ? null : new Set(ret.map(([m, ts]) => `${m}\u0000${ts}`));
      for (const [machine, ts, blob, k] of chunk) {
        if (added === null || added.has(`${machine}\u0000${ts}`)) {
          n += k;
          changed(ts);
          continue;
        }
        const old = (this.q(`SELECT v FROM ${table} WHERE machine = ? AND ts = ?`).get(machine, ts) as { v: Buffer }).v;
        const m = mergeRows(old, blob);
        if (m.added) { this.q(`UPDATE ${table} SET v = ? WHERE machine = ? AND ts = ?`).run(m.row, machine, ts); changed(ts); }
        n += m.added;
      }
    }
    return n;
  }

  /** Packed rows → a Series over the requested metrics (missing values NaN). */
  private unpack(machine: string, metrics: string[], rows: { ts: number; v: Buffer }[]): Series {
    const C = metrics.length;
    const col = new Int32Array(this.metricName.size + 1).fill(-1); // metric id → column
    metrics.forEach((m, j) => { const id = this.metricId.get(m); if (id !== undefined) col[id] = j; });
    const values = new Float64Array(rows.length * C).fill(NaN); // float64: stored values come back exact
    for (let i = 0; i < rows.length; i++) unpackRow(rows[i].v, col, values, i * C);
    return { name: machine, timestamps: Float64Array.from(rows, (r) => r.ts), channels: [...metrics], values, meta: { source: this.location } };
  }

  /** How far each sample roll-up level is built: every bucket before done_until holds all its rows. */
  private rollupDone(level: number): number {
    return (this.q('SELECT done_until AS d FROM rollup_state WHERE level = ?').get(level) as { d: number }).d;
  }

  /** After rows changed in [lo, hi]: rows landing in built buckets (late data) send those levels back to rebuild
   *  from there; then every bucket closed by `hi` (before the minute holding it) is built in bulk — per minute from
   *  the packed rows, each wider level from the one below. Buckets are rebuilt whole (INSERT OR REPLACE), so they
   *  stay exact however the rows arrived. In the caller's transaction. */
  private rollUpSamples(lo: number, hi: number): void {
    const set = this.q('UPDATE rollup_state SET done_until = ? WHERE level = ?');
    const [l1] = ROLLUP_LEVELS;
    const built = this.rollupDone(l1);
    if (Number.isFinite(lo)) for (const l of ROLLUP_LEVELS) if (lo < this.rollupDone(l)) set.run(alignDown(lo, l), l);
    if (!Number.isFinite(hi)) return;
    const closed = Math.max(alignDown(hi, l1), built); // late rows: rebuild up to where it was built before
    // time chunks of at most ~500 000 cells (machines × metrics × minutes) are read whole, then written
    const perMinute = Math.max(1, (this.q('SELECT COUNT(*) AS n FROM machines').get() as { n: number }).n * Math.max(1, this.metricId.size));
    const chunkMinutes = Math.max(1, Math.floor(500_000 / perMinute));
    const first = this.samples.span()?.min ?? null;
    if (first === null) return;
    for (let k = 0; k < ROLLUP_LEVELS.length; k++) {
      const l = ROLLUP_LEVELS[k];
      const upTo = k === 0 ? closed : alignDown(this.rollupDone(ROLLUP_LEVELS[k - 1]), l);
      const d = Math.max(this.rollupDone(l), alignDown(first, l));
      if (upTo <= d) continue;
      const below = k === 0 ? null : this.q(`SELECT machine, bucket AS ts, v FROM sample_rollups WHERE level = ${ROLLUP_LEVELS[k - 1]} AND bucket >= ? AND bucket < ?`);
      const chunk = Math.max(l, alignDown(chunkMinutes * l1, l));
      for (let a = d; a < upTo; a += chunk) {
        const M = Math.max(1, this.metricId.size);
        const cells = new Map<string, Map<number, Float64Array>>(); // machine → bucket → [n per metric id | sum per metric id]
        const cell = (machine: string, ts: number): Float64Array => {
          const m = cells.get(machine) ?? cells.set(machine, new Map()).get(machine)!;
          const bk = alignDown(ts, l);
          return m.get(bk) ?? m.set(bk, new Float64Array(2 * M)).get(bk)!;
        };
        const to = Math.min(upTo, a + chunk);
        if (below === null) {
          for (const r of this.samples.range(a, to)) {
            const c = cell(r.machine, r.ts);
            eachEntry(r.v, (id, v) => { c[id]++; c[M + id] += v; });
          }
        } else {
          for (const r of below.iterate(a, to) as Iterable<{ machine: string; ts: number; v: Buffer }>) {
            const c = cell(r.machine, r.ts);
            eachSum(r.v, (id, n, sum) => { c[id] += n; c[M + id] += sum; });
          }
        }
        const out: unknown[][] = [];
        for (const [machine, m] of cells) for (const [bk, c] of m) out.push([l, machine, bk, packSums(c, M)]);
        this.insertMany('INSERT OR REPLACE INTO sample_rollups (level, machine, bucket, v)', 4, out);
      }
      set.run(upTo, l);
    }
  }

  async recordPlacement(jobsOn: Record<string, string[]>, ts: number): Promise<void> {
    const up = this.q('INSERT INTO placements VALUES (?, ?, ?) ON CONFLICT (machine, job) DO UPDATE SET last_seen = excluded.last_seen');
    this.db.transaction(() => {
      for (const [m, jobs] of Object.entries(jobsOn)) for (const j of jobs) up.run(m, j, ts);
    })();
  }

  async jobsOn(machine: string): Promise<string[]> {
    return (this.q('SELECT job FROM placements WHERE machine = ? ORDER BY job').all(machine) as { job: string }[]).map((r) => r.job);
  }

  async placements(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const r of this.q('SELECT machine, job FROM placements ORDER BY machine, job').all() as { machine: string; job: string }[]) {
      (out.get(r.machine) ?? out.set(r.machine, []).get(r.machine)!).push(r.job);
    }
    return out;
  }

  async machines(): Promise<string[]> {
    return (this.q('SELECT machine FROM machines ORDER BY machine').all() as { machine: string }[]).map((r) => r.machine);
  }

  async metrics(): Promise<string[]> {
    return [...this.metricId.keys()].sort();
  }

  async series(machine: string, metrics: string[], from = -Infinity, to = Infinity, maxRows?: number): Promise<Series> {
    return this.unpack(machine, metrics, this.machineRows(machine, from, to, maxRows));
  }

  /** A machine's packed rows in [from, to], oldest first, at most maxRows. */
  private machineRows(machine: string, from: number, to: number, maxRows?: number): { ts: number; v: Buffer }[] {
    return this.reading(() => this.samples.machineRows(machine, clampT(from, -MAX), clampT(to, MAX), maxRows ?? -1));
  }

  /** f in one read transaction (a snapshot: rows settled meanwhile by another connection are not missed). */
  private reading<T>(f: () => T): T {
    return this.db.inTransaction ? f() : this.db.transaction(f)();
  }

  async seriesAfter(items: { machine: string; after: number }[], metrics: string[], maxRows: number): Promise<Series[]> {
    // machines sharing a cursor (the steady state: all of them, one scrape behind) are read with one range over the
    // ts index instead of a query each; rows come in time order, so each machine gets a prefix of what is new
    const groups = new Map<number, string[]>();
    for (const it of items) {
      const g = groups.get(it.after);
      if (g) g.push(it.machine);
      else groups.set(it.after, [it.machine]);
    }
    const rows = new Map<string, { ts: number; v: Buffer }[]>();
    for (const [after, ms] of groups) {
      if (ms.length < 64 || !Number.isFinite(after)) continue;
      const limit = ms.length * maxRows;
      const got = this.reading(() => this.samples.rowsAfter(clampT(after, MAX), limit)) as [string, number, Buffer][];
      if (got.length >= limit) continue; // a backlog (or other machines' rows) fills the range: each machine on its own
      const want = new Set(ms);
      for (const m of ms) rows.set(m, []);
      for (const [m, ts, v] of got) if (want.has(m)) rows.get(m)!.push({ ts, v });
    }
    return items.map((it) => {
      const r = rows.get(it.machine);
      if (r) return this.unpack(it.machine, metrics, r.length > maxRows ? r.slice(0, maxRows) : r);
      return this.unpack(it.machine, metrics, this.machineRows(it.machine, Number.isFinite(it.after) ? it.after + 1 : -Infinity, Infinity, maxRows));
    });
  }

  async lastRows(machine: string, metrics: string[], to: number, n: number): Promise<Series> {
    const rows = this.reading(() => this.samples.lastRows(machine, -MAX, clampT(to, MAX), n));
    return this.unpack(machine, metrics, rows.reverse());
  }

  async jobSamples(machine: string, from: number, to: number): Promise<JobSampleRow[]> {
    return this.q('SELECT job, operator, metric, ts, value FROM job_samples WHERE machine = ? AND ts >= ? AND ts <= ? ORDER BY ts')
      .all(machine, clampT(from, -MAX), clampT(to, MAX)) as JobSampleRow[];
  }

  async newestSample(): Promise<number> {
    return (this.q('SELECT MAX(last_seen) AS t FROM machines').get() as { t: number | null }).t ?? -Infinity;
  }

  async metricsRange(machine: string, from: number, to: number, maxPoints: number): Promise<Downsampled> {
    const metrics = await this.metrics();
    const p = planBuckets(from, to, maxPoints);
    // sums and counts per (metric id, bucket): from the roll-up (whole buckets before done_until), the rest from
    // the packed rows as they stream by
    const acc = new Map<number, { s: number; n: number; id: number; b: number }>();
    const add = (id: number, b: number, s: number, n: number): void => {
      const k = b * 65_536 + id;
      const a = acc.get(k);
      if (a) { a.s += s; a.n += n; } else acc.set(k, { s, n, id, b });
    };
    let rawFrom = from;
    let rawTo = to;
    if (p.level !== null) {
      const done = this.rollupDone(p.level);
      for (const r of this.machineCells<{ bucket: number; v: Buffer }>('sample_rollups', 'r.v AS v', p.level, machine, p.start, Math.min(to, done - 1))) {
        const b = Math.floor((r.bucket - p.start) / p.bucketMs);
        eachSum(r.v, (id, n, sum) => add(id, b, sum, n));
      }
      rawFrom = Math.max(done, p.start);
      rawTo = alignDown(to, p.level) + p.level - 1; // whole buckets, like the roll-up's
    }
    this.reading(() => {
      for (const r of this.samples.machineRows(machine, clampT(rawFrom, -MAX), clampT(rawTo, MAX), -1)) {
        const b = Math.floor((r.ts - p.start) / p.bucketMs);
        eachEntry(r.v, (id, v) => add(id, b, v, 1));
      }
    });
    return bucketed([...acc.values()].map((a) => ({ key: this.metricName.get(a.id)!, b: a.b, v: a.s / a.n })), metrics, p.start, p.bucketMs);
  }

  async insertEvents(events: FlinkEvent[]): Promise<number> {
    const ins = this.q('INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?, ?)');
    return this.db.transaction(() => {
      let n = 0;
      for (const e of events) n += ins.run(e.id, Math.round(e.ts), e.kind, e.job ?? null, JSON.stringify(e.machines), e.detail, e.attrs ? JSON.stringify(e.attrs) : null).changes;
      return n;
    })();
  }

  async events(q: EventQuery = {}): Promise<FlinkEvent[]> {
    const kinds = q.kinds ? JSON.stringify(q.kinds) : null;
    const rows = this.q(`SELECT * FROM events WHERE ts >= ? AND ts <= ? AND (? IS NULL OR machines = '[]' OR EXISTS (SELECT 1 FROM json_each(events.machines) WHERE value = ?))
      AND (? IS NULL OR kind IN (SELECT value FROM json_each(?))) ORDER BY ts LIMIT ?`).all(clampT(q.from, -MAX), clampT(q.to, MAX), q.machine ?? null, q.machine ?? null, kinds, kinds, Math.min(q.limit ?? 10_000, 100_000)) as
      { id: string; ts: number; kind: FlinkEvent['kind']; job: string | null; machines: string; detail: string; attrs: string | null }[];
    return rows.map((r) => ({ id: r.id, ts: r.ts, kind: r.kind, ...(r.job !== null ? { job: r.job } : {}), machines: JSON.parse(r.machines) as string[], detail: r.detail, ...(r.attrs ? { attrs: JSON.parse(r.attrs) as FlinkEvent['attrs'] } : {}) }));
  }

  async insertJobGraphs(snaps: JobGraphSnapshot[]): Promise<number> {
    const topo = this.q('INSERT OR IGNORE INTO job_topologies VALUES (?, ?)');
    const ins = this.q('INSERT OR IGNORE INTO job_graphs VALUES (?, ?, ?, ?, ?, ?)');
    return this.db.transaction(() => {
      let n = 0;
      for (const g of snaps) {
        if (!Number.isFinite(g.ts)) throw new StoreError(`job graph of ${g.job} (${g.jobId}) has no valid time (${g.ts})`);
        const { topology, hash, activity } = splitGraph(g);
        topo.run(hash, topology);
        n += ins.run(g.jobId, Math.round(g.ts), g.job, g.state, hash, activity).changes;
      }
      return n;
    })();
  }

  private readonly topologies = new Map<string, Topology>();

  async jobGraphs(q: { from: number; to: number; machine?: string; limit?: number }): Promise<JobGraphSnapshot[]> {
    const rows = (this.q('SELECT * FROM job_graphs WHERE ts >= ? AND ts <= ? ORDER BY ts DESC, job_id LIMIT ?')
      .all(clampT(q.from, -MAX), clampT(q.to, MAX), Math.min(q.limit ?? 10_000, 100_000)) as { job_id: string; ts: number; job: string; state: string; topology: string; activity: Buffer }[]).reverse();
    const out: JobGraphSnapshot[] = [];
    for (const r of rows) {
      let t = this.topologies.get(r.topology);
      if (!t) {
        const row = this.q('SELECT graph FROM job_topologies WHERE hash = ?').get(r.topology) as { graph: string } | undefined;
        if (!row) throw new StoreError(`job graph ${r.job_id} at ${r.ts}: its topology ${r.topology} is missing`);
        this.topologies.set(r.topology, (t = JSON.parse(row.graph) as Topology));
      }
      if (q.machine !== undefined && !t.vertices.some((v) => v.subtasks.some((s) => s.machine === q.machine))) continue;
      out.push(joinGraph(r, t, r.activity));
    }
    return out;
  }

  async putEvidence(e: Evidence): Promise<void> {
    this.q('INSERT OR REPLACE INTO evidence (incident_id, kind, target, requested_at, captured_at, latency_ms, bytes, truncated, error, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(e.incidentId, e.kind, JSON.stringify(e.target), Math.round(e.requestedAt), Math.round(e.capturedAt), e.latencyMs === null ? null : Math.round(e.latencyMs),
        e.bytes, e.truncated ? 1 : 0, e.error, e.body === null || e.body === undefined ? null : JSON.stringify(e.body));
  }

  async evidence(incidentId: string): Promise<Evidence[]> {
    const rows = this.q('SELECT * FROM evidence WHERE incident_id = ? ORDER BY kind').all(incidentId) as
      { incident_id: string; kind: Evidence['kind']; target: string; requested_at: number; captured_at: number; latency_ms: number | null; bytes: number; truncated: number; error: string | null; body: string | null }[];
    return rows.map((r) => ({
      incidentId: r.incident_id, kind: r.kind, target: JSON.parse(r.target) as Evidence['target'], requestedAt: r.requested_at, capturedAt: r.captured_at,
      latencyMs: r.latency_ms, bytes: r.bytes, truncated: r.truncated === 1, error: r.error, body: r.body === null ? null : JSON.parse(r.body) as unknown,
    }));
  }

  async addModel(kind: string, path: string, report: Record<string, unknown>, createdAt = Date.now()): Promise<number> {
    return Number(this.q('INSERT INTO models (kind, path, created_at, report) VALUES (?, ?, ?, ?)').run(kind, path, createdAt, JSON.stringify(report)).lastInsertRowid);
  }

  private modelRow(sql: string, ...args: unknown[]): ModelRecord | null {
    const r = this.q(sql).get(...args) as { id: number; kind: string; path: string; created_at: number; report: string } | undefined;
    return r ? { id: r.id, kind: r.kind, path: r.path, createdAt: r.created_at, report: JSON.parse(r.report) as Record<string, unknown> } : null;
  }

  async latestModel(): Promise<ModelRecord | null> {
    return this.modelRow('SELECT * FROM models ORDER BY id DESC LIMIT 1');
  }

  async model(id: number): Promise<ModelRecord | null> {
    return this.modelRow('SELECT * FROM models WHERE id = ?', id);
  }

  async updateModelReport(id: number, patch: Record<string, unknown>): Promise<void> {
    this.db.transaction(() => {
      const cur = this.modelRow('SELECT * FROM models WHERE id = ?', id);
      if (!cur) throw new StoreError(`no model version #${id}`);
      this.q('UPDATE models SET report = ? WHERE id = ?').run(JSON.stringify({ ...cur.report, ...patch }), id);
    })();
  }

  async commitStep(w: StepWrite): Promise<void> {
    const state = this.q('INSERT OR REPLACE INTO scorer_state VALUES (?, ?, ?)');
    // the watcher's fields only: an operator's ack / label are never written here
    const inc = this.q(`INSERT INTO incidents (id, machine, type, state, onset, last_seen, resolved_at, peak, segments, paged, detail)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET type = excluded.type, state = excluded.state,
      onset = excluded.onset, last_seen = excluded.last_seen, resolved_at = excluded.resolved_at, peak = excluded.peak,
      segments = excluded.segments, paged = excluded.paged, detail = excluded.detail`);
    const alert = this.q('INSERT OR IGNORE INTO outbox (sink, key, incident_id, kind, created_at, next_at) VALUES (?, ?, ?, ?, ?, ?)');
    const meta = this.q('INSERT OR REPLACE INTO watch_meta VALUES (?, ?)');
    const now = Date.now();
    let wrote: [number, string, number, number, number | null][] = [];
    this.db.transaction(() => {
      if (w.fence) {
        const held = Number((this.q('SELECT value FROM watch_meta WHERE key = ?').get(w.fence.key) as { value: string } | undefined)?.value ?? 0);
        if (held !== w.fence.epoch) throw new FencedError(w.fence.key, w.fence.epoch, held);
      }
      const scores: [string, number, number, number | null, number | null][] = [];
      for (const s of w.scores) {
        for (const p of s.points) scores.push([s.machine, Math.round(p.t), Number.isFinite(p.score) ? p.score : 1e30, w.modelId, storedUnits(p.units)]);
      }
      // like samples: a settle due first, then older scores to the settled table, newer ones to the recent one
      const stamps = new Set(scores.map((r) => r[1]));
      const until = this.scoreRows.splitFor(stamps);
      this.scoreRows.settle(until);
      this.insertMany('INSERT OR REPLACE INTO scores (machine, ts, score, model_id, units)', 5, scores.filter((r) => r[1] < until));
      const fresh = scores.filter((r) => r[1] >= until).sort((a, b) => a[1] - b[1]);
      this.insertMany('INSERT OR REPLACE INTO score_recent (machine, ts, score, model_id, units)', 5, fresh);
      this.scoreRows.noteTimestamps(new Set(fresh.map((r) => r[1])));
      // a roll-up bucket's max is the max of every score written into it (a re-scored point can only raise it)
      const roll = new ScoreRollup();
      for (const r of scores) roll.add(r[0], r[1], r[2], r[4]);
      // cells this connection wrote with maxima at least as high are left alone (most steps raise no bucket's max)
      const raised = [...roll.rows()].filter(([l, m, b, mx, ux]) => {
        const c = this.rolled.get(`${l}\u0000${m}`);
        return !(c && c.bucket === b && c.max >= mx && (ux === null || (c.umax !== null && c.umax >= ux)));
      });
      this.insertMany('INSERT INTO score_rollups (level, machine, bucket, max, umax)', 5, raised,
        'ON CONFLICT DO UPDATE SET max = MAX(max, excluded.max), umax = COALESCE(MAX(umax, excluded.umax), umax, excluded.umax)');
      wrote = raised;
      for (const s of w.scorerStates) state.run(s.machine, JSON.stringify(s.state), now);
      for (const i of w.incidents) {
        const detail = incidentDetailJson(i);
        inc.run(i.id, i.machine, i.type, i.state === 'resolved' ? 'resolved' : 'open', i.onset, i.lastSeen, i.resolvedAt ?? null, i.peak, i.segments, i.paged ? 1 : 0, detail);
      }
      for (const a of w.alerts) alert.run(a.sink ?? 'webhook', a.key, a.incidentId, a.kind, a.createdAt, a.createdAt);
      this.insertMany('INSERT OR REPLACE INTO machine_status', 5, w.status.map((m) => [m.machine, m.lastTs, Number.isFinite(m.lastScore) ? m.lastScore : 1e30, Number.isFinite(m.risk) ? m.risk : 1e30, m.openIncidents]));
      for (const [k, v] of Object.entries(w.meta)) meta.run(k, v);
    })();
    // only once committed: a rolled-back step must not hide a later, lower score from its bucket
    for (const [l, m, b, mx, ux] of wrote) {
      const k = `${l}\u0000${m}`;
      const c = this.rolled.get(k);
      if (!c || c.bucket < b) this.rolled.set(k, { bucket: b, max: mx, umax: ux });
      else if (c.bucket === b) {
        c.max = Math.max(c.max, mx);
        c.umax = maxOrNull(c.umax, ux);
      }
    }
  }

  async scorerStates(machines?: string[]): Promise<Map<string, unknown>> {
    const rows = machines
      ? machines.map((m) => this.q('SELECT machine, state FROM scorer_state WHERE machine = ?').get(m) as { machine: string; state: string } | undefined).filter((r) => r !== undefined)
      : this.q('SELECT machine, state FROM scorer_state').all() as { machine: string; state: string }[];
    return new Map(rows.map((r) => [r.machine, JSON.parse(r.state) as unknown]));
  }

  async claim(key: string): Promise<number> {
    return this.db.transaction(() => {
      const epoch = Number((this.q('SELECT value FROM watch_meta WHERE key = ?').get(key) as { value: string } | undefined)?.value ?? 0) + 1;
      this.q('INSERT OR REPLACE INTO watch_meta VALUES (?, ?)').run(key, String(epoch));
      return epoch;
    })();
  }

  async meta(key: string): Promise<string | null> {
    return (this.q('SELECT value FROM watch_meta WHERE key = ?').get(key) as { value: string } | undefined)?.value ?? null;
  }

  async scores(machine: string, from: number, to: number, last?: number): Promise<ScoreRows> {
    const a = clampT(from, -MAX);
    const b = clampT(to, MAX);
    const rows = this.reading(() => (last === undefined ? this.scoreRows.machineRows(machine, a, b, -1) : this.scoreRows.lastRows(machine, a, b, last).reverse()));
    return { t: rows.map((r) => r.ts), score: rows.map((r) => r.score), model: rows.map((r) => r.model_id ?? null) };
  }

  async scoreModels(machine: string, from: number, to: number): Promise<{ model: number | null; from: number }[]> {
    return this.reading(() => this.scoreRows.firstOf('model_id', machine, clampT(from, -MAX), clampT(to, MAX))).map((r) => ({ model: r.value as number | null, from: r.first }));
  }

  async scoresRange(machine: string, from: number, to: number, maxPoints: number): Promise<Downsampled> {
    const p = planBuckets(from, to, maxPoints);
    const rows = this.scoreBuckets(p, machine, from, to);
    return bucketed(rows.map((r) => ({ key: 'score', b: r.b, v: r.v })), ['score'], p.start, p.bucketMs);
  }

  /** Max score (v) and max on the alarm scale (u; null: none stored) per bucket of the plan: from the raw scores or
   *  the roll-up it names. */
  private scoreBuckets(p: BucketPlan, machine: string, from: number, to: number): { b: number; v: number; u: number | null }[] {
    return p.level === null
      ? maxPerBucket(this.reading(() => this.scoreRows.machineRows(machine, clampT(from, -MAX), clampT(to, MAX), -1)).map((r) => ({ bucket: r.ts, max: r.score, umax: r.units })), p)
      : maxPerBucket(this.machineCells<{ bucket: number; max: number; umax: number | null }>('score_rollups', 'r.max AS max, r.umax AS umax', p.level, machine, p.start, to), p);
  }

  async heatMap(q: { from: number; to: number; buckets: number; threshold: number; machines?: string[]; limit?: number }): Promise<HeatMap> {
    const machines = q.machines ?? (this.q('SELECT machine FROM machine_status ORDER BY risk DESC, machine LIMIT ?').all(Math.min(q.limit ?? 50, 1000)) as { machine: string }[]).map((r) => r.machine);
    const p = planBuckets(q.from, q.to, Math.max(1, Math.min(q.buckets, 2000)));
    const n = Math.max(1, Math.floor((q.to - p.start) / p.bucketMs) + 1);
    const th = q.threshold > 0 ? q.threshold : 1;
    const cells = machines.map((m) => {
      const row: (number | null)[] = new Array(n).fill(null);
      for (const r of this.scoreBuckets(p, m, q.from, q.to)) if (r.b >= 0 && r.b < n) row[r.b] = heatCell(r.v, r.u, th);
      return row;
    });
    return { machines, t: Array.from({ length: n }, (_, i) => p.start + i * p.bucketMs), bucketMs: p.bucketMs, cells };
  }

  async machineStatus(q: { limit?: number; machine?: string } = {}): Promise<MachineStatus[]> {
    return (this.q('SELECT * FROM machine_status WHERE (? IS NULL OR machine = ?) ORDER BY risk DESC, machine LIMIT ?').all(q.machine ?? null, q.machine ?? null, q.limit ?? -1) as { machine: string; last_ts: number; last_score: number; risk: number; open_incidents: number }[])
      .map((r) => ({ machine: r.machine, lastTs: r.last_ts, lastScore: r.last_score, risk: r.risk, openIncidents: r.open_incidents }));
  }

  async newestScore(): Promise<number> {
    return (this.q('SELECT MAX(last_ts) AS t FROM machine_status').get() as { t: number | null }).t ?? -Infinity;
  }

  async statusSummary(): Promise<StatusSummary> {
    const a = this.q('SELECT COUNT(*) AS n, COALESCE(SUM(risk >= 1), 0) AS r, COALESCE(SUM(open_incidents), 0) AS o, MAX(last_ts) AS t FROM machine_status').get() as { n: number; r: number; o: number; t: number | null };
    const scores = (this.q('SELECT last_score FROM machine_status WHERE last_score IS NOT NULL ORDER BY last_score').pluck().all() as number[]).filter(Number.isFinite);
    return { machines: a.n, atRisk: a.r, openIncidents: a.o, newest: a.t ?? -Infinity, scores };
  }

  async incidents(q: IncidentQuery = {}): Promise<Page<IncidentRecord>> {
    const limit = pageLimit(q.limit);
    const after = q.cursor ? decodeCursor(q.cursor) : null;
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.state === 'resolved') where.push("state = 'resolved'");
    else if (q.state === 'active') where.push("state != 'resolved'");
    else if (q.state === 'open') where.push("state != 'resolved' AND ack_at IS NULL");
    else if (q.state === 'acknowledged') where.push("state != 'resolved' AND ack_at IS NOT NULL");
    if (q.type) { where.push('type = ?'); args.push(q.type); }
    if (q.machine) { where.push('machine = ?'); args.push(q.machine); }
    if (q.job) { where.push("EXISTS (SELECT 1 FROM json_each(incidents.detail, '$.jobs') WHERE value = ?)"); args.push(q.job); }
    if (q.label === 'none') where.push('label IS NULL');
    else if (q.label) { where.push('label = ?'); args.push(q.label); }
    if (q.from !== undefined) { where.push('onset >= ?'); args.push(clampT(q.from, -MAX)); }
    if (q.to !== undefined) { where.push('onset <= ?'); args.push(clampT(q.to, MAX)); }
    // newest first; the cursor is the (onset, id) of the last item of the previous page
    if (after) { where.push('(onset < ? OR (onset = ? AND id < ?))'); args.push(after.onset, after.onset, after.id); }
    const sql = `SELECT * FROM incidents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY onset DESC, id DESC LIMIT ?`;
    const rows = this.q(sql).all(...args, limit + 1) as IncidentRow[]; // one statement per filter combination, cached
    const items = rows.slice(0, limit).map(toRecord);
    const last = items[items.length - 1];
    return { items, next: rows.length > limit && last ? encodeCursor({ onset: last.onset, id: last.id }) : null };
  }

  async incident(id: string): Promise<IncidentRecord | null> {
    const r = this.q('SELECT * FROM incidents WHERE id = ?').get(id) as IncidentRow | undefined;
    return r ? toRecord(r) : null;
  }

  async activeIncidents(): Promise<IncidentRecord[]> {
    return (this.q("SELECT * FROM incidents WHERE state != 'resolved' ORDER BY onset, id").all() as IncidentRow[]).map(toRecord);
  }

  async acknowledge(id: string, by: string, at: number): Promise<IncidentRecord> {
    return this.db.transaction(() => {
      const r = this.q('SELECT * FROM incidents WHERE id = ?').get(id) as IncidentRow | undefined;
      if (!r) throw new StoreError(`unknown incident '${id}'`);
      if (r.state === 'resolved') throw new StoreError(`incident ${id} is already resolved`);
      if (r.ack_at === null) this.q('UPDATE incidents SET ack_at = ?, ack_by = ? WHERE id = ?').run(at, by, id);
      return toRecord(this.q('SELECT * FROM incidents WHERE id = ?').get(id) as IncidentRow);
    })();
  }

  async label(id: string, value: IncidentLabel, by: string, note: string, at: number): Promise<IncidentRecord> {
    return this.db.transaction(() => {
      if (this.q('UPDATE incidents SET label = ?, label_at = ?, label_by = ?, label_note = ? WHERE id = ?').run(value, at, by, note, id).changes === 0) {
        throw new StoreError(`unknown incident '${id}'`);
      }
      return toRecord(this.q('SELECT * FROM incidents WHERE id = ?').get(id) as IncidentRow);
    })();
  }

  async dueAlerts(now: number, limit: number, sink?: string, incidentPrefixes?: string[]): Promise<OutboxAlert[]> {
    if (!incidentPrefixes) {
      return (this.q('SELECT * FROM outbox WHERE delivered_at IS NULL AND next_at <= ? AND (? IS NULL OR sink = ?) ORDER BY id LIMIT ?').all(now, sink ?? null, sink ?? null, limit) as OutboxRow[]).map(toAlert);
    }
    if (incidentPrefixes.length === 0) return [];
    const any = incidentPrefixes.map(() => 'substr(incident_id, 1, length(?)) = ?').join(' OR ');
    return (this.q(`SELECT * FROM outbox WHERE delivered_at IS NULL AND next_at <= ? AND (? IS NULL OR sink = ?) AND (${any}) ORDER BY id LIMIT ?`)
      .all(now, sink ?? null, sink ?? null, ...incidentPrefixes.flatMap((p) => [p, p]), limit) as OutboxRow[]).map(toAlert);
  }

  async markDelivered(id: number, at: number): Promise<void> {
    this.q('UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?').run(at, id);
  }

  async markRetry(id: number, nextAt: number, error: string | null, countAttempt: boolean): Promise<void> {
    this.q('UPDATE outbox SET next_at = ?, last_error = ?, attempts = attempts + ? WHERE id = ?').run(nextAt, error, countAttempt ? 1 : 0, id);
  }

  async alerts(q: { incidentId?: string; sink?: string; limit?: number } = {}): Promise<OutboxAlert[]> {
    return (this.q('SELECT * FROM outbox WHERE (? IS NULL OR incident_id = ?) AND (? IS NULL OR sink = ?) ORDER BY id LIMIT ?')
      .all(q.incidentId ?? null, q.incidentId ?? null, q.sink ?? null, q.sink ?? null, q.limit ?? 100_000) as OutboxRow[]).map(toAlert);
  }

  async applyRetention(now: number, p: RetentionPolicy): Promise<RetentionResult> {
    if (!(p.retainMs > 0 && p.rawMs > 0 && p.bucketMs > 0)) throw new StoreError('retention: retain, raw and bucket must be positive durations');
    if (p.rawMs > p.retainMs) throw new StoreError('retention: the raw period must not exceed the retention period');
    const cut = now - p.retainMs;
    const rawCut = now - p.rawMs;
    return this.db.transaction(() => {
      this.samples.settle(rawCut); // what is rolled up or deleted below is all in sample_rows
      let deletedSamples = 0;
      for (const r of this.q('SELECT v FROM sample_rows WHERE ts < ?').iterate(cut) as Iterable<{ v: Buffer }>) deletedSamples += entryCount(r.v);
      this.q('DELETE FROM sample_rows WHERE ts < ?').run(cut);
      deletedSamples += this.q('DELETE FROM job_samples WHERE ts < ?').run(cut).changes;
      // roll-up: rows in [cut, rawCut) become one row per (machine, bucket) holding each metric's mean; a bucket
      // already rolled up (its single row sits on the bucket start) comes out the same
      const sums = new Map<string, Map<number, Map<number, [number, number]>>>(); // machine → bucket → id → [sum, n]
      let before = 0;
      for (const r of this.q('SELECT machine, ts, v FROM sample_rows WHERE ts >= ? AND ts < ?').iterate(cut, rawCut) as Iterable<{ machine: string; ts: number; v: Buffer }>) {
        const b = r.ts - (r.ts % p.bucketMs);
        const byB = sums.get(r.machine) ?? sums.set(r.machine, new Map()).get(r.machine)!;
        const byId = byB.get(b) ?? byB.set(b, new Map()).get(b)!;
        before += entryCount(r.v);
        eachEntry(r.v, (id, v) => { const a = byId.get(id); if (a) { a[0] += v; a[1]++; } else byId.set(id, [v, 1]); });
      }
      this.q('DELETE FROM sample_rows WHERE ts >= ? AND ts < ?').run(cut, rawCut);
      let after = 0;
      const put = this.q('INSERT OR REPLACE INTO sample_rows VALUES (?, ?, ?)');
      for (const [machine, byB] of sums) {
        for (const [b, byId] of byB) {
          put.run(machine, b, packRow([...byId.keys()], [...byId.values()].map(([sum, n]) => sum / n)));
          after += byId.size;
        }
      }
      this.scoreRows.settle(cut);
      const deletedScores = this.q('DELETE FROM scores WHERE ts < ?').run(cut).changes;
      // roll-up buckets wholly before the cut go with their rows (the roll-ups keep the exact means of what was raw)
      for (const l of ROLLUP_LEVELS) {
        this.q('DELETE FROM sample_rollups WHERE level = ? AND bucket < ?').run(l, cut - l + 1);
        this.q('DELETE FROM score_rollups WHERE level = ? AND bucket < ?').run(l, cut - l + 1);
      }
      const deletedEvents = this.q('DELETE FROM events WHERE ts < ?').run(cut).changes;
      const old = this.q("SELECT id FROM incidents WHERE state = 'resolved' AND resolved_at < ?").all(cut) as { id: string }[];
      for (const o of old) {
        this.q('DELETE FROM outbox WHERE incident_id = ?').run(o.id);
        this.q('DELETE FROM evidence WHERE incident_id = ?').run(o.id);
      }
      const deletedIncidents = this.q("DELETE FROM incidents WHERE state = 'resolved' AND resolved_at < ?").run(cut).changes;
      const deletedJobGraphs = this.q('DELETE FROM job_graphs WHERE ts < ?').run(cut).changes;
      if (deletedJobGraphs) this.q('DELETE FROM job_topologies WHERE hash NOT IN (SELECT DISTINCT topology FROM job_graphs)').run();
      this.q('UPDATE machines SET first_seen = MAX(first_seen, ?)').run(cut);
      return { deletedSamples, rolledUpSamples: before - after, deletedScores, deletedEvents, deletedIncidents, deletedJobGraphs };
    })();
  }

  async status(): Promise<StoreStatus> {
    const one = <T>(sql: string): T => this.q(sql).get() as T;
    const s = { n: Math.floor(this.samples.sum('length(v)') / 10) };
    const span = one<{ a: number | null; b: number | null; m: number }>('SELECT MIN(first_seen) AS a, MAX(last_seen) AS b, COUNT(*) AS m FROM machines');
    const inc = one<{ total: number; open: number | null }>("SELECT COUNT(*) AS total, SUM(state != 'resolved') AS open FROM incidents");
    let bytes: number | null = null;
    if (this.location !== ':memory:') {
      bytes = 0;
      for (const f of [this.location, `${this.location}-wal`]) { try { bytes += statSync(f).size; } catch { /* no WAL yet */ } }
    }
    return {
      location: this.location, engine: 'sqlite', schemaVersion: this.schemaVersion, samples: s.n ?? 0, machines: span.m, metrics: await this.metrics(),
      from: span.a, to: span.b, models: one<{ n: number }>('SELECT COUNT(*) AS n FROM models').n, incidents: { open: inc.open ?? 0, total: inc.total },
      events: one<{ n: number }>('SELECT COUNT(*) AS n FROM events').n, bytes,
    };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
