// File source: CSV / Parquet exports (optionally gzipped) in the `flinkscope eval` CSV schema (timestamp column +
// metric columns); the file name (without extensions) names the machine unless given. Read by the budgeted reader
// worker; values stay float64; the reader's report (rows dropped and cells missing, by reason) comes back with them.
import { readSeriesFile, type ReadLimits, type ReadReport } from '../data/index.js';
import type { Sample } from '../core/sample.js';

export async function readFileSamples(path: string, machine?: string, limits?: ReadLimits): Promise<{ samples: Sample[]; report: ReadReport; machine: string }> {
  const format = /\.parquet(\.gz)?$/i.test(path) ? 'parquet' : 'csv';
  const { series, report } = await readSeriesFile(path, { format, limits });
  const m = machine ?? series.name;
  const C = series.channels.length;
  const samples: Sample[] = [];
  for (let t = 0; t < series.timestamps.length; t++) {
    for (let c = 0; c < C; c++) {
      const v = series.values[t * C + c];
      if (Number.isFinite(v)) samples.push({ ts: series.timestamps[t], machine: m, metric: series.channels[c], value: v });
    }
  }
  return { samples, report, machine: m };
}
