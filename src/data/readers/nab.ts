// NAB (Lavin & Ahmad 2015): data/<category>/<file>.csv (timestamp,value) and labels/combined_windows.json (anomaly
// windows per file). Each file is one univariate series; its first 15 % (NAB's probationary period) is training.
// Strict: a subset that names no category is an error (a typo must not silently shrink the benchmark); a file with
// no entry in the labels is read without labels (labels undefined), for the caller to skip and say so.
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
  const present = readdirSync(join(dir, 'data'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const unknown = (subsets ?? []).filter((c) => !present.includes(c));
  if (unknown.length) throw new DataError(`unknown NAB subset${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => `'${c}'`).join(', ')} (have: ${present.join(', ')})`, dir);
  const cats = present.filter((c) => !subsets || subsets.includes(c));
  for (const cat of cats) {
    for (const f of readdirSync(join(dir, 'data', cat)).filter((x) => x.endsWith('.csv')).sort()) {
      const key = `${cat}/${f}`;
      const { series } = await readCsvSeries(join(dir, 'data', cat, f), { name: key.replace(/\.csv$/, ''), labelColumn: null });
      const win = windows[key];
      if (win === undefined) {
        out.push({ key, series, trainEnd: Math.floor(series.timestamps.length * 0.15) }); // unlabelled: no labels at all
        continue;
      }
      const labels = new Uint8Array(series.timestamps.length);
      for (const [a, b] of win) {
        const ta = parseTimestamp(a);
        const tb = parseTimestamp(b);
        if (!(Number.isFinite(ta) && Number.isFinite(tb))) throw new DataError(`window [${a}, ${b}] of ${key} has an unreadable timestamp`, labelsPath);
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
