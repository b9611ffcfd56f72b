// The SQLite store's per-machine time series in two tables each (schema v7): samples, and scores. A scrape writes
// one row per machine at one timestamp; in a table keyed (machine, ts) those rows land on as many pages as there are
// machines — at 10 000 machines those page writes were most of the loop's store time. So new rows go to a recent
// table keyed (ts, machine): a scrape appends to a few pages. When it holds SETTLE_AT timestamps, all but the
// newest KEEP move to the settled table in one sorted insert — ~30 rows of a machine at once, a few pages per
// machine instead of one per row.
//
// A row lives in exactly one table: ts < until (settle_state) in the settled table, ts ≥ until in the recent one.
// Every settled timestamp is older than every recent one, so a machine's rows in time order are its settled rows then
// its recent rows. Reads that touch both run in one read transaction (a settle between them would hide rows).
import type Database from 'better-sqlite3';

/** Settle when a recent table holds this many timestamps; keep the newest KEEP there (the watcher reads those). */
export const SETTLE_AT = 36;
export const KEEP = 6;

/** Where one series kind lives: its settled table (machine, ts, …cols), recent table (ts, machine, …cols), the recent
 *  table's timestamps, and its row in settle_state. */
export interface Layout { settled: string; recent: string; stamps: string; name: string; cols: string }
export const SAMPLES: Layout = { settled: 'sample_rows', recent: 'sample_recent', stamps: 'recent_ts', name: 'samples', cols: 'v' };
export const SCORES: Layout = { settled: 'scores', recent: 'score_recent', stamps: 'score_recent_ts', name: 'scores', cols: 'score, model_id, units' };

type Q = (sql: string) => Database.Statement;

export class TwoTables<R extends { ts: number }> {
  private readonly rcols: string;

  constructor(private readonly q: Q, readonly l: Layout) {
    this.rcols = l.cols.split(',').map((c) => `r.${c.trim()} AS ${c.trim()}`).join(', ');
  }

  /** Rows before this timestamp are settled, the rest recent. */
  until(): number {
    return (this.q('SELECT until FROM settle_state WHERE name = ?').get(this.l.name) as { until: number }).until;
  }

  /** Before rows at `incoming` timestamps are written: the split after which at most SETTLE_AT recent timestamps
   *  remain once they are in — the KEEP-th newest of both — or the current split when no settle is due. */
  splitFor(incoming: Iterable<number>): number {
    const u = this.until();
    const all = new Set((this.q(`SELECT ts FROM ${this.l.stamps}`).raw(true).all() as [number][]).map((r) => r[0]));
    for (const t of incoming) if (t >= u) all.add(t);
    if (all.size < SETTLE_AT) return u;
    const sorted = [...all].sort((a, b) => a - b);
    return Math.max(u, sorted[sorted.length - KEEP]);
  }

  /** Moves recent rows before `until` to the settled table (machine order) and the split there. In the caller's
   *  transaction. */
  settle(until: number): void {
    if (until <= this.until()) return;
    const { settled, recent, stamps, cols } = this.l;
    this.q(`INSERT INTO ${settled} (machine, ts, ${cols}) SELECT machine, ts, ${cols} FROM ${recent} WHERE ts < ? ORDER BY machine, ts`).run(until);
    this.q(`DELETE FROM ${recent} WHERE ts < ?`).run(until);
    this.q(`DELETE FROM ${stamps} WHERE ts < ?`).run(until);
    this.q('UPDATE settle_state SET until = ? WHERE name = ?').run(until, this.l.name);
  }

  /** Registers the timestamps of rows just written to the recent table. */
  noteTimestamps(ts: Iterable<number>): void {
    const ins = this.q(`INSERT OR IGNORE INTO ${this.l.stamps} VALUES (?)`);
    for (const t of ts) ins.run(t);
  }

  /** A machine's rows in [from, to] oldest first (at most limit; -1 = all): settled, then recent by a point lookup
   *  per recent timestamp. */
  machineRows(machine: string, from: number, to: number, limit: number): R[] {
    const { settled, recent, stamps, cols } = this.l;
    const rows = this.q(`SELECT ts, ${cols} FROM ${settled} WHERE machine = ? AND ts >= ? AND ts <= ? ORDER BY ts LIMIT ?`).all(machine, from, to, limit) as R[];
    if (limit >= 0 && rows.length >= limit) return rows;
    const rest = limit < 0 ? -1 : limit - rows.length;
    const newer = this.q(`SELECT r.ts AS ts, ${this.rcols} FROM ${stamps} t CROSS JOIN ${recent} r ON r.ts = t.ts AND r.machine = ? WHERE t.ts >= ? AND t.ts <= ? ORDER BY t.ts LIMIT ?`)
      .all(machine, from, to, rest) as R[];
    return rows.length ? rows.concat(newer) : newer;
  }

  /** A machine's newest n rows in [from, to], newest first. */
  lastRows(machine: string, from: number, to: number, n: number): R[] {
    const { settled, recent, stamps, cols } = this.l;
    const newer = this.q(`SELECT r.ts AS ts, ${this.rcols} FROM ${stamps} t CROSS JOIN ${recent} r ON r.ts = t.ts AND r.machine = ? WHERE t.ts >= ? AND t.ts <= ? ORDER BY t.ts DESC LIMIT ?`)
      .all(machine, from, to, n) as R[];
    if (newer.length >= n) return newer;
    return newer.concat(this.q(`SELECT ts, ${cols} FROM ${settled} WHERE machine = ? AND ts >= ? AND ts <= ? ORDER BY ts DESC LIMIT ?`).all(machine, from, to, n - newer.length) as R[]);
  }

  /** Each value of column `col` among a machine's rows in [from, to], with the first timestamp it has there, oldest
   *  first (both tables). */
  firstOf(col: string, machine: string, from: number, to: number): { value: unknown; first: number }[] {
    const { settled, recent, stamps } = this.l;
    const a = this.q(`SELECT ${col} AS value, MIN(ts) AS first FROM ${settled} WHERE machine = ? AND ts >= ? AND ts <= ? GROUP BY ${col}`).all(machine, from, to) as { value: unknown; first: number }[];
    const b = this.q(`SELECT r.${col} AS value, MIN(r.ts) AS first FROM ${stamps} t CROSS JOIN ${recent} r ON r.ts = t.ts AND r.machine = ? WHERE t.ts >= ? AND t.ts <= ? GROUP BY r.${col}`)
      .all(machine, from, to) as { value: unknown; first: number }[];
    const first = new Map<unknown, number>();
    for (const r of [...a, ...b]) first.set(r.value, Math.min(first.get(r.value) ?? Infinity, r.first));
    return [...first].map(([value, f]) => ({ value, first: f })).sort((x, y) => x.first - y.first);
  }

  /** Every machine's rows after `after` in time order, at most limit: [machine, ts, …cols]. */
  rowsAfter(after: number, limit: number): unknown[][] {
    const { settled, recent, cols } = this.l;
    const got = this.q(`SELECT machine, ts, ${cols} FROM ${settled} WHERE ts > ? ORDER BY ts LIMIT ?`).raw(true).all(after, limit) as unknown[][];
    if (got.length >= limit) return got;
    const newer = this.q(`SELECT machine, ts, ${cols} FROM ${recent} WHERE ts > ? ORDER BY ts LIMIT ?`).raw(true).all(after, limit - got.length) as unknown[][];
    return got.length ? got.concat(newer) : newer;
  }

  /** Every row with from ≤ ts < to, both tables (the order within a timestamp is not defined). */
  *range(from: number, to: number): Generator<R & { machine: string }> {
    const { settled, recent, cols } = this.l;
    yield* this.q(`SELECT machine, ts, ${cols} FROM ${settled} WHERE ts >= ? AND ts < ?`).iterate(from, to) as Iterable<R & { machine: string }>;
    yield* this.q(`SELECT machine, ts, ${cols} FROM ${recent} WHERE ts >= ? AND ts < ?`).iterate(from, to) as Iterable<R & { machine: string }>;
  }

  /** The oldest and newest timestamps, or null when there are none. */
  span(): { min: number; max: number } | null {
    const { settled, recent } = this.l;
    // one aggregate per subquery: SQLite answers a lone MIN or MAX from the index, both together by a scan (and the
    // scalar MIN / MAX of two values is NULL when either is)
    const r = this.q(`SELECT MIN(COALESCE(a, c), COALESCE(c, a)) AS min, MAX(COALESCE(b, d), COALESCE(d, b)) AS max FROM
      (SELECT (SELECT MIN(ts) FROM ${settled}) AS a, (SELECT MAX(ts) FROM ${settled}) AS b, (SELECT MIN(ts) FROM ${recent}) AS c, (SELECT MAX(ts) FROM ${recent}) AS d)`)
      .get() as { min: number | null; max: number | null };
    return r.min === null || r.max === null ? null : { min: r.min, max: r.max };
  }

  /** SUM(expr) over both tables (expr over the layout's columns). */
  sum(expr: string): number {
    const { settled, recent } = this.l;
    return (this.q(`SELECT (SELECT COALESCE(SUM(${expr}), 0) FROM ${settled}) + (SELECT COALESCE(SUM(${expr}), 0) FROM ${recent}) AS n`).get() as { n: number }).n;
  }
}
