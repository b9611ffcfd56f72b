// Generic CSV: a timestamp column (ISO 8601, "YYYY-MM-DD hh:mm:ss" read as UTC, or epoch seconds / milliseconds),
// metric columns, and an optional `label` column (0/1). Parsed with csv-parse, streaming (parseCsvStream, what
// files go through in the reader worker) or from a string (parseCsvText); both feed the same TableBuilder.
// A line longer than the limit fails at once (a corrupt file must not take minutes); rows with the wrong number of
// fields, an unreadable timestamp or a bad label are skipped and counted; non-numeric cells become NaN, counted.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse, CsvError, type Options } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import type { Series } from '../../core/series.js';
import { DataError, type ReadReport } from './report.js';
import { TableBuilder, type TableOptions } from './table.js';

export { parseTimestamp } from './table.js';
export type CsvOptions = TableOptions;

/** Longest line accepted (characters), unless the caller's limits say otherwise. */
export const MAX_LINE_CHARS = 1 << 20;

interface Rec {
  record: string[];
  info: { lines: number };
}

function options(maxLineChars: number): Options {
  return { skip_empty_lines: true, relax_column_count: true, trim: true, bom: true, info: true, max_record_size: maxLineChars };
}

function csvError(e: unknown, file: string, maxLineChars: number): Error {
  if (e instanceof DataError) return e;
  if (e instanceof CsvError) {
    const line = (e as CsvError & { lines?: number }).lines;
    if (e.code === 'CSV_MAX_RECORD_SIZE') return new DataError(`line ${line ?? '?'} is longer than ${maxLineChars} characters (corrupt, or not a CSV file?)`, file);
    return new DataError(`not readable as CSV: ${e.message.slice(0, 200)}`, file);
  }
  return e as Error;
}

/** Feeds parsed records to a TableBuilder created from the first one (the header). */
class CsvSink {
  builder: TableBuilder | null = null;
  constructor(readonly file: string, readonly opts: CsvOptions) {}
  add({ record, info }: Rec): void {
    if (!this.builder) this.builder = new TableBuilder(this.file, record, this.opts);
    else this.builder.row(info.lines, record);
  }
  finish(): { series: Series; report: ReadReport } {
    if (!this.builder) throw new DataError('no data rows (need a header and at least one row)', this.file);
    return this.builder.finish(this.opts.name ?? seriesName(this.file));
  }
}

/** A file's series name: its base name without .csv / .parquet / .txt and .gz. */
export function seriesName(file: string): string {
  return file.replace(/^.*[\\/]/, '').replace(/\.gz$/i, '').replace(/\.(csv|parquet|txt)$/i, '');
}

/** CSV from a string (small inputs, tests). */
export function parseCsvText(text: string, file: string, opts: CsvOptions = {}, maxLineChars = MAX_LINE_CHARS): { series: Series; report: ReadReport } {
  const sink = new CsvSink(file, opts);
  let records: Rec[];
  try {
    records = parseSync(text, options(maxLineChars)) as unknown as Rec[];
  } catch (e) {
    throw csvError(e, file, maxLineChars);
  }
  for (const r of records) sink.add(r);
  return sink.finish();
}

/** CSV from a byte stream (already decompressed), parsed as it arrives. */
export async function parseCsvStream(input: Readable, file: string, opts: CsvOptions = {}, maxLineChars = MAX_LINE_CHARS): Promise<{ series: Series; report: ReadReport }> {
  const sink = new CsvSink(file, opts);
  let own: unknown = null; // the sink's error: pipeline() may report the AbortError of tearing the streams down instead
  try {
    await pipeline(input, parse(options(maxLineChars)), async (records: AsyncIterable<Rec>) => {
      for await (const r of records) {
        try {
          sink.add(r);
        } catch (e) {
          own = e;
          throw e;
        }
      }
    });
  } catch (e) {
    throw csvError(own ?? e, file, maxLineChars);
  }
  return sink.finish();
}
