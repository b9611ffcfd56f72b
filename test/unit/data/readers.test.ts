// The reader edges: strict headers and cells, float64 values, gzip, and the budgets of the reader worker (line length,
// bytes on disk and decompressed, the deadline that stops a decoder loop).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { readSeriesFile, readCsvSeries, readParquetSeries, parseCsvText, DataError, describeReport } from '../../../src/data/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'flinkscope-readers-'));
const file = (name: string, content: string | Buffer): string => {
  const p = join(tmp, name);
  writeFileSync(p, content);
  return p;
};
const isDataError = (re: RegExp) => (e: unknown): boolean => e instanceof DataError && re.test(e.message);

describe('reader edges', () => {
  it('values are float64 end to end; non-numbers are gaps counted by reason, never 0', async () => {
    const p = file('m.csv', 'timestamp,cpu,bytes\n1700000000,0.5,123456789\n1700000060,0x10,1e39\n1700000120,,true\n1700000180,NaN,1e400\n');
    const { series, report } = await readCsvSeries(p);
    assert.ok(series.values instanceof Float64Array);
    assert.equal(series.values[1], 123456789, 'not rounded to float32 (123456792)');
    assert.equal(series.values[3], 1e39, 'beyond float32, kept');
    assert.ok([2, 4, 5, 6, 7].every((i) => Number.isNaN(series.values[i])), '0x10, empty, true, NaN, 1e400 are gaps');
    assert.equal(report.missing, 5);
    assert.deepEqual(report.missingByReason, { 'not a number': 2, empty: 1, 'not finite': 2 });
    assert.match(describeReport(report), /4 rows; 5 missing cells \(not a number 2, empty 1, not finite 2\)/);
  });
  it('duplicate, blank and missing requested columns are errors naming them', async () => {
    await assert.rejects(readCsvSeries(file('d.csv', 'timestamp,cpu,lat,cpu\n1,2,3,4\n')), isDataError(/d\.csv: duplicate column name: 'cpu' \(columns 2, 4\)/));
    await assert.rejects(readCsvSeries(file('b.csv', 'timestamp,,lat\n1,2,3\n')), isDataError(/column 2 of the header has no name/));
    await assert.rejects(readCsvSeries(file('t.csv', 'time,cpu\n1,2\n'), { timestampColumn: 'ts' }), isDataError(/no timestamp column 'ts' \(columns: time, cpu\)/));
    await assert.rejects(readCsvSeries(file('l.csv', 'timestamp,cpu\n1,2\n'), { labelColumn: 'anomaly' }), isDataError(/no label column 'anomaly'/));
    const dup = Buffer.from(parquetWriteBuffer({ columnData: [
      { name: 'timestamp', data: [1, 2], type: 'DOUBLE' }, { name: 'cpu', data: [1, 2], type: 'DOUBLE' }, { name: 'cpu', data: [3, 4], type: 'DOUBLE' },
    ] }));
    await assert.rejects(readParquetSeries(file('d.parquet', dup)), isDataError(/duplicate column name: 'cpu' \(columns 2, 3\)/));
  });
  it('every dropped row is counted by reason; labels must be 0 or 1', () => {
    const { series, report } = parseCsvText('timestamp,cpu,label\n1,1,0\n2,2,2\nx,3,0\n4,4\n5,5,1\n', 'r.csv');
    assert.deepEqual(Array.from(series.labels!), [0, 1]);
    assert.deepEqual(report.skippedByReason, { label: 1, timestamp: 1, 'field count': 1 });
    assert.equal(report.skippedCount, 3);
    assert.match(report.skipped[0].reason, /label '2' is not 0 or 1/);
  });
  it('gzip is read (CSV and Parquet, by content); a truncated gzip is a clear error', async () => {
    const text = 'timestamp,cpu\n1700000000,1.5\n1700000060,2.5\n';
    const { series } = await readCsvSeries(file('z.csv.gz', gzipSync(text)));
    assert.deepEqual(Array.from(series.values), [1.5, 2.5]);
    assert.equal(series.name, 'z');
    const pq = Buffer.from(parquetWriteBuffer({ columnData: [{ name: 'timestamp', data: [1700000000000], type: 'DOUBLE' }, { name: 'cpu', data: [7.25], type: 'DOUBLE' }] }));
    assert.deepEqual(Array.from((await readSeriesFile(file('z.parquet.gz', gzipSync(pq)))).series.values), [7.25]);
    await assert.rejects(readCsvSeries(file('cut.csv.gz', gzipSync(text).subarray(0, 20))), isDataError(/cannot decompress \(truncated or corrupt gzip\?\)/));
  });
  it('budgets: a line longer than the limit, a file or a decompressed stream larger than the limit', async () => {
    const huge = file('h.csv', `timestamp,${'x'.repeat(3 << 20)}\n1,2\n`); // 3 Mi characters: beyond the default 1 Mi
    await assert.rejects(readCsvSeries(huge), isDataError(/line 1 is longer than 1048576 characters/));
    await assert.rejects(readCsvSeries(huge, { limits: { maxBytes: 1000 } }), isDataError(/is 3145743 bytes; the read limit is 1000/));
    const bomb = file('bomb.csv.gz', gzipSync(`timestamp,cpu\n${'1,2\n'.repeat(1 << 18)}`)); // ~1 MB out of a few KB
    await assert.rejects(readCsvSeries(bomb, { limits: { maxBytes: 100_000 } }), isDataError(/holds more than 100000 bytes \(decompressed\)/));
    await assert.rejects(readCsvSeries(join(tmp, 'absent.csv')), isDataError(/absent\.csv: cannot read: ENOENT/));
  });
  it('a Parquet file that makes the decoder loop ends at the deadline; the next read gets a fresh worker', async () => {
    const ok = Buffer.from(parquetWriteBuffer({ columnData: [
      { name: 'timestamp', data: [1700000000000, 1700000060000, 1700000120000], type: 'DOUBLE' },
      { name: 'cpu', data: [0.5, 0.7, 0.9], type: 'DOUBLE' },
    ] }));
    const loop = Buffer.from(ok);
    loop[11] = 0; // the first page header loses a field: hyparquet 1.31 then reads pages for ever at 100 % CPU
    await assert.rejects(readParquetSeries(file('loop.parquet', loop), { limits: { timeoutMs: 1000 } }), isDataError(/loop\.parquet: gave up after 1\.0 s: decoding did not finish/));
    assert.deepEqual(Array.from((await readParquetSeries(file('ok.parquet', ok))).series.values), [0.5, 0.7, 0.9]);
  });
});
