// The SQLite store's two sample tables (schema v7). A scrape writes one row per machine at one timestamp; in a table
// keyed (machine, ts) those rows land on as many pages as there are machines — at 10 000 machines the page writes
// were most of the loop's store time. So new rows go to sample_recent, keyed (ts, machine): a scrape appends to a few
// pages. When it holds SETTLE_AT timestamps, all but the newest KEEP move to sample_rows in one sorted insert —
// ~30 rows of a machine at once, a few pages per machine instead of one per row.
//
// A row lives in exactly one table: ts < until (sample_settle) in sample_rows, ts ≥ until in sample_recent. Every
// sample_rows timestamp is older than every sample_recent one, so a machine's rows in time order are its settled rows
// then its recent rows. Reads that touch both run in one read transaction (a settle between them would hide rows).
import type Database from 'better-sqlite3';

/** Settle when sample_recent holds this many timestamps; keep the newest KEEP there (the watcher reads those). */
export const SETTLE_AT = 36;
export const KEEP = 6;

export type Row = { ts: number; v: Buffer };
type Q = (sql: string) => Database.Statement;

export class RecentRows {
  constructor(private readonly q: Q) {}

  /** Rows before this timestamp are in sample_rows, the rest in sample_recent. */
  until(): number {
    return (this.q('SELECT until FROM sample_settle WHERE id = 0').get() as { until: number }).until;
  }

  /** Timestamps sample_recent holds, ascending. */
  timestamps(): number[] {
    return (this.q('SELECT ts FROM recent_ts ORDER BY ts').raw(true).all() as [number][]).map((r) => r[0]);
  }

  /** Before rows at `incoming` timestamps (≥ until) are written: the split after which at most SETTLE_AT recent
   *  timestamps remain once they are in — the KEEP-th newest of both — or the current split when no settle is due. */
  splitFor(incoming: Iterable<number>): number {
    const u = this.until();
    const all = new Set(this.timestamps());
    for (const t of incoming) if (t >= u) all.add(t);
    if (all.size < SETTLE_AT) return u;
    const sorted = [...all].sort((a, b) => a - b);
    return Math.max(u, sorted[sorted.length - KEEP]);
  }

  /** Moves recent rows before `until` to sample_rows (machine order) and moves the split there. In the caller's
   *  transaction. */
  settle(until: number): void {
    if (until <= this.until()) return;
    this.q('INSERT INTO sample_rows (machine, ts, v) SELECT machine, ts, v FROM sample_recent WHERE ts < ? ORDER BY machine, ts').run(until);
    this.q('DELETE FROM sample_recent WHERE ts < ?').run(until);
    this.q('DELETE FROM recent_ts WHERE ts < ?').run(until);
    this.q('UPDATE sample_settle SET until = ? WHERE id = 0').run(until);
  }

  /** Registers the timestamps of rows just written to sample_recent. */
  noteTimestamps(ts: Iterable<number>): void {
    const ins = this.q('INSERT OR IGNORE INTO recent_ts VALUES (?)');
    for (const t of ts) ins.run(t);
  }

  /** A machine's rows in [from, to] oldest first (at most limit; -1 = all): settled, then recent by a point lookup
   *  per recent timestamp. */
  machineRows(machine: string, from: number, to: number, limit: number): Row[] {
    const rows = this.q('SELECT ts, v FROM sample_rows WHERE machine = ? AND ts >= ? AND ts <= ? ORDER BY ts LIMIT ?').all(machine, from, to, limit) as Row[];
    if (limit >= 0 && rows.length >= limit) return rows;
    const rest = limit < 0 ? -1 : limit - rows.length;
    const recent = this.q('SELECT r.ts AS ts, r.v AS v FROM recent_ts t CROSS JOIN sample_recent r ON r.ts = t.ts AND r.machine = ? WHERE t.ts >= ? AND t.ts <= ? ORDER BY t.ts LIMIT ?')
      .all(machine, from, to, rest) as Row[];
    return rows.length ? rows.concat(recent) : recent;
  }

  /** A machine's newest n rows at or before `to`, newest first. */
  lastRows(machine: string, to: number, n: number): Row[] {
    const recent = this.q('SELECT r.ts AS ts, r.v AS v FROM recent_ts t CROSS JOIN sample_recent r ON r.ts = t.ts AND r.machine = ? WHERE t.ts <= ? ORDER BY t.ts DESC LIMIT ?')
      .all(machine, to, n) as Row[];
    if (recent.length >= n) return recent;
    return recent.concat(this.q('SELECT ts, v FROM sample_rows WHERE machine = ? AND ts <= ? ORDER BY ts DESC LIMIT ?').all(machine, to, n - recent.length) as Row[]);
  }

  /** Every machine's rows after `after` in time order, at most limit: (machine, ts, v). */
  rowsAfter(after: number, limit: number): [string, number, Buffer][] {
    const got = this.q('SELECT machine, ts, v FROM sample_rows WHERE ts > ? ORDER BY ts LIMIT ?').raw(true).all(after, limit) as [string, number, Buffer][];
    if (got.length >= limit) return got;
    const recent = this.q('SELECT machine, ts, v FROM sample_recent WHERE ts > ? ORDER BY ts LIMIT ?').raw(true).all(after, limit - got.length) as [string, number, Buffer][];
    return got.length ? got.concat(recent) : recent;
  }

  /** Every row with from ≤ ts < to, both tables (the order within a timestamp is not defined). */
  *range(from: number, to: number): Generator<{ machine: string; ts: number; v: Buffer }> {
    yield* this.q('SELECT machine, ts, v FROM sample_rows WHERE ts >= ? AND ts < ?').iterate(from, to) as Iterable<{ machine: string; ts: number; v: Buffer }>;
    yield* this.q('SELECT machine, ts, v FROM sample_recent WHERE ts >= ? AND ts < ?').iterate(from, to) as Iterable<{ machine: string; ts: number; v: Buffer }>;
  }

  /** A machine's rows with from ≤ ts ≤ to, oldest first. */
  *machineRange(machine: string, from: number, to: number): Generator<Row> {
    yield* this.q('SELECT ts, v FROM sample_rows WHERE machine = ? AND ts >= ? AND ts <= ?').iterate(machine, from, to) as Iterable<Row>;
    yield* this.machineRows(machine, Math.max(from, this.until()), to, -1);
  }

  /** The oldest and newest sample timestamps, or null when there are none. */
  span(): { min: number; max: number } | null {
    // one aggregate per subquery: SQLite answers a lone MIN or MAX from the index, both together by a scan
    // (and the scalar MIN / MAX of two values is NULL when either is)
    const r = this.q(`SELECT MIN(COALESCE(a, c), COALESCE(c, a)) AS min, MAX(COALESCE(b, d), COALESCE(d, b)) AS max FROM
      (SELECT (SELECT MIN(ts) FROM sample_rows) AS a, (SELECT MAX(ts) FROM sample_rows) AS b, (SELECT MIN(ts) FROM sample_recent) AS c, (SELECT MAX(ts) FROM sample_recent) AS d)`)
      .get() as { min: number | null; max: number | null };
    return r.min === null || r.max === null ? null : { min: r.min, max: r.max };
  }

  /** Bytes of packed values in both tables. */
  valueBytes(): number {
    return (this.q('SELECT (SELECT COALESCE(SUM(length(v)), 0) FROM sample_rows) + (SELECT COALESCE(SUM(length(v)), 0) FROM sample_recent) AS n').get() as { n: number }).n;
  }
}
