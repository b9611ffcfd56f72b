// flink-lab recordings: the reader on a small hand-written recording (test/fixtures/flink-lab/mini: 2 TaskManagers,
// 10 rows, a hot-udf fault in the training part, a slow-sink fault in the test part, a failover event), gzipped
// tables, a directory of recordings, the dataset spec, and every refusal naming its file.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readFlinkLab, loadDataset, DataError, type LabManifest } from '../../../src/data/index.js';

const FIXTURE = resolve(process.env.FLINKSCOPE_ROOT ?? '.', 'test', 'fixtures', 'flink-lab', 'mini');
const T0 = 1700000000000;
const row = (i: number): number => T0 + 2000 * i;

/** A private copy of the fixture to break. */
function copy(): string {
  const d = mkdtempSync(join(tmpdir(), 'flinkscope-lab-'));
  cpSync(FIXTURE, d, { recursive: true });
  return d;
}
const editJson = (file: string, f: (x: Record<string, unknown>) => void): void => {
  const x = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  f(x);
  writeFileSync(file, JSON.stringify(x));
};

describe('flink-lab reader', () => {
  it('reads machines, per-operator job series, faults and events; labels mark paging faults on their machine only', () => {
    const r = readFlinkLab(FIXTURE);
    assert.deepEqual(r.machines.map((s) => s.name), ['tm-1', 'tm-2']);
    const tm1 = r.machines[0];
    assert.deepEqual(tm1.channels, ['cpu_load', 'busy_ms_per_s', 'backpressured_ms_per_s', 'heap_used', 'cpu_cores']);
    assert.equal(tm1.timestamps.length, 10);
    assert.equal(tm1.timestamps[0], T0);
    assert.deepEqual(Array.from(tm1.labels!), [0, 1, 1, 0, 0, 0, 0, 0, 0, 0], 'hot-udf on tm-1 in [row 1, row 3); the failover (page: false) is not labelled');
    assert.deepEqual(Array.from(r.machines[1].labels!), [0, 0, 0, 0, 0, 0, 1, 1, 0, 0], 'slow-sink on tm-2 in [row 6, row 8)');
    assert.ok(Number.isNaN(tm1.values[8 * 5 + 3]), 'the empty heap cell while tm-1 was down is missing, not 0');
    assert.equal(tm1.values[1 * 5 + 1], 850);
    assert.equal(r.jobs.length, 6, '3 (job, operator) pairs on each of 2 TaskManagers');
    const score = r.jobs.find((j) => j.machine === 'tm-1' && j.job === 'orders' && j.operator === 'order-score')!;
    assert.deepEqual(score.series.channels, ['busy_ms_per_s', 'records_in_per_s']);
    assert.equal(score.series.values[1 * 2 + 0], 850);
    assert.equal(score.series.values[1 * 2 + 1], 201.5);
    const sink = r.jobs.find((j) => j.machine === 'tm-2' && j.operator === 'Sink: enrich-sink')!;
    assert.equal(sink.series.values[6], 1000, 'operator names with spaces and colons survive');
    assert.deepEqual(r.faults.map((f) => [f.id, f.kind, f.page]), [['f1', 'hot-udf', true], ['f2', 'slow-sink', true], ['f3', 'failover', false]]);
    assert.deepEqual(r.events.map((e) => e.kind), ['failover', 'restart']);
    assert.equal(r.manifest.trainEnd, row(4));
  });

  it('loadDataset("flink-lab:<dir>"): one item per TaskManager split at trainEnd, test labelled, training labels kept aside, faults and events along', async () => {
    const items = await loadDataset(`flink-lab:${FIXTURE}`);
    assert.deepEqual(items.map((i) => [i.dataset, i.series]), [['flink-lab/mini', 'tm-1'], ['flink-lab/mini', 'tm-2']]);
    const [a, b] = items;
    assert.equal(a.train.timestamps.length, 4);
    assert.equal(a.test.timestamps.length, 6);
    assert.equal(a.test.timestamps[0], row(4));
    assert.equal(a.train.labels, undefined, 'the training part is unlabelled for fitting');
    assert.deepEqual(Array.from(a.trainLabels!), [0, 1, 1, 0], 'noisy training: the hot-udf fault is in the training part');
    assert.deepEqual(Array.from(a.test.labels!), [0, 0, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(b.test.labels!), [0, 0, 1, 1, 0, 0]);
    assert.deepEqual(a.faults!.map((f) => f.id), ['f1', 'f3'], 'tm-1: its hotspot and its failover');
    assert.deepEqual(b.faults!.map((f) => f.id), ['f2']);
    assert.equal(a.events!.length, 2);
  });

  it('reads gzipped tables and a directory of recordings', async () => {
    const root = mkdtempSync(join(tmpdir(), 'flinkscope-labs-'));
    cpSync(FIXTURE, join(root, 'a'), { recursive: true });
    const b = join(root, 'b');
    cpSync(FIXTURE, b, { recursive: true });
    for (const tm of ['tm-1', 'tm-2']) {
      writeFileSync(join(b, 'machines', `${tm}.csv.gz`), gzipSync(readFileSync(join(b, 'machines', `${tm}.csv`))));
      rmSync(join(b, 'machines', `${tm}.csv`));
    }
    editJson(join(b, 'manifest.json'), (m) => ((m as unknown as LabManifest).files.machines = { 'tm-1': 'machines/tm-1.csv.gz', 'tm-2': 'machines/tm-2.csv.gz' }));
    const plain = readFlinkLab(join(root, 'a'));
    const gz = readFlinkLab(b);
    assert.deepEqual(Array.from(gz.machines[1].values), Array.from(plain.machines[1].values));
    const items = await loadDataset(`flink-lab:${root}`);
    assert.deepEqual(items.map((i) => `${i.dataset}:${i.series}`), ['flink-lab/a:tm-1', 'flink-lab/a:tm-2', 'flink-lab/b:tm-1', 'flink-lab/b:tm-2']);
  });

  it('refuses broken recordings with an error naming the file and what is wrong', () => {
    const cases: [string, (d: string) => void, RegExp][] = [
      ['no manifest', (d) => rmSync(join(d, 'manifest.json')), /manifest\.json: missing/],
      ['wrong format', (d) => editJson(join(d, 'manifest.json'), (m) => (m.format = 'flink-lab/9')), /manifest\.json: format 'flink-lab\/9' is not flink-lab\/1/],
      ['trainEnd outside', (d) => editJson(join(d, 'manifest.json'), (m) => (m.trainEnd = T0 - 1)), /manifest\.json: need start < trainEnd < end/],
      ['missing machines file', (d) => rmSync(join(d, 'machines', 'tm-2.csv')), /tm-2\.csv: missing/],
      ['unknown kind', (d) => editJson(join(d, 'labels.json'), (l) => ((l.faults as Record<string, unknown>[])[0].kind = 'meteor')), /labels\.json: fault 0 \(f1\): kind 'meteor' is not one of/],
      ['page not boolean', (d) => editJson(join(d, 'labels.json'), (l) => ((l.faults as Record<string, unknown>[])[1].page = 'yes')), /labels\.json: fault 1 \(f2\): 'page' must be true or false/],
      ['end before start', (d) => editJson(join(d, 'labels.json'), (l) => ((l.faults as Record<string, unknown>[])[0].end = T0)), /fault 0 \(f1\): need start < end/],
      ['unknown machine', (d) => editJson(join(d, 'labels.json'), (l) => ((l.faults as Record<string, unknown>[])[0].machines = ['tm-9'])), /fault f1: machine 'tm-9' is not one of the manifest's TaskManagers/],
      ['malformed row', (d) => writeFileSync(join(d, 'machines', 'tm-1.csv'), readFileSync(join(d, 'machines', 'tm-1.csv'), 'utf8') + '1700000020000,1,2\n'), /tm-1\.csv: 1 malformed rows \(first: line 12/],
      ['rows out of order', (d) => {
        const lines = readFileSync(join(d, 'machines', 'tm-2.csv'), 'utf8').trim().split('\n');
        [lines[2], lines[3]] = [lines[3], lines[2]];
        writeFileSync(join(d, 'machines', 'tm-2.csv'), lines.join('\n') + '\n');
      }, /tm-2\.csv: timestamps are not strictly increasing/],
      ['bad jobs column', (d) => writeFileSync(join(d, 'jobs', 'tm-1.csv'), 'timestamp,busy\n1700000000000,1\n'), /jobs\/tm-1\.csv: column 'busy' is not job\|operator\|metric/],
      ['events not a list', (d) => writeFileSync(join(d, 'events.json'), '{}'), /events\.json: must be a list of events/],
      ['labels not JSON', (d) => writeFileSync(join(d, 'labels.json'), '{"faults": ['), /labels\.json: not valid JSON/],
    ];
    for (const [what, breakIt, msg] of cases) {
      const d = copy();
      breakIt(d);
      assert.throws(() => readFlinkLab(d), (e: Error) => e instanceof DataError && msg.test(e.message), what);
    }
  });

  it("an older recording's cumulative gc_count is read as its rate gc_per_min (per minute; a restart starts it over)", () => {
    const d = copy();
    const addColumn = (name: string, counts: number[]): void => {
      const lines = readFileSync(join(d, 'machines', 'tm-1.csv'), 'utf8').trim().split('\n');
      writeFileSync(join(d, 'machines', 'tm-1.csv'), lines.map((l, i) => `${l},${i === 0 ? name : counts[i - 1]}`).join('\n') + '\n');
    };
    addColumn('gc_count', [10, 11, 13, 15, 15, 16, 1, 3, 4, 4]); // rows every 2 s; the JVM restarted at row 6
    const tm1 = readFlinkLab(d).machines[0];
    const c = tm1.channels.indexOf('gc_per_min');
    assert.ok(c >= 0 && !tm1.channels.includes('gc_count'), tm1.channels.join(','));
    const rate = Array.from({ length: 10 }, (_, t) => tm1.values[t * tm1.channels.length + c]);
    assert.ok(Number.isNaN(rate[0]) && Number.isNaN(rate[6]), 'no rate at the first reading, nor at the restart');
    assert.equal(rate[1], 30, '1 collection in 2 s');
    assert.equal(rate[5], 36, '10 → 16 over 10 s');
    assert.equal(rate[9], 30, '1 → 4 over 6 s');
    addColumn('gc_per_min', [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    assert.throws(() => readFlinkLab(d), /tm-1\.csv: has both 'gc_count' \(a cumulative count\) and its rate 'gc_per_min'/);
  });

  it('rows Flink served from a metric cache that stopped refreshing are left out, at the same times for every TaskManager, with an event', () => {
    const d = copy();
    // tm-1 rows 3–7: the REST columns repeat row 3 (heap_used too); cpu_cores (Prometheus) keeps moving
    const file = join(d, 'machines', 'tm-1.csv');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    for (let i = 4; i <= 8; i++) lines[i] = `${row(i - 1)},0.05,120,0,60003000,0.${i}`;
    writeFileSync(file, lines.join('\n') + '\n');
    const r = readFlinkLab(d);
    const kept = [0, 1, 2, 3, 4, 8, 9].map(row);
    assert.deepEqual(r.stale, [{ machine: 'tm-1', from: row(5), to: row(7), rows: 3, servedSince: row(3), freshAt: row(8) }], 'row 4 is 2 s after row 3: within 3 cache refreshes of 1 s; row 8 moved');
    for (const s of r.machines) assert.deepEqual(Array.from(s.timestamps), kept, `${s.name}: the stale times are left out of every TaskManager`);
    for (const j of r.jobs) assert.deepEqual(Array.from(j.series.timestamps), kept, `${j.series.name}: and of the per-operator series`);
    assert.deepEqual(Array.from(r.machines[1].labels!), [0, 0, 0, 0, 0, 0, 0], "tm-2's slow-sink rows (6, 7) were stale times: no row of it is left");
    assert.equal(r.machines[0].values[4 * 5 + 3], 60003000, 'row 4 (the repeat within the refresh) is kept as read');
    assert.equal(r.machines[0].values[6 * 5 + 3], 60009000, 'and row 9 after the stretch');
    const ev = r.events.filter((e) => e.kind === 'metrics-stale' || e.kind === 'metrics-fresh');
    assert.deepEqual(ev.map((e) => [e.kind, e.ts, e.machines]), [['metrics-stale', row(5), ['tm-1']], ['metrics-fresh', row(8), ['tm-1']]], 'where the stretch was found, and where its values moved');
    assert.deepEqual(r.events.map((e) => e.ts), [...r.events.map((e) => e.ts)].sort((a, b) => a - b), 'events in time order');
    editJson(join(d, 'manifest.json'), (m) => ((m.recorder as Record<string, unknown>).metricsFetcherMs = 5000));
    assert.deepEqual(readFlinkLab(d).stale, [], 'a cache refreshed every 5 s may hold its values for 15 s: 8 s unchanged is not stale');
    editJson(join(d, 'manifest.json'), (m) => ((m.recorder as Record<string, unknown>).metricsFetcherMs = 0));
    assert.throws(() => readFlinkLab(d), (e: unknown) => e instanceof DataError && /manifest\.json: 'recorder\.metricsFetcherMs' must be a positive number of ms \(got 0\)/.test((e as Error).message));
  });

  it('a directory that is no recording is a clear error', async () => {
    const d = mkdtempSync(join(tmpdir(), 'flinkscope-nolab-'));
    await assert.rejects(loadDataset(`flink-lab:${d}`), /neither a flink-lab recording \(manifest\.json\) nor a directory of recordings/);
    await assert.rejects(loadDataset(`flink-lab:${d}/nope`), /no such directory/);
  });
});
