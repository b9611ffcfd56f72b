// The SQLite store's schema, as numbered migrations applied in order and recorded in schema_version. A store made by
// any earlier version is upgraded in place (test/unit/store/migrations.test.ts starts from each one). A migration is
// SQL, or a function for what SQL cannot do (packing rows).
import type Database from 'better-sqlite3';
import { packRow } from './rows.js';
import { PERSIST_POINTS, inUnits, keptUnits } from '../core/units.js';

export type Migration = string | ((db: Database.Database) => void);

/** 4: one row per (machine, timestamp) — the samples of one scrape packed together (src/store/rows.ts). */
function packSamples(db: Database.Database): void {
  db.exec(`CREATE TABLE metric_ids (metric TEXT PRIMARY KEY, id INTEGER NOT NULL UNIQUE) WITHOUT ROWID;
    INSERT INTO metric_ids SELECT metric, ROW_NUMBER() OVER (ORDER BY metric) - 1 FROM (SELECT metric FROM metric_names UNION SELECT DISTINCT metric FROM samples);
    DROP TABLE metric_names;
    CREATE TABLE sample_rows (machine TEXT NOT NULL, ts INTEGER NOT NULL, v BLOB NOT NULL, PRIMARY KEY (machine, ts)) WITHOUT ROWID;`);
  const id = new Map((db.prepare('SELECT metric, id FROM metric_ids').all() as { metric: string; id: number }[]).map((r) => [r.metric, r.id]));
  const ins = db.prepare('INSERT INTO sample_rows VALUES (?, ?, ?)');
  const rowsOf = db.prepare('SELECT ts, metric, value FROM samples WHERE machine = ? ORDER BY ts');
  // machine by machine: a connection cannot write while one of its statements is still iterating
  for (const { machine } of db.prepare('SELECT DISTINCT machine FROM samples').all() as { machine: string }[]) {
    let cur = null as { ts: number; ids: number[]; values: number[] } | null;
    for (const r of rowsOf.all(machine) as { ts: number; metric: string; value: number }[]) {
      if (cur?.ts !== r.ts) {
        if (cur) ins.run(machine, cur.ts, packRow(cur.ids, cur.values));
        cur = { ts: r.ts, ids: [], values: [] };
      }
      cur.ids.push(id.get(r.metric)!);
      cur.values.push(r.value);
    }
    if (cur) ins.run(machine, cur.ts, packRow(cur.ids, cur.values));
  }
  db.exec('DROP TABLE samples; CREATE INDEX sample_rows_ts ON sample_rows (ts);');
}

/** 9: scores on the alarm scale (src/core/units.ts) — each point's score in units of the levels the model that scored
 *  it held on the machine, and the roll-ups' max of them, so the cluster heat map compares machines and retrainings on
 *  one scale. Scores already stored get theirs where their model's report kept the machine's unit (the watcher has
 *  kept one per model and machine since units began); the rest stay NULL (those buckets read max score / threshold). */
function alarmScale(db: Database.Database): void {
  db.exec(`ALTER TABLE scores ADD COLUMN units REAL;
    ALTER TABLE score_recent ADD COLUMN units REAL;
    ALTER TABLE score_rollups ADD COLUMN umax REAL;`);
  const machines = new Set<string>();
  const tables = ['scores', 'score_recent'].map((t) => ({
    rows: db.prepare(`SELECT ts, score FROM ${t} WHERE machine = ? AND model_id = ?`),
    set: db.prepare(`UPDATE ${t} SET units = ? WHERE machine = ? AND ts = ?`),
  }));
  for (const { id, report } of db.prepare('SELECT id, report FROM models').all() as { id: number; report: string }[]) {
    for (const [machine, u] of keptUnits(report)) {
      for (const { rows, set } of tables) {
        for (const r of rows.all(machine, id) as { ts: number; score: number }[]) set.run(inUnits(r.score, u), machine, r.ts);
      }
      machines.add(machine);
    }
  }
  if (machines.size) rebuildUmax(db);
}

/** Every roll-up's max on the alarm scale again from the scores' units: one pass over the roll-ups (the table is keyed
 *  by level and bucket: a pass per machine would read it once each); recent rows by a point lookup per recent
 *  timestamp, as the store reads them (src/store/recent.ts). */
function rebuildUmax(db: Database.Database): void {
  db.exec(`UPDATE score_rollups SET umax = (SELECT MAX(u) FROM (
      SELECT units AS u FROM scores WHERE machine = score_rollups.machine AND ts >= bucket AND ts < bucket + level
      UNION ALL SELECT r.units FROM score_recent_ts t CROSS JOIN score_recent r ON r.ts = t.ts AND r.machine = score_rollups.machine
        WHERE t.ts >= bucket AND t.ts < bucket + level))`);
}

/** 10: a score's units are the level its machine held on the alarm scale — the lowest units of the point and the
 *  PERSIST_POINTS − 1 points with units before it, what the persistence rule reads — so a heat-map cell is hot where
 *  the machine stayed at a level, not where one sample touched it (the watcher writes them so since). Units already
 *  stored, one per point, are replaced by the level held there (a row lives in one of the two tables: they are read
 *  as one series), then the roll-ups' maxima follow. */
function heldScale(db: Database.Database): void {
  db.exec(`CREATE TEMP TABLE held (machine TEXT NOT NULL, ts INTEGER NOT NULL, h REAL NOT NULL, PRIMARY KEY (machine, ts)) WITHOUT ROWID;
    INSERT INTO held SELECT machine, ts, MIN(units) OVER (PARTITION BY machine ORDER BY ts ROWS BETWEEN ${PERSIST_POINTS - 1} PRECEDING AND CURRENT ROW)
      FROM (SELECT machine, ts, units FROM scores WHERE units IS NOT NULL UNION ALL SELECT machine, ts, units FROM score_recent WHERE units IS NOT NULL);
    UPDATE scores SET units = (SELECT h FROM held WHERE held.machine = scores.machine AND held.ts = scores.ts) WHERE units IS NOT NULL;
    UPDATE score_recent SET units = (SELECT h FROM held WHERE held.machine = score_recent.machine AND held.ts = score_recent.ts) WHERE units IS NOT NULL;`);
  const any = (db.prepare('SELECT COUNT(*) AS n FROM held').get() as { n: number }).n > 0;
  db.exec('DROP TABLE temp.held');
  if (any) rebuildUmax(db);
}

export const MIGRATIONS: Migration[] = [
  `CREATE TABLE samples (machine TEXT NOT NULL, metric TEXT NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL,
     PRIMARY KEY (machine, metric, ts)) WITHOUT ROWID;
   CREATE INDEX samples_ts ON samples (ts);
   CREATE TABLE placements (machine TEXT NOT NULL, job TEXT NOT NULL, last_seen INTEGER NOT NULL, PRIMARY KEY (machine, job));
   CREATE TABLE models (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, path TEXT NOT NULL, threshold REAL NOT NULL,
     created_at INTEGER NOT NULL, report TEXT);
   CREATE TABLE scores (machine TEXT NOT NULL, ts INTEGER NOT NULL, score REAL NOT NULL, model_id INTEGER,
     PRIMARY KEY (machine, ts)) WITHOUT ROWID;
   CREATE TABLE incidents (id TEXT PRIMARY KEY, machine TEXT NOT NULL, type TEXT NOT NULL, state TEXT NOT NULL,
     onset INTEGER NOT NULL, last_seen INTEGER NOT NULL, resolved_at INTEGER, peak REAL, detail TEXT);
   CREATE TABLE scorer_state (machine TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at INTEGER NOT NULL);`,
  // 2: per-job / per-operator samples (for "which jobs on the machine moved most")
  `CREATE TABLE job_samples (machine TEXT NOT NULL, job TEXT NOT NULL, operator TEXT NOT NULL, metric TEXT NOT NULL, ts INTEGER NOT NULL,
     value REAL NOT NULL, PRIMARY KEY (machine, job, operator, metric, ts)) WITHOUT ROWID;
   CREATE INDEX job_samples_ts ON job_samples (ts);`,
  // 3: the application core — machines and metric names kept as rows (no DISTINCT scans), Flink events, the
  // threshold only in the model artifact, incidents with the watcher's and the operator's parts apart, the alert
  // outbox, the cluster view and the watcher's bookkeeping.
  `CREATE TABLE machines (machine TEXT PRIMARY KEY, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL) WITHOUT ROWID;
   INSERT INTO machines SELECT machine, MIN(ts), MAX(ts) FROM samples GROUP BY machine;
   INSERT OR IGNORE INTO machines SELECT machine, MIN(ts), MAX(ts) FROM job_samples GROUP BY machine;
   CREATE TABLE metric_names (metric TEXT PRIMARY KEY) WITHOUT ROWID;
   INSERT INTO metric_names SELECT DISTINCT metric FROM samples;
   CREATE TABLE events (id TEXT PRIMARY KEY, ts INTEGER NOT NULL, kind TEXT NOT NULL, job TEXT, machines TEXT NOT NULL,
     detail TEXT NOT NULL, attrs TEXT);
   CREATE INDEX events_ts ON events (ts);
   CREATE TABLE models_v3 (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, path TEXT NOT NULL, created_at INTEGER NOT NULL,
     report TEXT NOT NULL);
   INSERT INTO models_v3 SELECT id, kind, path, created_at, json_set(COALESCE(report, '{}'), '$.legacyThreshold', threshold) FROM models;
   DROP TABLE models;
   ALTER TABLE models_v3 RENAME TO models;
   CREATE TABLE incidents_v3 (id TEXT PRIMARY KEY, machine TEXT NOT NULL, type TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('open', 'resolved')), onset INTEGER NOT NULL, last_seen INTEGER NOT NULL,
     resolved_at INTEGER, peak REAL NOT NULL, segments INTEGER NOT NULL, paged INTEGER NOT NULL, detail TEXT NOT NULL,
     ack_at INTEGER, ack_by TEXT, label TEXT, label_at INTEGER, label_by TEXT, label_note TEXT);
   INSERT INTO incidents_v3 SELECT id, machine, type, CASE state WHEN 'resolved' THEN 'resolved' ELSE 'open' END, onset, last_seen,
     resolved_at, COALESCE(peak, 0), COALESCE(json_extract(detail, '$.segments'), 1), 1,
     json_object('explanation', json(COALESCE(json_extract(detail, '$.explanation'), '[]')), 'movers', json(COALESCE(json_extract(detail, '$.movers'), '[]')),
       'cause', json_extract(detail, '$.cause'), 'jobs', json('[]'), 'events', json('[]')),
     CASE state WHEN 'acknowledged' THEN last_seen END, CASE state WHEN 'acknowledged' THEN 'unknown' END, NULL, NULL, NULL, NULL
     FROM incidents;
   DROP TABLE incidents;
   ALTER TABLE incidents_v3 RENAME TO incidents;
   CREATE INDEX incidents_onset ON incidents (onset, id);
   CREATE INDEX incidents_machine ON incidents (machine, onset);
   CREATE INDEX incidents_active ON incidents (state) WHERE state != 'resolved';
   CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, incident_id TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('open', 'resolved')), created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
     next_at INTEGER NOT NULL, delivered_at INTEGER, last_error TEXT);
   CREATE INDEX outbox_due ON outbox (next_at) WHERE delivered_at IS NULL;
   CREATE TABLE machine_status (machine TEXT PRIMARY KEY, last_ts INTEGER NOT NULL, last_score REAL NOT NULL, risk REAL NOT NULL,
     open_incidents INTEGER NOT NULL) WITHOUT ROWID;
   CREATE INDEX machine_status_risk ON machine_status (risk DESC);
   CREATE TABLE watch_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
   CREATE INDEX scores_ts ON scores (ts);`,
  packSamples,
  // 5: roll-ups for range queries that stay fast however long the range (src/store/common.ts planBuckets). Samples:
  // count and sum per metric per (machine, 1 min / 5 min / 30 min / 2 h bucket), packed one row per machine and bucket
  // like the sample rows (src/store/rows.ts packSums; exact means), built in bulk from the rows of closed buckets — rollup_state.done_until per level: everything before it is rolled up (a store
  // migrated here is rolled up when it is opened); reads take the rest from the packed rows. Scores: the max per
  // machine per bucket, kept up to date by commitStep. `level` is the bucket width in ms, `bucket` its start,
  // aligned to the epoch (ts - ts mod level, as alignDown).
  `CREATE TABLE sample_rollups (level INTEGER NOT NULL, machine TEXT NOT NULL, bucket INTEGER NOT NULL, v BLOB NOT NULL,
     PRIMARY KEY (level, machine, bucket)) WITHOUT ROWID;
   CREATE INDEX sample_rollups_bucket ON sample_rollups (level, bucket);
   CREATE TABLE score_rollups (level INTEGER NOT NULL, machine TEXT NOT NULL, bucket INTEGER NOT NULL, max REAL NOT NULL,
     PRIMARY KEY (level, machine, bucket)) WITHOUT ROWID;
   CREATE TABLE rollup_state (level INTEGER PRIMARY KEY, done_until INTEGER NOT NULL);
   INSERT INTO rollup_state VALUES (60000, -9007199254740991), (300000, -9007199254740991), (1800000, -9007199254740991), (7200000, -9007199254740991);
   INSERT INTO score_rollups SELECT 60000, machine, ts - (((ts % 60000) + 60000) % 60000) AS b, MAX(score) FROM scores GROUP BY machine, b;
   INSERT INTO score_rollups SELECT 300000, machine, bucket - (((bucket % 300000) + 300000) % 300000) AS b, MAX(max) FROM score_rollups WHERE level = 60000 GROUP BY machine, b;
   INSERT INTO score_rollups SELECT 1800000, machine, bucket - (((bucket % 1800000) + 1800000) % 1800000) AS b, MAX(max) FROM score_rollups WHERE level = 300000 GROUP BY machine, b;
   INSERT INTO score_rollups SELECT 7200000, machine, bucket - (((bucket % 7200000) + 7200000) % 7200000) AS b, MAX(max) FROM score_rollups WHERE level = 1800000 GROUP BY machine, b;`,
  // 6: the operator's toolbox — alerts per sink (the outbox delivers each alert to every configured sink: webhook,
  // Alertmanager), job graphs per poll (topology stored once per change, per-subtask busy / back-pressured shares
  // per poll), and the evidence captured from Flink at an incident's onset (flame graph, thread dump).
  `CREATE TABLE outbox_v5 (id INTEGER PRIMARY KEY AUTOINCREMENT, sink TEXT NOT NULL, key TEXT NOT NULL, incident_id TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('open', 'resolved')), created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
     next_at INTEGER NOT NULL, delivered_at INTEGER, last_error TEXT, UNIQUE (sink, key));
   INSERT INTO outbox_v5 SELECT id, 'webhook', key, incident_id, kind, created_at, attempts, next_at, delivered_at, last_error FROM outbox;
   DROP TABLE outbox;
   ALTER TABLE outbox_v5 RENAME TO outbox;
   CREATE INDEX outbox_due ON outbox (next_at) WHERE delivered_at IS NULL;
   CREATE TABLE job_topologies (hash TEXT PRIMARY KEY, graph TEXT NOT NULL) WITHOUT ROWID;
   CREATE TABLE job_graphs (job_id TEXT NOT NULL, ts INTEGER NOT NULL, job TEXT NOT NULL, state TEXT NOT NULL, topology TEXT NOT NULL,
     activity BLOB NOT NULL, PRIMARY KEY (job_id, ts)) WITHOUT ROWID;
   CREATE INDEX job_graphs_ts ON job_graphs (ts);
   CREATE TABLE evidence (id INTEGER PRIMARY KEY AUTOINCREMENT, incident_id TEXT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL,
     requested_at INTEGER NOT NULL, captured_at INTEGER NOT NULL, latency_ms INTEGER, bytes INTEGER NOT NULL, truncated INTEGER NOT NULL,
     error TEXT, body TEXT, UNIQUE (incident_id, kind));`,
  // 7: new rows land in time order first (src/store/recent.ts). sample_recent is keyed (ts, machine), so a scrape of
  // 10 000 machines appends to a few pages instead of touching one page per machine in sample_rows (machine, ts);
  // every few minutes the older rows move to sample_rows in machine order, many rows of a machine at once.
  // settle_state.until splits the two: rows before it are in sample_rows, rows at or after it in sample_recent.
  // recent_ts lists the timestamps sample_recent holds (a machine's recent rows are read by point lookups on them).
  // Scores the same way: score_recent and score_recent_ts beside scores.
  // The roll-ups are keyed (level, bucket, machine) for the same reason — a step updates every machine's current
  // bucket, now a few adjacent pages — and a machine's buckets are read by point lookups on the aligned bucket starts.
  `CREATE TABLE sample_recent (ts INTEGER NOT NULL, machine TEXT NOT NULL, v BLOB NOT NULL, PRIMARY KEY (ts, machine)) WITHOUT ROWID;
   CREATE TABLE recent_ts (ts INTEGER PRIMARY KEY);
   CREATE TABLE score_recent (ts INTEGER NOT NULL, machine TEXT NOT NULL, score REAL NOT NULL, model_id INTEGER, PRIMARY KEY (ts, machine)) WITHOUT ROWID;
   CREATE TABLE score_recent_ts (ts INTEGER PRIMARY KEY);
   CREATE TABLE settle_state (name TEXT PRIMARY KEY, until INTEGER NOT NULL) WITHOUT ROWID;
   INSERT INTO settle_state SELECT 'samples', COALESCE(MAX(ts) + 1, -9007199254740991) FROM sample_rows;
   INSERT INTO settle_state SELECT 'scores', COALESCE(MAX(ts) + 1, -9007199254740991) FROM scores;
   CREATE TABLE sample_rollups_v7 (level INTEGER NOT NULL, bucket INTEGER NOT NULL, machine TEXT NOT NULL, v BLOB NOT NULL,
     PRIMARY KEY (level, bucket, machine)) WITHOUT ROWID;
   INSERT INTO sample_rollups_v7 SELECT level, bucket, machine, v FROM sample_rollups ORDER BY level, bucket, machine;
   DROP TABLE sample_rollups;
   ALTER TABLE sample_rollups_v7 RENAME TO sample_rollups;
   CREATE TABLE score_rollups_v7 (level INTEGER NOT NULL, bucket INTEGER NOT NULL, machine TEXT NOT NULL, max REAL NOT NULL,
     PRIMARY KEY (level, bucket, machine)) WITHOUT ROWID;
   INSERT INTO score_rollups_v7 SELECT level, bucket, machine, max FROM score_rollups ORDER BY level, bucket, machine;
   DROP TABLE score_rollups;
   ALTER TABLE score_rollups_v7 RENAME TO score_rollups;`,
  // 8: 'update' alerts — a paged incident that renews (a second hotspot on a machine whose incident is still open)
  // notifies again (src/app/enrich.ts updatesOf).
  `CREATE TABLE outbox_v8 (id INTEGER PRIMARY KEY AUTOINCREMENT, sink TEXT NOT NULL, key TEXT NOT NULL, incident_id TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('open', 'resolved', 'update')), created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
     next_at INTEGER NOT NULL, delivered_at INTEGER, last_error TEXT, UNIQUE (sink, key));
   INSERT INTO outbox_v8 SELECT id, sink, key, incident_id, kind, created_at, attempts, next_at, delivered_at, last_error FROM outbox;
   DROP TABLE outbox;
   ALTER TABLE outbox_v8 RENAME TO outbox;
   CREATE INDEX outbox_due ON outbox (next_at) WHERE delivered_at IS NULL;`,
  alarmScale,
  heldScale,
];
