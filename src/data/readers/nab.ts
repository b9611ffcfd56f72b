// NAB (Lavin & Ahmad 2015): data/<category>/<file>.csv (timestamp,value) and labels/combined_windows.json (anomaly
// windows per file). Each file is one univariate series; its first 15 % (NAB's probationary period) is training.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Series } from '../../core/series.js';
import { parseTimestamp } from './table.js';
import { readCsvSeries } from './read.js';
import { DataError } from './report.js';

export interface NabFile {
  key: string; // <category>/<file>.csv
  series: Series;
  trainEnd: number;
}

export async function readNab(dir: string, subsets?: string[]): Promise<NabFile[]> {
  const labelsPath = join(dir, 'labels', 'combined_windows.json');
  if (!existsSync(labelsPath)) throw new DataError('not a NAB checkout (no labels/combined_windows.json)', dir);
  let windows: Record<string, [string, string][]>;
  try {
    windows = JSON.parse(readFileSync(labelsPath, 'utf8'));
  } catch (e) {
    throw new DataError(`labels are not valid JSON: ${(e as Error).message}`, labelsPath);
  }
  const out: NabFile[] = [];
  const cats = readdirSync(join(dir, 'data')).filter((c) => !subsets || subsets.includes(c)).sort();
  for (const cat of cats) {
    for (const f of readdirSync(join(dir, 'data', cat)).filter((x) => x.endsWith('.csv')).sort()) {
      const key = `${cat}/${f}`;
      const { series } = await readCsvSeries(join(dir, 'data', cat, f), { name: key.replace(/\.csv$/, ''), labelColumn: null });
      const labels = new Uint8Array(series.timestamps.length);
      for (const [a, b] of windows[key] ?? []) {
        const ta = parseTimestamp(a);
        const tb = parseTimestamp(b);
        series.timestamps.forEach((t, i) => {
          if (t >= ta && t <= tb) labels[i] = 1;
        });
      }
      series.labels = labels;
      out.push({ key, series, trainEnd: Math.floor(series.timestamps.length * 0.15) });
    }
  }
  if (out.length === 0) throw new DataError(`no CSV files under data/${subsets ? ` for subsets ${subsets.join(', ')}` : ''}`, dir);
  return out;
}
