// Parquet via hyparquet: same schema as the CSV reader (timestamp column, metric columns, optional label), flat
// columns only. Decoded in the reader worker (read.ts): hyparquet can loop for ever on a corrupt page header, and only
// a worker with a deadline can stop that. Column names come from the schema, so duplicates are caught (an object
// row would silently keep one of them); the decoded row count must match the footer's.
import { parquetMetadata, parquetRead, parquetSchema } from 'hyparquet';
import type { Series } from '../../core/series.js';
import { DataError, type ReadReport } from './report.js';
import { TableBuilder, type TableOptions } from './table.js';
import { seriesName } from './csv.js';

/** Refuse files whose footer claims more cells than this (a corrupt row count must not allocate gigabytes). */
export const MAX_PARQUET_CELLS = 200_000_000;

export async function decodeParquet(bytes: Uint8Array, file: string, opts: TableOptions = {}): Promise<{ series: Series; report: ReadReport }> {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let metadata: ReturnType<typeof parquetMetadata>;
  let names: string[];
  try {
    metadata = parquetMetadata(ab);
    const top = parquetSchema(metadata).children;
    const nested = top.filter((c) => c.children.length > 0).map((c) => c.element.name);
    if (nested.length) throw new DataError(`nested column${nested.length > 1 ? 's' : ''} ${nested.slice(0, 10).join(', ')} (only flat columns are metrics)`, file);
    names = top.map((c) => String(c.element.name ?? ''));
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`not a readable Parquet file: ${(e as Error).message}`, file);
  }
  const builder = new TableBuilder(file, names, opts);
  const expected = Number(metadata.num_rows);
  if (!(expected >= 0) || expected * names.length > MAX_PARQUET_CELLS) throw new DataError(`the footer claims ${metadata.num_rows} rows × ${names.length} columns; the limit is ${MAX_PARQUET_CELLS} cells`, file);
  let rows: unknown[][] = [];
  try {
    await parquetRead({ file: ab, metadata, columns: names, onComplete: (r) => (rows = r) });
  } catch (e) {
    throw new DataError(`not a readable Parquet file: ${(e as Error).message}`, file);
  }
  if (rows.length !== expected) throw new DataError(`decoded ${rows.length} rows, the footer says ${expected} (corrupt file?)`, file);
  rows.forEach((r, i) => builder.row(i + 1, r));
  return builder.finish(opts.name ?? seriesName(file));
}
