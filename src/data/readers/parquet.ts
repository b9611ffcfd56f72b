// Parquet via hyparquet: same schema as the CSV reader (timestamp column, metric columns, optional label).
import { readFileSync } from 'node:fs';
import { parquetReadObjects } from 'hyparquet';
import type { Series } from '../../core/series.js';
import { DataError, emptyReport, orderRows, type ReadReport } from './report.js';
import { parseTimestamp } from './csv.js';

export async function readParquetSeries(path: string, name?: string): Promise<{ series: Series; report: ReadReport }> {
  let rows: Record<string, unknown>[];
  try {
    const buf = readFileSync(path);
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    rows = await parquetReadObjects({ file: ab });
  } catch (e) {
    throw new DataError(`not a readable Parquet file: ${(e as Error).message}`, path);
  }
  if (rows.length === 0) throw new DataError('no rows', path);
  const cols = Object.keys(rows[0]);
  const tCol = cols.includes('timestamp') ? 'timestamp' : cols[0];
  const metricCols = cols.filter((c) => c !== tCol && c !== 'label');
  const rep = emptyReport(path);
  const parsed: { t: number; v: number[]; l: number }[] = [];
  rows.forEach((r, i) => {
    const raw = r[tCol];
    const t = raw instanceof Date ? raw.getTime() : typeof raw === 'bigint' ? Number(raw) : typeof raw === 'number' ? (Math.abs(raw) < 1e11 ? raw * 1000 : raw) : parseTimestamp(String(raw));
    if (!Number.isFinite(t)) {
      rep.skippedCount++;
      if (rep.skipped.length < 20) rep.skipped.push({ line: i + 1, reason: `unreadable timestamp '${String(raw)}'` });
      return;
    }
    const v = metricCols.map((c) => {
      const x = Number(r[c]);
      if (!Number.isFinite(x)) rep.missing++;
      return Number.isFinite(x) ? x : NaN;
    });
    parsed.push({ t, v, l: Number(r.label ?? 0) ? 1 : 0 });
  });
  const ordered = orderRows(parsed, rep);
  const C = metricCols.length;
  const values = new Float32Array(ordered.length * C);
  ordered.forEach((r, i) => values.set(r.v, i * C));
  return {
    series: {
      name: name ?? path.replace(/^.*\//, '').replace(/\.parquet$/, ''),
      timestamps: Float64Array.from(ordered, (r) => r.t),
      channels: metricCols,
      values,
      labels: cols.includes('label') ? Uint8Array.from(ordered, (r) => r.l) : undefined,
      meta: { source: path },
    },
    report: rep,
  };
}
