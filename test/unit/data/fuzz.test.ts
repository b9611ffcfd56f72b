// Fuzzing the file readers: seeded mutations (byte flips, truncations, insertions, deletions, duplicated headers,
// huge fields, random bytes, gzip wrapping and truncated gzip) of small valid CSV and Parquet files, each read through
// the production path (readSeriesFile: the reader worker with its deadline and budgets). Every case must end in a
// DataError or in a Series that keeps every invariant — never a hang, another kind of error, or a stray rejection.
// CSV results are also checked against the in-process string parser (same bytes, different chunking).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { readSeriesFile, parseCsvText, DataError, type ReadLimits } from '../../../src/data/index.js';
import { validateSeries, type Series } from '../../../src/core/series.js';
import { Rng } from '../../../src/tensor/rng.js';

const CASES = { csv: 1200, parquet: 1000 };
// A small file decodes in milliseconds; the deadline is what turns a decoder loop into an error.
const LIMITS: ReadLimits = { timeoutMs: 1500, maxLineChars: 4096, maxBytes: 1 << 20, maxHeapMb: 256 };

const BASE_CSV = [
  'timestamp,cpu,heap_used,lat,label',
  '2026-01-01 00:00:00,0.5,123456789,10,0',
  '2026-01-01 00:01:00,0.25,123456790,,0',
  '2026-01-01T00:02:00Z,0.75,1e9,12.5,1',
  '1767225780,-0.5,"2",1e-300,0',
  '2026-01-01 00:04:00,0.125,42,13,1',
  '2026-01-01 00:05:00,NaN,43,14,0',
].join('\n') + '\n';

const BASE_PARQUET = Buffer.from(parquetWriteBuffer({ columnData: [
  { name: 'timestamp', data: Array.from({ length: 12 }, (_, i) => 1767225600000 + i * 60_000), type: 'DOUBLE' },
  { name: 'cpu', data: Array.from({ length: 12 }, (_, i) => i / 8), type: 'DOUBLE' },
  { name: 'heap_used', data: Array.from({ length: 12 }, (_, i) => 123456789 + i), type: 'DOUBLE' },
  { name: 'label', data: Array.from({ length: 12 }, (_, i) => (i % 5 === 0 ? 1 : 0)), type: 'INT32' },
] }));

type Mutation = (b: Buffer, r: Rng) => Buffer;
const int = (r: Rng, n: number): number => r.nextU32() % Math.max(n, 1);
const flip: Mutation = (b, r) => {
  const o = Buffer.from(b);
  for (let k = 1 + int(r, 3); k > 0; k--) o[int(r, o.length)] = int(r, 256);
  return o;
};
const truncate: Mutation = (b, r) => b.subarray(0, int(r, b.length));
const insert: Mutation = (b, r) => {
  const at = int(r, b.length + 1);
  return Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + int(r, 16) }, () => int(r, 256))), b.subarray(at)]);
};
const cut: Mutation = (b, r) => {
  const at = int(r, b.length);
  return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + int(r, 32))]);
};
const randomBytes: Mutation = (_b, r) => Buffer.from(Array.from({ length: int(r, 512) }, () => int(r, 256)));
const hugeField: Mutation = (b, r) => {
  const at = int(r, b.length + 1);
  return Buffer.concat([b.subarray(0, at), Buffer.alloc(5000 + int(r, 5000), 'x'), b.subarray(at)]);
};
const dupHeader: Mutation = (b, r) => {
  const [head, ...rest] = b.toString('utf8').split('\n');
  const cols = head.split(',');
  cols[1 + int(r, cols.length - 1)] = cols[int(r, cols.length)];
  return Buffer.from([cols.join(','), ...rest].join('\n'));
};
const gzipped = (m: Mutation): Mutation => (b, r) => gzipSync(m(b, r));
const truncatedGzip: Mutation = (b, r) => {
  const z = gzipSync(b);
  return z.subarray(0, 2 + int(r, z.length - 2));
};
const CSV_MUTATIONS: Mutation[] = [flip, flip, truncate, insert, cut, randomBytes, hugeField, dupHeader, gzipped(flip), truncatedGzip];
const PARQUET_MUTATIONS: Mutation[] = [flip, flip, flip, truncate, insert, cut, randomBytes, gzipped(flip), truncatedGzip];

/** Invariants of any Series a reader may return. */
function checkSeries(s: Series, rows: number): void {
  validateSeries(s);
  assert.equal(rows, s.timestamps.length, 'report.rows = T');
  assert.ok(s.values instanceof Float64Array, 'float64 values');
  for (const v of s.values) assert.ok(Number.isNaN(v) || Number.isFinite(v), `value ${v}`);
  for (const t of s.timestamps) assert.ok(Number.isFinite(t) && Math.abs(t) <= 8.64e15, `timestamp ${t}`);
  if (s.labels) for (const l of s.labels) assert.ok(l === 0 || l === 1);
  assert.ok(s.channels.every((c) => c.trim() !== ''));
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => a.length === b.length && Array.from(a).every((x, i) => Object.is(x, b[i]));

test('fuzzed CSV and Parquet files end in a DataError or valid data: no hang, crash or stray rejection', { timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flinkscope-fuzz-'));
  let strays = 0;
  const onStray = (): void => void strays++;
  process.on('unhandledRejection', onStray);
  const outcome: Record<string, number> = {};
  const count = (k: string): void => void (outcome[k] = (outcome[k] ?? 0) + 1);
  const rng = new Rng(20260101);
  try {
    for (const [format, n, base, mutations] of [['csv', CASES.csv, Buffer.from(BASE_CSV), CSV_MUTATIONS], ['parquet', CASES.parquet, BASE_PARQUET, PARQUET_MUTATIONS]] as const) {
      for (let i = 0; i < n; i++) {
        const bytes = mutations[int(rng, mutations.length)](base, rng);
        const path = join(dir, `case-${format}-${i}.${format}`);
        writeFileSync(path, bytes);
        try {
          const { series, report } = await readSeriesFile(path, { format, limits: LIMITS });
          checkSeries(series, report.rows);
          if (format === 'csv') {
            const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
            const ref = parseCsvText(text, path, {}, LIMITS.maxLineChars);
            assert.deepEqual(series.channels, ref.series.channels, `case ${i}: channels as the string parser`);
            assert.ok(same(series.timestamps, ref.series.timestamps) && same(series.values, ref.series.values), `case ${i}: same data as the string parser`);
            assert.deepEqual(report, ref.report, `case ${i}: same report as the string parser`);
          }
          count(`${format} ok`);
        } catch (e) {
          if (e instanceof assert.AssertionError) throw e;
          assert.ok(e instanceof DataError, `${format} case ${i}: not a DataError: ${(e as Error).stack}`);
          assert.ok(e.message.startsWith(path), `${format} case ${i}: the error names the file: ${e.message}`);
          assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
          count(`${format} ${/gave up after/.test(e.message) ? 'deadline' : 'DataError'}`);
        }
        rmSync(path);
      }
    }
  } finally {
    process.off('unhandledRejection', onStray);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`fuzz outcomes: ${JSON.stringify(outcome)}`);
  assert.equal(Object.values(outcome).reduce((a, b) => a + b, 0), CASES.csv + CASES.parquet);
  assert.ok(CASES.csv + CASES.parquet >= 2000);
  // the mutations must exercise both ends, or the test proves nothing
  for (const k of ['csv ok', 'csv DataError', 'parquet ok', 'parquet DataError']) assert.ok((outcome[k] ?? 0) > 0, `no '${k}' outcome`);
  assert.equal(strays, 0, 'stray promise rejections');
});
