// Readers on hand-made files (malformed rows, gz, unsorted, duplicates) and on the real dev data; the generator.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { loadDataset, parseCsvText, parseTimestamp, readParquetSeries, generateCluster, clusterSeries, FLINK_CHANNELS, DataError } from '../../../src/data/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'flinkscope-data-'));
const SHARED = '/work/shared/data';

describe('readers', () => {
  it('CSV: timestamps in several formats, missing cells, malformed rows, unsorted and duplicate rows are repaired and reported', () => {
    const text = [
      'timestamp,cpu,lat,label',
      '2026-01-01 00:02:00,0.5,10,0',
      '2026-01-01 00:00:00,0.4,,0',
      '2026-01-01 00:01:00,0.6,12,1',
      '2026-01-01 00:01:00,0.7,13,1',
      'garbage,1,2,0',
      '2026-01-01 00:03:00,0.5,10',
    ].join('\n');
    const { series, report } = parseCsvText(text, 'x.csv');
    assert.deepEqual(series.channels, ['cpu', 'lat']);
    assert.equal(series.timestamps.length, 3);
    assert.deepEqual(Array.from(series.timestamps), [Date.UTC(2026, 0, 1, 0, 0), Date.UTC(2026, 0, 1, 0, 1), Date.UTC(2026, 0, 1, 0, 2)]);
    assert.ok(Number.isNaN(series.values[1]), 'empty cell is NaN');
    assert.equal(series.values[2], 0.7, 'the last duplicate wins (float64: no rounding)');
    assert.deepEqual(Array.from(series.labels!), [0, 1, 0]);
    assert.equal(report.sorted, true);
    assert.equal(report.duplicates, 1);
    assert.equal(report.missing, 1);
    assert.equal(report.skippedCount, 2);
    assert.match(report.skipped[0].reason, /unreadable timestamp 'garbage'/);
    assert.match(report.skipped[1].reason, /3 fields, header has 4/);
    assert.equal(report.medianIntervalMs, 60000);
  });
  it('timestamps: epoch seconds, milliseconds, ISO with zone', () => {
    assert.equal(parseTimestamp('1700000000'), 1700000000000);
    assert.equal(parseTimestamp('1700000000000'), 1700000000000);
    assert.equal(parseTimestamp('2026-01-01T01:00:00+01:00'), Date.UTC(2026, 0, 1));
  });
  it('CSV with nothing usable is a clear error', () => {
    assert.throws(() => parseCsvText('timestamp,a\n', 'e.csv'), (e: Error) => e instanceof DataError && /no data rows/.test(e.message));
    assert.throws(() => parseCsvText('timestamp,a\nx,1\n', 'e.csv'), /every row was malformed/);
  });
  it('SMD layout with gz files, and a truncated gz is a clear error', async () => {
    const dir = join(tmp, 'smd');
    for (const d of ['train', 'test', 'test_label']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'train', 'm-1.txt.gz'), gzipSync('1,2\n3,4\n5,6\n'));
    writeFileSync(join(dir, 'test', 'm-1.txt'), '1,2\n9,9\n');
    writeFileSync(join(dir, 'test_label', 'm-1.txt'), '0\n1\n');
    const [item] = await loadDataset(`smd:${dir}`);
    assert.equal(item.train.timestamps.length, 3);
    assert.deepEqual(Array.from(item.test.labels!), [0, 1]);
    assert.deepEqual(item.train.channels, ['m0', 'm1']);
    writeFileSync(join(dir, 'train', 'm-1.txt.gz'), gzipSync('1,2\n3,4\n').subarray(0, 10));
    await assert.rejects(loadDataset(`smd:${dir}`), /cannot decompress/);
  });
  it('Parquet round trip through hyparquet-writer', async () => {
    const path = join(tmp, 'x.parquet');
    const buf = parquetWriteBuffer({ columnData: [
      { name: 'timestamp', data: [1700000000000, 1700000060000], type: 'DOUBLE' },
      { name: 'cpu', data: [0.5, 0.7], type: 'DOUBLE' },
      { name: 'label', data: [0, 1], type: 'INT32' },
    ] });
    writeFileSync(path, Buffer.from(buf));
    const { series } = await readParquetSeries(path);
    assert.deepEqual(series.channels, ['cpu']);
    assert.deepEqual(Array.from(series.labels!), [0, 1]);
    assert.equal(series.timestamps[1], 1700000060000);
  });
  it('bad specs are clear errors', async () => {
    await assert.rejects(loadDataset('foo'), /is not kind:target/);
    await assert.rejects(loadDataset('bogus:x'), /unknown dataset kind 'bogus'/);
    await assert.rejects(loadDataset('synthetic:flink?machines=abc'), /machines=abc is not a number/);
    await assert.rejects(loadDataset('synthetic:flink?machine=3'), /unknown option 'machine' for synthetic \(known: machines, .*name\)/);
    await assert.rejects(loadDataset('synthetic:flink?seed=1&seed=2'), /option 'seed' given twice/);
  });
  it('csvdir: headerless per-entity CSVs (JumpStarter layout) under an explicit dataset name', async () => {
    const dir = fileURLToPath(new URL('../../../../test/fixtures/csvdir', import.meta.url));
    const items = await loadDataset(`csvdir:${dir}?name=JumpLike`);
    assert.deepEqual(items.map((i) => [i.dataset, i.series]), [['JumpLike', 'service1'], ['JumpLike', 'service2'], ['JumpLike', 'service3']]);
    assert.deepEqual(items[0].train.channels, ['m0', 'm1', 'm2']);
    assert.equal(items[0].train.timestamps.length, 80);
    assert.equal(items[0].test.timestamps[0], 80 * 60_000, 'timestamps continue from training at 60 s');
    assert.deepEqual(Array.from(items[0].test.labels!.subarray(24, 31)), [0, 1, 1, 1, 1, 1, 0]);
    assert.equal(items[0].train.values[0], 0.5019, 'float64: exact');
    const fast = await loadDataset(`csvdir:${dir}?name=J&interval=10`);
    assert.equal(fast[0].train.timestamps[1], 10_000);
    await assert.rejects(loadDataset(`csvdir:${dir}`), /csvdir needs \?name=<dataset name>/);
    await assert.rejects(loadDataset(`csvdir:${dir}?name=J&train=0.5`), /unknown option 'train' for csvdir/);
  });
  it('csvdir: a header line, a stray token or a label other than 0/1 is an error naming file, line and field', async () => {
    const dir = join(tmp, 'csvdir');
    for (const d of ['train', 'test', 'test_label']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'train', 's1.csv'), 'cpu,mem\n1,2\n3,4\n');
    writeFileSync(join(dir, 'test', 's1.csv'), '1,2\n,nan\n');
    writeFileSync(join(dir, 'test_label', 's1.csv'), '0\n1\n');
    await assert.rejects(loadDataset(`csvdir:${dir}?name=x`), /train\/s1\.csv: line 1, field 1: 'cpu' is not a number \(these files have no header line\)/);
    writeFileSync(join(dir, 'train', 's1.csv'), '1,2\n3,4x\n');
    await assert.rejects(loadDataset(`csvdir:${dir}?name=x`), /line 2, field 2: '4x' is not a number/);
    writeFileSync(join(dir, 'train', 's1.csv'), '1,2\n3,4\n');
    const [item] = await loadDataset(`csvdir:${dir}?name=x`);
    assert.ok(Number.isNaN(item.test.values[2]) && Number.isNaN(item.test.values[3]), 'empty and nan cells are missing values, not 0');
    writeFileSync(join(dir, 'test_label', 's1.csv'), '0\n2\n');
    await assert.rejects(loadDataset(`csvdir:${dir}?name=x`), /line 2: label 2 is not 0 or 1/);
  });
  it('NAB: a misspelled subset is an error; a file without labels is read unlabelled (not as all-normal)', async () => {
    const dir = join(tmp, 'nab');
    for (const c of ['realA', 'realB']) mkdirSync(join(dir, 'data', c), { recursive: true });
    mkdirSync(join(dir, 'labels'), { recursive: true });
    const csv = ['timestamp,value', ...Array.from({ length: 40 }, (_, i) => `2026-01-01 00:${String(i).padStart(2, '0')}:00,${i % 5}`)].join('\n');
    writeFileSync(join(dir, 'data', 'realA', 'a.csv'), csv);
    writeFileSync(join(dir, 'data', 'realB', 'b.csv'), csv);
    writeFileSync(join(dir, 'labels', 'combined_windows.json'), JSON.stringify({ 'realA/a.csv': [['2026-01-01 00:30:00', '2026-01-01 00:32:00']] }));
    await assert.rejects(loadDataset(`nab:${dir}?subset=realA,realBB`), /unknown NAB subset 'realBB' \(have: realA, realB\)/);
    await assert.rejects(loadDataset(`nab:${dir}?subset=realA,`), /subset= holds an empty name/);
    const items = await loadDataset(`nab:${dir}?name=NAB-mini`);
    assert.deepEqual(items.map((i) => [i.dataset, i.series]), [['NAB-mini', 'realA/a.csv'], ['NAB-mini', 'realB/b.csv']]);
    assert.equal(items[0].test.labels!.reduce((a, b) => a + b, 0), 3);
    assert.equal(items[1].test.labels, undefined);
  });
  it('real dev data: SMD-dev, ASD and NAB-dev load with labels', { skip: !existsSync(SHARED) && 'no ../shared/data here' }, async () => {
    const smd = await loadDataset(`smd:${SHARED}/SMD-dev`);
    assert.equal(smd.length, 7);
    assert.equal(smd[0].train.channels.length, 38);
    assert.ok(smd.every((s) => s.test.labels!.some((v) => v === 1)));
    const asd = await loadDataset(`smd:${SHARED}/ASD`);
    assert.equal(asd.length, 12);
    assert.equal(asd[0].train.channels.length, 19);
    const nab = await loadDataset(`nab:${SHARED}/NAB-dev?subset=realTraffic`);
    assert.ok(nab.length >= 5);
    assert.ok(nab.some((s) => s.test.labels!.some((v) => v === 1)));
    assert.equal(nab[0].train.timestamps.length, Math.floor((nab[0].train.timestamps.length + nab[0].test.timestamps.length) * 0.15));
    await assert.rejects(loadDataset(`nab:${SHARED}/NAB-dev?subset=realKnownCaus,realTraffic`), /unknown NAB subset 'realKnownCaus'/);
  });
});

describe('synthetic Flink cluster', () => {
  it('is deterministic per seed and different across seeds', () => {
    const a = clusterSeries(generateCluster({ machines: 3, days: 1, seed: 5 }));
    const b = clusterSeries(generateCluster({ machines: 3, days: 1, seed: 5 }));
    const c = clusterSeries(generateCluster({ machines: 3, days: 1, seed: 6 }));
    assert.deepEqual(a[1].test.values, b[1].test.values);
    assert.notDeepEqual(a[1].test.values, c[1].test.values);
  });
  it('metrics move together: throughput drives busy time and CPU', () => {
    const [m] = clusterSeries(generateCluster({ machines: 2, days: 2, seed: 1, contamination: 0 }));
    const C = FLINK_CHANNELS.length;
    const col = (name: string): number[] => {
      const j = FLINK_CHANNELS.indexOf(name as never);
      return Array.from({ length: m.train.timestamps.length }, (_, t) => m.train.values[t * C + j]);
    };
    const corr = (x: number[], y: number[]): number => {
      const mx = x.reduce((p, q) => p + q, 0) / x.length;
      const my = y.reduce((p, q) => p + q, 0) / y.length;
      let sxy = 0, sxx = 0, syy = 0;
      x.forEach((v, i) => { sxy += (v - mx) * (y[i] - my); sxx += (v - mx) ** 2; syy += (y[i] - my) ** 2; });
      return sxy / Math.sqrt(sxx * syy);
    };
    assert.ok(corr(col('records_in_per_s'), col('busy_ms_per_s')) > 0.8);
    assert.ok(corr(col('busy_ms_per_s'), col('cpu_load')) > 0.8);
  });
  it('labels every test hotspot, keeps training contamination hidden and near the requested share', () => {
    const c = generateCluster({ machines: 10, days: 4, seed: 2, contamination: 0.1 });
    const s = clusterSeries(c);
    const kinds = new Set(c.hotspots.filter((h) => h.split === 'test').map((h) => h.type));
    for (const k of ['slow-rise', 'plateau', 'spike', 'backpressure']) assert.ok(kinds.has(k as never), `has ${k}`);
    for (const h of c.hotspots.filter((x) => x.split === 'test')) {
      const m = s.find((x) => x.machine === h.machine)!;
      const off = h.start - c.trainEnd;
      assert.equal(m.test.labels![off], 1);
      assert.equal(m.test.labels![h.end - 1 - c.trainEnd], 1);
    }
    assert.ok(s.every((m) => m.train.labels === undefined), 'training parts carry no labels');
    const share = s.reduce((a, m) => a + m.trainLabels.reduce((p, q) => p + q, 0), 0) / (c.trainEnd * 10);
    assert.ok(share > 0.08 && share < 0.14, `contamination ${share}`);
    const clean = clusterSeries(generateCluster({ machines: 10, days: 4, seed: 2, contamination: 0 }));
    assert.equal(clean.reduce((a, m) => a + m.trainLabels.reduce((p, q) => p + q, 0), 0), 0);
  });
  it('a slow-rise hotspot really rises: latency at its end is well above its start', () => {
    const c = generateCluster({ machines: 6, days: 4, seed: 3 });
    const h = c.hotspots.find((x) => x.type === 'slow-rise')!;
    const lat = c.machines.find((m) => m.name === h.machine)!.frame.latency_ms;
    const mean = (a: number, b: number): number => Array.from(lat.subarray(a, b)).reduce((p, q) => p + q, 0) / (b - a);
    assert.ok(mean(h.end - 10, h.end) > 1.8 * mean(h.start, h.start + 10));
  });
});

describe('synthetic per-job metrics', () => {
  it('a hotspot moves its culprit job; the other jobs on the machine keep their level; machine data unchanged', async () => {
    const { generateCluster, jobSamples, culpritJob } = await import('../../../src/data/index.js');
    const c = generateCluster({ machines: 6, days: 2, seed: 3 });
    const again = generateCluster({ machines: 6, days: 2, seed: 3 });
    jobSamples(c, c.machines[0].name, 0, 100);
    assert.deepEqual(Array.from(again.machines[0].frame.latency_ms.subarray(0, 50)), Array.from(c.machines[0].frame.latency_ms.subarray(0, 50)), 'deterministic, machine data untouched');
    const h = c.hotspots.find((x) => (x.type === 'plateau' || x.type === 'slow-rise') && (c.machines.find((m) => m.name === x.machine)?.jobs.length ?? 0) >= 2)!;
    assert.ok(h, 'a plateau or slow rise on a machine with several jobs');
    const jobs = c.machines.find((m) => m.name === h.machine)!.jobs;
    const culprit = culpritJob(jobs, h.start)!;
    const rows = jobSamples(c, h.machine, h.start - 60, h.end);
    const mean = (job: string, inside: boolean): number => {
      const v = rows.filter((r) => r.job === job && r.metric === 'latency_ms' && (r.ts >= c.options.t0Ms + h.start * c.options.intervalSec * 1000) === inside).map((r) => r.value);
      return v.reduce((a, b) => a + b, 0) / v.length;
    };
    assert.ok(mean(culprit, true) > 1.2 * mean(culprit, false), `culprit ${culprit} latency rises: ${mean(culprit, false).toFixed(1)} → ${mean(culprit, true).toFixed(1)}`);
    for (const j of jobs.filter((x) => x !== culprit)) assert.ok(Math.abs(mean(j, true) / mean(j, false) - 1) < 0.2, `${j} keeps its level`);
  });
});
