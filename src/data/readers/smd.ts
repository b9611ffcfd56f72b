// SMD layout (Su et al., KDD 2019; ASD uses the same): train/<m>.txt, test/<m>.txt, test_label/<m>.txt, plain or
// .txt.gz; comma-separated numbers, one row per minute. Timestamps are synthesised at 60 s from 0. The files are read
// by the reader worker (read.ts, format 'matrix': matrix.ts).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Series } from '../../core/series.js';
import { DataError } from './report.js';
import { readSeriesFile } from './read.js';

function fileOf(dir: string, sub: string, machine: string): string {
  for (const ext of ['.txt', '.txt.gz']) {
    const p = join(dir, sub, machine + ext);
    if (existsSync(p)) return p;
  }
  throw new DataError(`missing ${sub}/${machine}.txt[.gz]`, dir);
}

export function smdMachines(dir: string): string[] {
  const d = join(dir, 'test');
  if (!existsSync(d)) throw new DataError('not an SMD-style directory (no test/)', dir);
  return readdirSync(d).filter((f) => /\.txt(\.gz)?$/.test(f)).map((f) => f.replace(/\.txt(\.gz)?$/, '')).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

export async function readSmdMachine(dir: string, machine: string): Promise<{ train: Series; test: Series }> {
  const read = async (sub: string): Promise<Series> => (await readSeriesFile(fileOf(dir, sub, machine), { format: 'matrix', name: machine })).series;
  const train = await read('train');
  const test = await read('test');
  const lb = await read('test_label');
  const lbPath = String(lb.meta?.source);
  if (test.channels.length !== train.channels.length) throw new DataError(`${test.channels.length} values a row, the training file has ${train.channels.length}`, String(test.meta?.source));
  if (lb.channels.length !== 1) throw new DataError(`${lb.channels.length} values a row, expected one label`, lbPath);
  const T = test.timestamps.length;
  if (lb.timestamps.length !== T) throw new DataError(`${lb.timestamps.length} labels for ${T} test rows`, lbPath);
  const bad = lb.values.findIndex((v) => v !== 0 && v !== 1);
  if (bad >= 0) throw new DataError(`line ${bad + 1}: label ${lb.values[bad]} is not 0 or 1`, lbPath);
  const shift = train.timestamps.length * 60_000; // the test part follows the training part
  return {
    train,
    test: { ...test, timestamps: test.timestamps.map((t) => t + shift), labels: Uint8Array.from(lb.values) },
  };
}
