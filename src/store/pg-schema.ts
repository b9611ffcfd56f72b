// The PostgreSQL store's schema: the same numbered migrations as the SQLite store's (src/store/schema.ts) — same
// version numbers, same tables and meaning — written in PostgreSQL's SQL (BIGINT times, DOUBLE PRECISION values,
// JSONB details, BYTEA packed rows, identity columns). Applied in order, each in its own transaction, recorded in
// schema_version; a migration is SQL, or a function for what SQL cannot do (packing rows, 4).
import type { PoolClient } from 'pg';
import { eachEntry, packRow } from './rows.js';
import { ROLLUP_LEVELS } from './common.js';
import { RollupCells } from './pg-rollups.js';
import { PERSIST_POINTS, inUnits, keptUnits } from '../core/units.js';

export type PgMigration = string | ((c: PoolClient) => Promise<void>);

/** 4: one row per (machine, timestamp) — the samples of one scrape packed together (src/store/rows.ts). */
async function packSamples(c: PoolClient): Promise<void> {
  await c.query(`CREATE TABLE metric_ids (metric TEXT PRIMARY KEY, id INTEGER NOT NULL UNIQUE);
    INSERT INTO metric_ids SELECT metric, (ROW_NUMBER() OVER (ORDER BY metric) - 1)::int FROM (SELECT metric FROM metric_names UNION SELECT DISTINCT metric FROM samples) m;
    DROP TABLE metric_names;
    CREATE TABLE sample_rows (machine TEXT NOT NULL, ts BIGINT NOT NULL, v BYTEA NOT NULL, PRIMARY KEY (machine, ts));`);
  const ids = (await c.query<{ metric: string; id: number }>('SELECT metric, id FROM metric_ids')).rows;
  const id = new Map(ids.map((r) => [r.metric, r.id]));
  // ids past the ones the existing names took: concurrent writers register new names through this sequence
  await c.query(`CREATE SEQUENCE metric_id_seq MINVALUE 0 START ${ids.length}`);
  const machines = (await c.query<{ machine: string }>('SELECT DISTINCT machine FROM samples')).rows;
  for (const { machine } of machines) {
    const rows = (await c.query<{ ts: string; metric: string; value: number }>('SELECT ts, metric, value FROM samples WHERE machine = $1 ORDER BY ts', [machine])).rows;
    const out: { ts: number; v: Buffer }[] = [];
    let cur = null as { ts: number; ids: number[]; values: number[] } | null;
    const flush = (): void => { if (cur) out.push({ ts: cur.ts, v: packRow(cur.ids, cur.values) }); };
    for (const r of rows) {
      const ts = Number(r.ts);
      if (cur?.ts !== ts) {
        flush();
        cur = { ts, ids: [], values: [] };
      }
      cur.ids.push(id.get(r.metric)!);
      cur.values.push(r.value);
    }
    flush();
    await c.query('INSERT INTO sample_rows SELECT $1, * FROM unnest($2::bigint[], $3::bytea[])', [machine, out.map((o) => o.ts), out.map((o) => o.v)]);
  }
  await c.query('DROP TABLE samples; CREATE INDEX sample_rows_ts ON sample_rows (ts);');
}

/** 5: roll-ups (see schema.ts). The tables as in SQLite; the PostgreSQL engine keeps the sample roll-ups up to date
 *  as it writes (pg-rollups.ts: several workers write at once, so there is no global "built until" to move), so every
 *  level is built to the end: done_until is the largest time. Existing rows are rolled up here, machine by machine. */
async function rollups(c: PoolClient): Promise<void> {
  await c.query(`CREATE TABLE sample_rollups (level INTEGER NOT NULL, machine TEXT NOT NULL, bucket BIGINT NOT NULL, v BYTEA NOT NULL,
      PRIMARY KEY (level, machine, bucket));
    CREATE INDEX sample_rollups_bucket ON sample_rollups (level, bucket);
    CREATE TABLE score_rollups (level INTEGER NOT NULL, machine TEXT NOT NULL, bucket BIGINT NOT NULL, max DOUBLE PRECISION NOT NULL,
      PRIMARY KEY (level, machine, bucket));
    CREATE TABLE rollup_state (level INTEGER PRIMARY KEY, done_until BIGINT NOT NULL);
    INSERT INTO rollup_state SELECT l, 9007199254740991 FROM unnest(ARRAY[${ROLLUP_LEVELS.join(',')}]) l;
    INSERT INTO score_rollups SELECT 60000, machine, ts - (((ts % 60000) + 60000) % 60000) AS b, MAX(score) FROM scores GROUP BY machine, b;
    INSERT INTO score_rollups SELECT 300000, machine, bucket - (((bucket % 300000) + 300000) % 300000) AS b, MAX(max) FROM score_rollups WHERE level = 60000 GROUP BY machine, b;
    INSERT INTO score_rollups SELECT 1800000, machine, bucket - (((bucket % 1800000) + 1800000) % 1800000) AS b, MAX(max) FROM score_rollups WHERE level = 300000 GROUP BY machine, b;
    INSERT INTO score_rollups SELECT 7200000, machine, bucket - (((bucket % 7200000) + 7200000) % 7200000) AS b, MAX(max) FROM score_rollups WHERE level = 1800000 GROUP BY machine, b;`);
  const M = Number((await c.query<{ n: string | null }>('SELECT MAX(id) + 1 AS n FROM metric_ids')).rows[0].n ?? 1);
  for (const { machine } of (await c.query<{ machine: string }>('SELECT machine FROM machines')).rows) {
    const cells = new RollupCells(M);
    for (const r of (await c.query<{ ts: string; v: Buffer }>('SELECT ts, v FROM sample_rows WHERE machine = $1', [machine])).rows) {
      const ts = Number(r.ts);
      eachEntry(r.v, (id, v) => cells.add(machine, ts, id, v));
    }
    const rows = cells.rows();
    if (rows.length) await c.query('INSERT INTO sample_rollups SELECT * FROM unnest($1::int[], $2::text[], $3::bigint[], $4::bytea[])', [rows.map((x) => x.level), rows.map((x) => x.machine), rows.map((x) => x.bucket), rows.map((x) => x.v)]);
  }
}

/** 9: scores on the alarm scale (see schema.ts): the columns, and the units of scores already stored where their
 *  model's report kept the machine's unit (in SQL, one UPDATE per model and machine), then their roll-ups' maxima. */
async function alarmScale(c: PoolClient): Promise<void> {
  await c.query(`ALTER TABLE scores ADD COLUMN units DOUBLE PRECISION;
    ALTER TABLE score_rollups ADD COLUMN umax DOUBLE PRECISION;`);
  const machines = new Set<string>();
  for (const { id, report } of (await c.query<{ id: string; report: Record<string, unknown> }>('SELECT id, report FROM models')).rows) {
    for (const [machine, u] of keptUnits(report)) {
      const rows = (await c.query<{ ts: string; score: number }>('SELECT ts, score FROM scores WHERE machine = $1 AND model_id = $2', [machine, id])).rows;
      if (!rows.length) continue;
      await c.query('UPDATE scores s SET units = x.u FROM unnest($2::bigint[], $3::float8[]) x(t, u) WHERE s.machine = $1 AND s.ts = x.t',
        [machine, rows.map((r) => r.ts), rows.map((r) => inUnits(r.score, u))]);
      machines.add(machine);
    }
  }
  if (machines.size) {
    await c.query(`UPDATE score_rollups r SET umax = (SELECT MAX(units) FROM scores s WHERE s.machine = r.machine AND s.ts >= r.bucket AND s.ts < r.bucket + r.level)
      WHERE r.machine = ANY($1::text[])`, [[...machines]]);
  }
}

/** 10: a score's units are the level its machine held on the alarm scale (see schema.ts): units stored one per point
 *  are replaced by the lowest of the point's and the PERSIST_POINTS − 1 before it, then the roll-ups' maxima follow. */
async function heldScale(c: PoolClient): Promise<void> {
  const n = (await c.query(`UPDATE scores s SET units = x.h FROM (
      SELECT machine, ts, MIN(units) OVER (PARTITION BY machine ORDER BY ts ROWS BETWEEN ${PERSIST_POINTS - 1} PRECEDING AND CURRENT ROW) AS h
      FROM scores WHERE units IS NOT NULL) x
    WHERE s.machine = x.machine AND s.ts = x.ts AND s.units <> x.h`)).rowCount ?? 0;
  if (n > 0) {
    await c.query(`UPDATE score_rollups r SET umax = (SELECT MAX(units) FROM scores s WHERE s.machine = r.machine AND s.ts >= r.bucket AND s.ts < r.bucket + r.level)
      WHERE r.umax IS NOT NULL`);
  }
}

export const PG_MIGRATIONS: PgMigration[] = [
  `CREATE TABLE samples (machine TEXT NOT NULL, metric TEXT NOT NULL, ts BIGINT NOT NULL, value DOUBLE PRECISION NOT NULL,
     PRIMARY KEY (machine, metric, ts));
   CREATE INDEX samples_ts ON samples (ts);
   CREATE TABLE placements (machine TEXT NOT NULL, job TEXT NOT NULL, last_seen BIGINT NOT NULL, PRIMARY KEY (machine, job));
   CREATE TABLE models (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, kind TEXT NOT NULL, path TEXT NOT NULL,
     threshold DOUBLE PRECISION NOT NULL, created_at BIGINT NOT NULL, report TEXT);
   CREATE TABLE scores (machine TEXT NOT NULL, ts BIGINT NOT NULL, score DOUBLE PRECISION NOT NULL, model_id BIGINT,
     PRIMARY KEY (machine, ts));
   CREATE TABLE incidents (id TEXT PRIMARY KEY, machine TEXT NOT NULL, type TEXT NOT NULL, state TEXT NOT NULL,
     onset BIGINT NOT NULL, last_seen BIGINT NOT NULL, resolved_at BIGINT, peak DOUBLE PRECISION, detail TEXT);
   CREATE TABLE scorer_state (machine TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at BIGINT NOT NULL);`,
  // 2: per-job / per-operator samples
  `CREATE TABLE job_samples (machine TEXT NOT NULL, job TEXT NOT NULL, operator TEXT NOT NULL, metric TEXT NOT NULL, ts BIGINT NOT NULL,
     value DOUBLE PRECISION NOT NULL, PRIMARY KEY (machine, job, operator, metric, ts));
   CREATE INDEX job_samples_ts ON job_samples (ts);`,
  // 3: the application core (see schema.ts)
  `CREATE TABLE machines (machine TEXT PRIMARY KEY, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL);
   INSERT INTO machines SELECT machine, MIN(ts), MAX(ts) FROM samples GROUP BY machine;
   INSERT INTO machines SELECT machine, MIN(ts), MAX(ts) FROM job_samples GROUP BY machine ON CONFLICT DO NOTHING;
   CREATE TABLE metric_names (metric TEXT PRIMARY KEY);
   INSERT INTO metric_names SELECT DISTINCT metric FROM samples;
   CREATE TABLE events (id TEXT PRIMARY KEY, ts BIGINT NOT NULL, kind TEXT NOT NULL, job TEXT, machines JSONB NOT NULL,
     detail TEXT NOT NULL, attrs JSONB);
   CREATE INDEX events_ts ON events (ts);
   ALTER TABLE models ADD COLUMN report_v3 JSONB;
   UPDATE models SET report_v3 = COALESCE(report::jsonb, '{}'::jsonb) || jsonb_build_object('legacyThreshold', threshold);
   ALTER TABLE models DROP COLUMN report, DROP COLUMN threshold;
   ALTER TABLE models RENAME COLUMN report_v3 TO report;
   ALTER TABLE models ALTER COLUMN report SET NOT NULL;
   CREATE TABLE incidents_v3 (id TEXT PRIMARY KEY, machine TEXT NOT NULL, type TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('open', 'resolved')), onset BIGINT NOT NULL, last_seen BIGINT NOT NULL,
     resolved_at BIGINT, peak DOUBLE PRECISION NOT NULL, segments INTEGER NOT NULL, paged BOOLEAN NOT NULL, detail JSONB NOT NULL,
     ack_at BIGINT, ack_by TEXT, label TEXT, label_at BIGINT, label_by TEXT, label_note TEXT);
   INSERT INTO incidents_v3 SELECT id, machine, type, CASE state WHEN 'resolved' THEN 'resolved' ELSE 'open' END, onset, last_seen,
     resolved_at, COALESCE(peak, 0), COALESCE((detail::jsonb ->> 'segments')::int, 1), TRUE,
     jsonb_build_object('explanation', COALESCE(detail::jsonb -> 'explanation', '[]'::jsonb), 'movers', COALESCE(detail::jsonb -> 'movers', '[]'::jsonb),
       'cause', COALESCE(detail::jsonb -> 'cause', 'null'::jsonb), 'jobs', '[]'::jsonb, 'events', '[]'::jsonb),
     CASE state WHEN 'acknowledged' THEN last_seen END, CASE state WHEN 'acknowledged' THEN 'unknown' END, NULL, NULL, NULL, NULL
     FROM incidents;
   DROP TABLE incidents;
   ALTER TABLE incidents_v3 RENAME TO incidents;
   ALTER INDEX incidents_v3_pkey RENAME TO incidents_pkey;
   CREATE INDEX incidents_onset ON incidents (onset, id);
   CREATE INDEX incidents_machine ON incidents (machine, onset);
   CREATE INDEX incidents_active ON incidents (state) WHERE state <> 'resolved';
   CREATE TABLE outbox (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, key TEXT NOT NULL UNIQUE, incident_id TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('open', 'resolved')), created_at BIGINT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
     next_at BIGINT NOT NULL, delivered_at BIGINT, last_error TEXT);
   CREATE INDEX outbox_due ON outbox (next_at) WHERE delivered_at IS NULL;
   CREATE TABLE machine_status (machine TEXT PRIMARY KEY, last_ts BIGINT NOT NULL, last_score DOUBLE PRECISION NOT NULL,
     risk DOUBLE PRECISION NOT NULL, open_incidents INTEGER NOT NULL);
   CREATE INDEX machine_status_risk ON machine_status (risk DESC);
   CREATE TABLE watch_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE INDEX scores_ts ON scores (ts);`,
  packSamples,
  rollups,
  // 6: the operator's toolbox (see schema.ts) — outbox rows per sink (the existing rows are the webhook's, ids and
  // delivery state kept), job graphs per poll with their topologies stored once, an incident's evidence
  `ALTER TABLE outbox ADD COLUMN sink TEXT NOT NULL DEFAULT 'webhook';
   ALTER TABLE outbox ALTER COLUMN sink DROP DEFAULT;
   ALTER TABLE outbox DROP CONSTRAINT outbox_key_key;
   ALTER TABLE outbox ADD CONSTRAINT outbox_sink_key UNIQUE (sink, key);
   CREATE TABLE job_topologies (hash TEXT PRIMARY KEY, graph JSONB NOT NULL);
   CREATE TABLE job_graphs (job_id TEXT NOT NULL, ts BIGINT NOT NULL, job TEXT NOT NULL, state TEXT NOT NULL, topology TEXT NOT NULL,
     activity BYTEA NOT NULL, PRIMARY KEY (job_id, ts));
   CREATE INDEX job_graphs_ts ON job_graphs (ts);
   CREATE TABLE evidence (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, incident_id TEXT NOT NULL, kind TEXT NOT NULL,
     target JSONB NOT NULL, requested_at BIGINT NOT NULL, captured_at BIGINT NOT NULL, latency_ms BIGINT, bytes BIGINT NOT NULL,
     truncated BOOLEAN NOT NULL, error TEXT, body TEXT, UNIQUE (incident_id, kind));`,
  // 7: SQLite's time-ordered recent tables (schema.ts). PostgreSQL keeps its layout — heap rows are appended in
  // arrival order already; what scatters there is the (machine, ts) index — so this version only keeps the two
  // engines' numbers in step.
  `SELECT 1;`,
  // 8: 'update' alerts (see schema.ts)
  `ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
   ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('open', 'resolved', 'update'));`,
  alarmScale,
  heldScale,
];
