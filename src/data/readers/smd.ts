// SMD layout (Su et al., KDD 2019; ASD uses the same): train/<m>.txt, test/<m>.txt, test_label/<m>.txt, plain or
// .txt.gz; comma-separated numbers, one row per minute. Timestamps are synthesised at 60 s from 0.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Series } from '../../core/series.js';
import { DataError } from './report.js';

function readMaybeGz(dir: string, sub: string, machine: string): { text: string; path: string } {
  for (const ext of ['.txt', '.txt.gz']) {
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
  throw new DataError(`missing ${sub}/${machine}.txt[.gz]`, dir);
}

function parseMatrix(text: string, path: string, C?: number): { values: Float32Array; T: number; C: number } {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const width = C ?? lines[0]?.split(',').length ?? 0;
  if (lines.length === 0 || width === 0) throw new DataError('empty file', path);
  const values = new Float32Array(lines.length * width);
  lines.forEach((l, i) => {
    const parts = l.split(',');
    if (parts.length !== width) throw new DataError(`line ${i + 1} has ${parts.length} values, expected ${width}`, path);
    for (let j = 0; j < width; j++) {
      const v = Number(parts[j]);
      values[i * width + j] = Number.isFinite(v) ? v : NaN;
    }
  });
  return { values, T: lines.length, C: width };
}

export function smdMachines(dir: string): string[] {
  const d = join(dir, 'test');
  if (!existsSync(d)) throw new DataError('not an SMD-style directory (no test/)', dir);
  return readdirSync(d).filter((f) => /\.txt(\.gz)?$/.test(f)).map((f) => f.replace(/\.txt(\.gz)?$/, '')).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

export function readSmdMachine(dir: string, machine: string): { train: Series; test: Series } {
  const tr = readMaybeGz(dir, 'train', machine);
  const te = readMaybeGz(dir, 'test', machine);
  const lb = readMaybeGz(dir, 'test_label', machine);
  const a = parseMatrix(tr.text, tr.path);
  const b = parseMatrix(te.text, te.path, a.C);
  const l = parseMatrix(lb.text, lb.path, 1);
  if (l.T !== b.T) throw new DataError(`${l.T} labels for ${b.T} test rows`, lb.path);
  const channels = Array.from({ length: a.C }, (_, j) => `m${j}`);
  const ts = (n: number, from: number): Float64Array => Float64Array.from({ length: n }, (_, i) => (from + i) * 60000);
  return {
    train: { name: machine, timestamps: ts(a.T, 0), channels, values: a.values, meta: { source: tr.path } },
    test: { name: machine, timestamps: ts(b.T, a.T), channels, values: b.values, labels: Uint8Array.from(l.values, (v) => (v ? 1 : 0)), meta: { source: te.path } },
  };
}
