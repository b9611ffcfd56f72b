// Per-entity directories of headerless numeric files: train/<e>, test/<e>, test_label/<e> (one 0/1 per test row).
// SMD (Su et al., KDD 2019; ASD uses the same) names them <m>.txt or .txt.gz; JumpStarter and similar server data sets
// <service>.csv (or .csv.gz). Comma-separated numbers, one row per step; timestamps are synthesised every
// `intervalMs` (SMD: one minute) from 0. An empty cell or 'nan' is a missing value; any other non-number is an error
// (a header line in a headerless file, a stray token), never a silent NaN.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Series } from '../../core/series.js';
import { DataError } from './report.js';

/** File extensions of the SMD layout, in the order they are tried. */
export const SMD_EXTS = ['.txt', '.txt.gz'];
/** File extensions of per-entity CSV directories (JumpStarter-style). */
export const CSV_EXTS = ['.csv', '.csv.gz'];

function readMaybeGz(dir: string, sub: string, machine: string, exts: string[]): { text: string; path: string } {
  for (const ext of exts) {
    const p = join(dir, sub, machine + ext);
    if (existsSync(p)) {
      const buf = readFileSync(p);
      try {
        return { text: ext.endsWith('.gz') ? gunzipSync(buf).toString('utf8') : buf.toString('utf8'), path: p };
      } catch (e) {
        throw new DataError(`cannot decompress (truncated gzip?): ${(e as Error).message}`, p);
      }
    }
  }
  throw new DataError(`missing ${sub}/${machine}${exts.join(' or ')}`, dir);
}

function parseMatrix(text: string, path: string, C?: number): { values: Float32Array; T: number; C: number } {
  const lines = text.split('\n').map((l, i) => ({ l, line: i + 1 })).filter(({ l }) => l.trim() !== '');
  const width = C ?? lines[0]?.l.split(',').length ?? 0;
  if (lines.length === 0 || width === 0) throw new DataError('empty file', path);
  const values = new Float32Array(lines.length * width);
  lines.forEach(({ l, line }, i) => {
    const parts = l.split(',');
    if (parts.length !== width) throw new DataError(`line ${line} has ${parts.length} values, expected ${width}`, path);
    for (let j = 0; j < width; j++) {
      const raw = parts[j].trim();
      const v = raw === '' || /^nan$/i.test(raw) ? NaN : Number(raw);
      if (Number.isNaN(v) && raw !== '' && !/^nan$/i.test(raw)) {
        throw new DataError(`line ${line}, field ${j + 1}: '${raw.slice(0, 40)}' is not a number${i === 0 ? ' (these files have no header line)' : ''}`, path);
      }
      values[i * width + j] = v;
    }
  });
  return { values, T: lines.length, C: width };
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

export function readSmdMachine(dir: string, machine: string, exts: string[] = SMD_EXTS, intervalMs = 60000): { train: Series; test: Series } {
  const tr = readMaybeGz(dir, 'train', machine, exts);
  const te = readMaybeGz(dir, 'test', machine, exts);
  const lb = readMaybeGz(dir, 'test_label', machine, exts);
  const a = parseMatrix(tr.text, tr.path);
  const b = parseMatrix(te.text, te.path, a.C);
  const l = parseMatrix(lb.text, lb.path, 1);
  if (l.T !== b.T) throw new DataError(`${l.T} labels for ${b.T} test rows`, lb.path);
  const odd = l.values.findIndex((v) => v !== 0 && v !== 1);
  if (odd >= 0) throw new DataError(`row ${odd + 1}: label ${l.values[odd]} is not 0 or 1`, lb.path);
  const channels = Array.from({ length: a.C }, (_, j) => `m${j}`);
  const ts = (n: number, from: number): Float64Array => Float64Array.from({ length: n }, (_, i) => (from + i) * intervalMs);
  return {
    train: { name: machine, timestamps: ts(a.T, 0), channels, values: a.values, meta: { source: tr.path } },
    test: { name: machine, timestamps: ts(b.T, a.T), channels, values: b.values, labels: Uint8Array.from(l.values), meta: { source: te.path } },
  };
}
