// The embedded store's schema, as numbered migrations applied in order and recorded in schema_version.
export const MIGRATIONS: string[] = [
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
];
