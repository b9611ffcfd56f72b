// Generic CSV: a timestamp column (ISO 8601, "YYYY-MM-DD hh:mm:ss" read as UTC, or epoch seconds / milliseconds),
// metric columns, and an optional `label` column (0/1). Parsed with csv-parse. Malformed rows (wrong column count,
// unreadable timestamp) are skipped and reported; empty / non-numeric cells become NaN (missing) and are counted.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Series } from '../../core/series.js';
import { DataError, emptyReport, orderRows, type ReadReport } from './report.js';

export interface CsvOptions {
  /** Name of the timestamp column (default: `timestamp`, else the first column). */
  timestampColumn?: string;
  labelColumn?: string;
  name?: string;
}

export function parseTimestamp(raw: string): number {
  const s = raw.trim();
  if (s === '') return NaN;
  if (/^-?\d+(\.\d+)?$/.test(s)) {
    const v = Number(s);
    return Math.abs(v) < 1e11 ? v * 1000 : v; // epoch seconds vs milliseconds
  }
  const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(s) ? s.replace(' ', 'T') : s;
  const hasZone = /[zZ]|[+-]\d{2}:?\d{2}$/.test(iso.slice(10));
  return Date.parse(hasZone || iso.length <= 10 ? iso : `${iso}Z`);
}

export function parseCsvText(text: string, file: string, opts: CsvOptions = {}): { series: Series; report: ReadReport } {
  const rep = emptyReport(file);
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, relax_column_count: true, trim: true, bom: true }) as string[][];
  } catch (e) {
    throw new DataError(`not readable as CSV: ${(e as Error).message}`, file);
  }
  if (records.length < 2) throw new DataError('no data rows (need a header and at least one row)', file);
  const header = records[0];
  const tCol = opts.timestampColumn ? header.indexOf(opts.timestampColumn) : Math.max(0, header.indexOf('timestamp'));
  if (tCol < 0) throw new DataError(`no timestamp column '${opts.timestampColumn}' (columns: ${header.join(', ')})`, file);
  const lCol = header.indexOf(opts.labelColumn ?? 'label');
  const metricCols = header.map((_, i) => i).filter((i) => i !== tCol && i !== lCol);
  if (metricCols.length === 0) throw new DataError('no metric columns', file);
  const rows: { t: number; v: number[]; l: number }[] = [];
  const skip = (line: number, reason: string): void => {
    rep.skippedCount++;
    if (rep.skipped.length < 20) rep.skipped.push({ line, reason });
  };
  records.slice(1).forEach((r, k) => {
    const line = k + 2;
    if (r.length !== header.length) return skip(line, `${r.length} fields, header has ${header.length}`);
    const t = parseTimestamp(r[tCol]);
    if (!Number.isFinite(t)) return skip(line, `unreadable timestamp '${r[tCol]}'`);
    const v = metricCols.map((i) => {
      const x = r[i] === '' ? NaN : Number(r[i]);
      if (!Number.isFinite(x)) rep.missing++;
      return Number.isFinite(x) ? x : NaN;
    });
    rows.push({ t, v, l: lCol >= 0 ? (Number(r[lCol]) ? 1 : 0) : 0 });
  });
  if (rows.length === 0) throw new DataError(`every row was malformed (first: line ${rep.skipped[0]?.line}: ${rep.skipped[0]?.reason})`, file);
  const ordered = orderRows(rows, rep);
  const C = metricCols.length;
  const values = new Float32Array(ordered.length * C);
  ordered.forEach((r, i) => values.set(r.v, i * C));
  const series: Series = {
    name: opts.name ?? basename(file).replace(/\.csv$/i, ''),
    timestamps: Float64Array.from(ordered, (r) => r.t),
    channels: metricCols.map((i) => header[i]),
    values,
    labels: lCol >= 0 ? Uint8Array.from(ordered, (r) => r.l) : undefined,
    meta: { source: file },
  };
  return { series, report: rep };
}

export function readCsvSeries(path: string, opts: CsvOptions = {}): { series: Series; report: ReadReport } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DataError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
  }
  return parseCsvText(text, path, opts);
}
