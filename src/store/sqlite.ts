// The embedded store (SQLite through better-sqlite3; nothing to install): samples, job placement, model versions,
// scores, incidents and scorer state. WAL journal; every batch is one transaction, so a crash mid-write loses at most
// the batch being written; duplicate samples (same machine, metric, timestamp) are ignored, so re-delivered data
// never doubles. Retention deletes old samples; downsampling averages them into coarser buckets.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Series } from '../core/series.js';
import type { Sample } from '../core/sample.js';
import { MIGRATIONS } from './schema.js';
import type { Incident } from '../core/incident.js';

export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface StoreStatus {
  path: string;
  schemaVersion: number;
  samples: number;
  machines: number;
  metrics: string[];
  from: number | null;
  to: number | null;
  models: number;
  incidents: { open: number; total: number };
}

export class Store {
  readonly db: Database.Database;

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    try {
      this.db = new Database(path);
    } catch (e) {
      throw new StoreError(`cannot open the store at ${path}: ${(e as Error).message}`);
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.migrate();
  }

  get schemaVersion(): number {
    return (this.db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    const have = this.schemaVersion;
    if (have > MIGRATIONS.length) throw new StoreError(`store ${this.path} has schema version ${have}; this flinkscope knows up to ${MIGRATIONS.length} (upgrade flinkscope)`);
    for (let v = have + 1; v <= MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v - 1]);
        this.db.prepare('INSERT INTO schema_version VALUES (?, ?)').run(v, Date.now());
      })();
    }
  }

  /** Inserts a batch in one transaction; returns how many samples were new. */
  insertSamples(samples: Sample[]): number {
    const ins = this.db.prepare('INSERT OR IGNORE INTO samples (machine, metric, ts, value) VALUES (?, ?, ?, ?)');
    const insJob = this.db.prepare('INSERT OR IGNORE INTO job_samples (machine, job, operator, metric, ts, value) VALUES (?, ?, ?, ?, ?, ?)');
    return this.db.transaction((rows: Sample[]) => {
      let n = 0;
      for (const s of rows) {
        if (!Number.isFinite(s.value) || !Number.isFinite(s.ts)) continue;
        if (s.job !== undefined) n += insJob.run(s.machine, s.job, s.operator ?? '', s.metric, Math.round(s.ts), s.value).changes;
        else n += ins.run(s.machine, s.metric, Math.round(s.ts), s.value).changes;
      }
      return n;
    })(samples);
  }

  /** Per-job samples of one machine in [from, to], oldest first. */
  jobSamples(machine: string, from: number, to: number): { job: string; operator: string; metric: string; ts: number; value: number }[] {
    return this.db.prepare('SELECT job, operator, metric, ts, value FROM job_samples WHERE machine = ? AND ts >= ? AND ts <= ? ORDER BY ts')
      .all(machine, Math.max(from, -Number.MAX_SAFE_INTEGER), Math.min(to, Number.MAX_SAFE_INTEGER)) as { job: string; operator: string; metric: string; ts: number; value: number }[];
  }

  recordPlacement(jobsOn: Record<string, string[]>, ts: number): void {
    const up = this.db.prepare('INSERT INTO placements VALUES (?, ?, ?) ON CONFLICT (machine, job) DO UPDATE SET last_seen = excluded.last_seen');
    this.db.transaction(() => {
      for (const [m, jobs] of Object.entries(jobsOn)) for (const j of jobs) up.run(m, j, ts);
    })();
  }

  jobsOn(machine: string): string[] {
    return (this.db.prepare('SELECT job FROM placements WHERE machine = ? ORDER BY job').all(machine) as { job: string }[]).map((r) => r.job);
  }

  machines(): string[] {
    return (this.db.prepare('SELECT DISTINCT machine FROM samples ORDER BY machine').all() as { machine: string }[]).map((r) => r.machine);
  }

  metrics(): string[] {
    return (this.db.prepare('SELECT DISTINCT metric FROM samples ORDER BY metric').all() as { metric: string }[]).map((r) => r.metric);
  }

  /** One machine's samples in [from, to] as a Series over the union of timestamps (missing values NaN). */
  series(machine: string, metrics: string[], from = -Infinity, to = Infinity): Series {
    const rows = this.db
      .prepare('SELECT metric, ts, value FROM samples WHERE machine = ? AND ts >= ? AND ts <= ? ORDER BY ts')
      .all(machine, Number.isFinite(from) ? from : -Number.MAX_SAFE_INTEGER, Number.isFinite(to) ? to : Number.MAX_SAFE_INTEGER) as { metric: string; ts: number; value: number }[];
    const times = [...new Set(rows.map((r) => r.ts))].sort((a, b) => a - b);
    const at = new Map(times.map((t, i) => [t, i]));
    const col = new Map(metrics.map((m, j) => [m, j]));
    const values = new Float64Array(times.length * metrics.length).fill(NaN); // float64: stored values come back exact
    for (const r of rows) {
      const j = col.get(r.metric);
      if (j !== undefined) values[at.get(r.ts)! * metrics.length + j] = r.value;
    }
    return { name: machine, timestamps: Float64Array.from(times), channels: [...metrics], values, meta: { source: this.path, jobs: this.jobsOn(machine) } };
  }

  /** Deletes samples older than `beforeMs`; returns how many. */
  retain(beforeMs: number): number {
    return this.db.transaction(() => this.db.prepare('DELETE FROM samples WHERE ts < ?').run(beforeMs).changes + this.db.prepare('DELETE FROM job_samples WHERE ts < ?').run(beforeMs).changes)();
  }

  /** Replaces samples older than `beforeMs` by their means over buckets of `bucketMs`; returns rows removed. */
  downsample(beforeMs: number, bucketMs: number): number {
    return this.db.transaction(() => {
      const before = (this.db.prepare('SELECT COUNT(*) AS n FROM samples WHERE ts < ?').get(beforeMs) as { n: number }).n;
      this.db.exec('CREATE TEMP TABLE IF NOT EXISTS ds (machine TEXT, metric TEXT, ts INTEGER, value REAL)');
      this.db.exec('DELETE FROM ds');
      this.db.prepare('INSERT INTO ds SELECT machine, metric, ts - (ts % ?) AS b, AVG(value) FROM samples WHERE ts < ? GROUP BY machine, metric, b').run(Math.round(bucketMs), beforeMs);
      this.db.prepare('DELETE FROM samples WHERE ts < ?').run(beforeMs);
      this.db.exec('INSERT OR REPLACE INTO samples SELECT machine, metric, ts, value FROM ds');
      const after = (this.db.prepare('SELECT COUNT(*) AS n FROM samples WHERE ts < ?').get(beforeMs) as { n: number }).n;
      return before - after;
    })();
  }

  addModel(kind: string, path: string, threshold: number, report: object, createdAt = Date.now()): number {
    return Number(this.db.prepare('INSERT INTO models (kind, path, threshold, created_at, report) VALUES (?, ?, ?, ?, ?)').run(kind, path, threshold, createdAt, JSON.stringify(report)).lastInsertRowid);
  }

  latestModel(): { id: number; kind: string; path: string; threshold: number; createdAt: number } | null {
    return (this.db.prepare('SELECT id, kind, path, threshold, created_at AS createdAt FROM models ORDER BY id DESC LIMIT 1').get() as { id: number; kind: string; path: string; threshold: number; createdAt: number } | undefined) ?? null;
  }

  /** Adds fields to a model version's report (e.g. the latest drift check). */
  updateModelReport(id: number, patch: Record<string, unknown>): void {
    this.db.prepare('UPDATE models SET report = ? WHERE id = ?').run(JSON.stringify({ ...this.modelReport(id), ...patch }), id);
  }

  /** Newest sample timestamp in the store (-Infinity when empty). */
  newestSample(): number {
    const r = this.db.prepare('SELECT MAX(ts) AS t FROM samples').get() as { t: number | null };
    return r.t ?? -Infinity;
  }

  /** The training report recorded with a model version (training curve, parameters). */
  modelReport(id: number): Record<string, unknown> {
    const r = this.db.prepare('SELECT report FROM models WHERE id = ?').get(id) as { report: string | null } | undefined;
    return r?.report ? (JSON.parse(r.report) as Record<string, unknown>) : {};
  }

  saveScores(machine: string, points: { t: number; score: number }[], modelId: number | null): void {
    const ins = this.db.prepare('INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const p of points) ins.run(machine, p.t, Number.isFinite(p.score) ? p.score : 1e30, modelId);
    })();
  }

  saveScorerState(machine: string, state: unknown): void {
    this.db.prepare('INSERT OR REPLACE INTO scorer_state VALUES (?, ?, ?)').run(machine, JSON.stringify(state), Date.now());
  }

  scorerState<T>(machine: string): T | null {
    const r = this.db.prepare('SELECT state FROM scorer_state WHERE machine = ?').get(machine) as { state: string } | undefined;
    return r ? (JSON.parse(r.state) as T) : null;
  }

  /** Stores an incident with its explanation (metric shares) and, when known, the jobs that moved most. */
  /** Stores an incident with its explanation (metric shares) and, when known, the jobs that moved most and the likely
   *  cause of back-pressure; what is not given keeps its stored value. */
  upsertIncident(i: Incident, explanation: unknown, movers?: unknown, cause?: unknown): void {
    const prev = this.incidentDetail(i.id);
    this.db.prepare('INSERT OR REPLACE INTO incidents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      i.id, i.machine, i.type, i.state, i.onset, i.lastSeen, i.resolvedAt ?? null, i.peak,
      JSON.stringify({ segments: i.segments, explanation, movers: movers ?? prev.movers ?? [], cause: cause ?? prev.cause ?? null }));
  }

  private incidentDetail(id: string): { movers?: unknown; cause?: unknown } {
    const r = this.db.prepare('SELECT detail FROM incidents WHERE id = ?').get(id) as { detail: string } | undefined;
    return r ? (JSON.parse(r.detail ?? '{}') as { movers?: unknown; cause?: unknown }) : {};
  }

  incidents(): (Incident & { explanation: unknown; movers: unknown; cause: unknown })[] {
    const rows = this.db.prepare('SELECT * FROM incidents ORDER BY onset').all() as { id: string; machine: string; type: string; state: string; onset: number; last_seen: number; resolved_at: number | null; peak: number; detail: string }[];
    return rows.map((r) => {
      const d = JSON.parse(r.detail ?? '{}') as { segments?: number; explanation?: unknown; movers?: unknown; cause?: unknown };
      return {
        id: r.id, machine: r.machine, type: r.type as Incident['type'], state: r.state as Incident['state'], onset: r.onset, lastSeen: r.last_seen,
        ...(r.resolved_at !== null ? { resolvedAt: r.resolved_at } : {}), peak: r.peak, segments: d.segments ?? 1, explanation: d.explanation ?? [], movers: d.movers ?? [], cause: d.cause ?? null,
      };
    });
  }

  scores(machine: string, from: number, to: number): { t: number[]; score: number[] } {
    const rows = this.db.prepare('SELECT ts, score FROM scores WHERE machine = ? AND ts >= ? AND ts <= ? ORDER BY ts').all(machine, from, to) as { ts: number; score: number }[];
    return { t: rows.map((r) => r.ts), score: rows.map((r) => r.score) };
  }

  scoredMachines(): string[] {
    return (this.db.prepare('SELECT DISTINCT machine FROM scores ORDER BY machine').all() as { machine: string }[]).map((r) => r.machine);
  }

  status(): StoreStatus {
    const one = <T>(sql: string): T => this.db.prepare(sql).get() as T;
    const s = one<{ n: number; a: number | null; b: number | null; m: number }>('SELECT COUNT(*) AS n, MIN(ts) AS a, MAX(ts) AS b, COUNT(DISTINCT machine) AS m FROM samples');
    const inc = one<{ total: number; open: number | null }>("SELECT COUNT(*) AS total, SUM(state != 'resolved') AS open FROM incidents");
    return {
      path: this.path, schemaVersion: this.schemaVersion, samples: s.n, machines: s.m, metrics: this.metrics(), from: s.a, to: s.b,
      models: one<{ n: number }>('SELECT COUNT(*) AS n FROM models').n, incidents: { open: inc.open ?? 0, total: inc.total },
    };
  }

  close(): void {
    this.db.close();
  }
}
