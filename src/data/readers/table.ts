// One table → Series builder behind every tabular reader (CSV, Parquet): checks the header (no blank, duplicate or
// missing requested columns), parses each row strictly (timestamp, float64 values, 0/1 label), counts what it drops
// by reason, then orders rows by time (repeated timestamps: the last row wins). Rows are kept in growable float64
// buffers, not as objects, so a large file costs ~8 bytes a cell.
import { median, parseMetricValue, gapReason, type Series } from '../../core/index.js';
import { DataError, emptyReport, missingCell, skipRow, type ReadReport } from './report.js';

export interface TableOptions {
  /** Name of the timestamp column (default: `timestamp`, else the first column). */
  timestampColumn?: string;
  /** Name of the 0/1 label column (default: `label` when present; null: none, a `label` column is a metric). */
  labelColumn?: string | null;
  /** Series name (default: the file name without extensions). */
  name?: string;
}

/** Header limit: a wider "header" is a corrupt or wrong file, refused before any row is read. */
export const MAX_COLUMNS = 10_000;

/** Timestamps outside JavaScript's Date range (±8.64e15 ms) are not times. */
const MAX_TIME_MS = 8.64e15;

/** Epoch ms from a cell: ISO 8601 ("YYYY-MM-DD hh:mm:ss" is UTC), epoch seconds or milliseconds, a Date; else NaN. */
export function parseTimestamp(raw: unknown): number {
  const t = timestampOf(raw);
  return Math.abs(t) <= MAX_TIME_MS ? t : NaN;
}

function timestampOf(raw: unknown): number {
  if (raw instanceof Date) return raw.getTime();
  if (typeof raw === 'bigint') raw = Number(raw);
  if (typeof raw === 'number') return Number.isFinite(raw) ? (Math.abs(raw) < 1e11 ? raw * 1000 : raw) : NaN;
  if (typeof raw !== 'string') return NaN;
  const s = raw.trim();
  if (s === '') return NaN;
  if (/^-?\d+(\.\d+)?$/.test(s)) {
    const v = Number(s);
    return Math.abs(v) < 1e11 ? v * 1000 : v; // epoch seconds vs milliseconds
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return NaN; // Date.parse guesses at anything; only ISO-like dates are timestamps
  const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(s) ? s.replace(' ', 'T') : s;
  const hasZone = /[zZ]|[+-]\d{2}:?\d{2}$/.test(iso.slice(10));
  return Date.parse(hasZone || iso.length <= 10 ? iso : `${iso}Z`);
}

function cellValue(raw: unknown): number | null {
  return typeof raw === 'bigint' ? parseMetricValue(Number(raw)) : parseMetricValue(raw);
}

function labelValue(raw: unknown): 0 | 1 | null {
  if (raw === 0 || raw === 1 || raw === 0n || raw === 1n) return Number(raw) as 0 | 1;
  if (raw === false || raw === true) return raw ? 1 : 0;
  if (raw === '0' || raw === '1') return raw === '1' ? 1 : 0;
  return null;
}

class GrowableF64 {
  a = new Float64Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
}

export class TableBuilder {
  readonly report: ReadReport;
  readonly channels: string[];
  private readonly tCol: number;
  private readonly lCol: number;
  private readonly metricCols: number[];
  private readonly t = new GrowableF64();
  private readonly v = new GrowableF64();
  private readonly l: number[] = [];

  constructor(readonly file: string, readonly header: string[], readonly opts: TableOptions = {}) {
    this.report = emptyReport(file);
    if (header.length > MAX_COLUMNS) throw new DataError(`the header has ${header.length} columns; the limit is ${MAX_COLUMNS} (not a metrics table?)`, file);
    const blank = header.flatMap((h, i) => (h.trim() === '' ? [i + 1] : []));
    if (blank.length) throw new DataError(`column${blank.length > 1 ? 's' : ''} ${blank.slice(0, 10).join(', ')} of the header ha${blank.length > 1 ? 've' : 's'} no name`, file);
    const seen = new Map<string, number[]>();
    header.forEach((h, i) => seen.set(h, [...(seen.get(h) ?? []), i + 1]));
    const dup = [...seen].filter(([, at]) => at.length > 1);
    if (dup.length) throw new DataError(`duplicate column name${dup.length > 1 ? 's' : ''}: ${dup.slice(0, 10).map(([h, at]) => `'${short(h)}' (columns ${at.join(', ')})`).join(', ')}`, file);
    const cols = (): string => header.slice(0, 20).map(short).join(', ') + (header.length > 20 ? `, … (${header.length} in all)` : '');
    this.tCol = opts.timestampColumn !== undefined ? header.indexOf(opts.timestampColumn) : Math.max(0, header.indexOf('timestamp'));
    if (this.tCol < 0) throw new DataError(`no timestamp column '${opts.timestampColumn}' (columns: ${cols()})`, file);
    if (typeof opts.labelColumn === 'string' && !header.includes(opts.labelColumn)) throw new DataError(`no label column '${opts.labelColumn}' (columns: ${cols()})`, file);
    this.lCol = opts.labelColumn === null ? -1 : header.indexOf(opts.labelColumn ?? 'label');
    if (this.lCol === this.tCol) this.lCol = -1;
    this.metricCols = header.map((_, i) => i).filter((i) => i !== this.tCol && i !== this.lCol);
    if (this.metricCols.length === 0) throw new DataError(`no metric columns (columns: ${cols()})`, file);
    this.channels = this.metricCols.map((i) => header[i]);
  }

  /** One data row (cells in header order); `line` is its 1-based position in the file, for the report. */
  row(line: number, cells: ArrayLike<unknown>): void {
    const rep = this.report;
    if (cells.length !== this.header.length) return skipRow(rep, line, 'field count', `${cells.length} fields, header has ${this.header.length}`);
    const t = parseTimestamp(cells[this.tCol]);
    if (!Number.isFinite(t)) return skipRow(rep, line, 'timestamp', `unreadable timestamp '${short(String(cells[this.tCol]))}'`);
    let label = 0;
    if (this.lCol >= 0) {
      const l = labelValue(cells[this.lCol]);
      if (l === null) return skipRow(rep, line, 'label', `label '${short(String(cells[this.lCol]))}' is not 0 or 1`);
      label = l;
    }
    this.t.push(t);
    this.l.push(label);
    for (const i of this.metricCols) {
      const x = cellValue(cells[i]);
      if (x === null) missingCell(rep, gapReason(cells[i]));
      this.v.push(x ?? NaN);
    }
  }

  /** The Series, rows sorted by time and repeated timestamps collapsed (last wins); the report filled in. */
  finish(name: string): { series: Series; report: ReadReport } {
    const rep = this.report;
    const n = this.t.n;
    if (n === 0) {
      if (rep.skippedCount) throw new DataError(`every row was malformed (first: line ${rep.skipped[0].line}: ${rep.skipped[0].reason})`, this.file);
      throw new DataError('no data rows (need a header and at least one row)', this.file);
    }
    const ts = this.t.a;
    let order = Uint32Array.from({ length: n }, (_, i) => i);
    for (let i = 1; i < n; i++) if (ts[i] < ts[i - 1]) {
      rep.sorted = true;
      break;
    }
    if (rep.sorted) order = order.sort((a, b) => ts[a] - ts[b] || a - b); // stable: the later row of a repeated timestamp stays later
    const keep: number[] = [];
    for (const i of order) {
      if (keep.length && ts[keep[keep.length - 1]] === ts[i]) {
        keep[keep.length - 1] = i;
        rep.duplicates++;
      } else keep.push(i);
    }
    const C = this.metricCols.length;
    const values = new Float64Array(keep.length * C);
    keep.forEach((i, k) => values.set(this.v.a.subarray(i * C, i * C + C), k * C));
    const timestamps = Float64Array.from(keep, (i) => ts[i]);
    const iv = timestamps.slice(1).map((t, i) => t - timestamps[i]);
    rep.medianIntervalMs = iv.length ? median(iv) : 0;
    rep.gaps = iv.filter((d) => d > 1.5 * rep.medianIntervalMs).length;
    rep.rows = keep.length;
    const series: Series = {
      name,
      timestamps,
      channels: [...this.channels],
      values,
      labels: this.lCol >= 0 ? Uint8Array.from(keep, (i) => this.l[i]) : undefined,
      meta: { source: this.file },
    };
    return { series, report: rep };
  }
}

/** A cell or column name cut for messages (a corrupt file can have a megabyte-long one). */
function short(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}…` : s;
}
