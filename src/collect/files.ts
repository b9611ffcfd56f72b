// File source: CSV / Parquet exports in the `flinkscope eval` CSV schema (timestamp column + metric columns); the
// file name (without extension) names the machine unless given.
import { basename } from 'node:path';
import { readCsvSeries, readParquetSeries } from '../data/index.js';
import type { Sample } from '../core/sample.js';

export async function readFileSamples(path: string, machine?: string): Promise<{ samples: Sample[]; skipped: number }> {
  const isParquet = /\.parquet$/i.test(path);
  const { series, report } = isParquet ? await readParquetSeries(path) : readCsvSeries(path);
  const m = machine ?? basename(path).replace(/\.(csv|parquet)$/i, '');
  const C = series.channels.length;
  const samples: Sample[] = [];
  for (let t = 0; t < series.timestamps.length; t++) {
    for (let c = 0; c < C; c++) {
      const v = series.values[t * C + c];
      if (Number.isFinite(v)) samples.push({ ts: series.timestamps[t], machine: m, metric: series.channels[c], value: v });
    }
  }
  return { samples, skipped: report.skippedCount };
}
