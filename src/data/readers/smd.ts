// Per-entity directories of headerless numeric files: train/<e>, test/<e>, test_label/<e> (one 0/1 per test row).
// SMD (Su et al., KDD 2019; ASD uses the same) names them <m>.txt or .txt.gz; JumpStarter and similar server data sets
// <service>.csv (or .csv.gz). Comma-separated numbers, one row per step; timestamps are synthesised every
// `intervalMs` (SMD: one minute) from 0. An empty cell or 'nan' is a missing value; any other non-number is an error
// (a header line in a headerless file, a stray token), never a silent NaN. The files are read by the reader worker
// (read.ts, format 'matrix': matrix.ts).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Series } from '../../core/series.js';
import { DataError } from './report.js';
import { readSeriesFile } from './read.js';

/** File extensions of the SMD layout, in the order they are tried. */
export const SMD_EXTS = ['.txt', '.txt.gz'];
/** File extensions of per-entity CSV directories (JumpStarter-style). */
export const CSV_EXTS = ['.csv', '.csv.gz'];

function fileOf(dir: string, sub: string, machine: string, exts: string[]): string {
  for (const ext of exts) {
    const p = join(dir, sub, machine + ext);
    if (existsSync(p)) return p;
  }
  throw new DataError(`missing ${sub}/${machine}${exts.join(' or ')}`, dir);
}

/** Entity names: the files under test/ with one of `exts`, in natural order (machine-1-2 before machine-1-10). */
export function smdMachines(dir: string, exts: string[] = SMD_EXTS): string[] {
  const d = join(dir, 'test');
  if (!existsSync(d)) throw new DataError('not a per-entity directory (no test/)', dir);
  const ext = (f: string): string | undefined => exts.filter((e) => f.endsWith(e)).sort((a, b) => b.length - a.length)[0];
  const names = readdirSync(d).filter((f) => ext(f)).map((f) => f.slice(0, -ext(f)!.length));
  if (names.length === 0) throw new DataError(`no ${exts.join(' / ')} files under test/`, dir);
  return [...new Set(names)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

export async function readSmdMachine(dir: string, machine: string, exts: string[] = SMD_EXTS, intervalMs = 60_000): Promise<{ train: Series; test: Series }> {
  const read = async (sub: string): Promise<Series> => (await readSeriesFile(fileOf(dir, sub, machine, exts), { format: 'matrix', name: machine })).series;
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
  // the matrix reader puts rows 60 s apart from 0; the test part follows the training part
  const at = (s: Series, from: number): Float64Array => Float64Array.from(s.timestamps, (_, i) => (from + i) * intervalMs);
  return {
    train: { ...train, timestamps: at(train, 0) },
    test: { ...test, timestamps: at(test, train.timestamps.length), labels: Uint8Array.from(lb.values) },
  };
}
