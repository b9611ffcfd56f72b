// The lab's pure parts: the seeded fault schedule, the control and load files the harness jobs read, option checks,
// missing tools, and the writer — a recording written by src/app/lab reads back through src/data.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planSchedule, defaultFaultCount, HOTSPOT_KINDS, FAULT_SITES } from '../../../src/app/lab/schedule.js';
import { controlText } from '../../../src/app/lab/control.js';
import { drawLoad, loadText } from '../../../src/app/lab/load.js';
import { checkRecordOptions, type RecordOptions } from '../../../src/app/lab/record.js';
import { requireTool } from '../../../src/app/lab/tools.js';
import { vertexFor } from '../../../src/app/lab/topology.js';
import { writeRecording, formatNumber, type Table } from '../../../src/app/lab/output.js';
import { readFlinkLab, FLINK_LAB_FORMAT, type LabFault } from '../../../src/data/index.js';
import { checkRecording, checkTable } from '../../../src/app/lab/check.js';

const MIN = 60_000;

describe('fault schedule', () => {
  const opts = { seed: 3, spanMs: 40 * MIN, trainEndMs: 12 * MIN, taskManagers: 3, parallelism: 3, ...defaultFaultCount(40) };

  it('is the same for the same seed and differs across seeds', () => {
    assert.deepEqual(planSchedule(opts), planSchedule(opts));
    assert.notDeepEqual(planSchedule(opts), planSchedule({ ...opts, seed: 4 }));
  });

  it('40 minutes: 6 hotspots covering every kind, 1 failover; no overlaps; 2–5 min each; one in the training part; failovers in the test part', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const s = planSchedule({ ...opts, seed });
      const hot = s.filter((f) => f.kind !== 'failover');
      assert.equal(hot.length, 6);
      assert.deepEqual([...new Set(hot.map((f) => f.kind))].sort(), [...HOTSPOT_KINDS].sort(), `seed ${seed}: every kind`);
      assert.equal(s.filter((f) => f.kind === 'failover').length, 1);
      for (let i = 1; i < s.length; i++) assert.ok(s[i].atMs >= s[i - 1].atMs + s[i - 1].durationMs + 60_000, `seed ${seed}: ${s[i - 1].id} and ${s[i].id} at least a minute apart`);
      assert.ok(s[0].atMs >= 60_000 && s[s.length - 1].atMs + s[s.length - 1].durationMs <= opts.spanMs - 60_000, 'a quiet minute at both ends');
      for (const f of hot) {
        assert.ok(f.durationMs >= 60_000 && f.durationMs <= 300_000, `${f.id}: ${f.durationMs} ms`);
        assert.ok(FAULT_SITES[f.kind as keyof typeof FAULT_SITES].some(([j, o]) => j === f.job && o === f.operator), `${f.id}: ${f.kind} at ${f.job}/${f.operator}`);
        assert.ok(f.subtask! >= 0 && f.subtask! < 3);
      }
      assert.equal(hot.filter((f) => f.atMs + f.durationMs <= opts.trainEndMs).length, 1, `seed ${seed}: one hotspot in the training part`);
      for (const f of s.filter((x) => x.kind === 'failover')) {
        assert.ok(f.atMs >= opts.trainEndMs && f.taskManager! >= 1 && f.taskManager! <= 3);
        assert.ok(f.strength.restartAfterMs >= 20_000 && f.strength.restartAfterMs <= 30_000);
      }
      assert.deepEqual(s.map((f) => f.id), s.map((_, i) => `f${i + 1}`));
    }
  });

  it('short recordings shrink faults to fit, and say so when they cannot', () => {
    const s = planSchedule({ ...opts, spanMs: 10 * MIN, trainEndMs: 3 * MIN, ...defaultFaultCount(10) });
    assert.equal(s.length, 2);
    assert.ok(s.every((f) => f.atMs >= 3 * MIN && f.atMs + f.durationMs <= 9 * MIN));
    assert.throws(() => planSchedule({ ...opts, spanMs: 5 * MIN, trainEndMs: 1.5 * MIN, faults: 6, failovers: 0 }), /no room for \d+ faults/);
  });
});

describe('control and load files', () => {
  it('control: one entry per active fault with its parameters; ids are checked', () => {
    assert.equal(controlText([]), 'faults=\n');
    const t = controlText([{ id: 'f2', kind: 'hot-udf', job: 'orders', operator: 'order-score', subtask: 1, since: 5, rampMs: 0, params: { burnMicros: 2500 } }]);
    assert.equal(t, 'faults=f2\nf2.kind=hot-udf\nf2.job=orders\nf2.operator=order-score\nf2.subtask=1\nf2.since=5\nf2.rampMs=0\nf2.burnMicros=2500\n');
    assert.throws(() => controlText([{ id: 'f 1', kind: 'skew', job: 'o', operator: 'x', subtask: 0, since: 0, rampMs: 0, params: {} }]), /fault id 'f 1'/);
  });

  it('load: seeded, bursts inside the span on every source, written as the harness reads it', () => {
    const a = drawLoad(9, 1e12, 40 * MIN);
    assert.deepEqual(a, drawLoad(9, 1e12, 40 * MIN));
    assert.ok(a.t0 <= 1e12 && 1e12 - a.t0 < 7 * a.dayMs, 'the recording starts within the first week of the profile');
    for (const [name, s] of Object.entries(a.sources)) {
      assert.ok(s.bursts.length > 0, `${name} has bursts`);
      for (const b of s.bursts) {
        assert.ok(b.startMs >= 1e12 - a.t0 && b.startMs <= 1e12 - a.t0 + 40 * MIN);
        assert.ok(b.factor >= 1.5 && b.factor <= 2.5 && b.durMs >= 15_000 && b.durMs <= 60_000);
      }
    }
    const text = loadText(a);
    assert.match(text, new RegExp(`^t0=${a.t0}\ndayMs=1200000\njitter=0.1\nseed=9\n`));
    assert.match(text, /\nsource\.orders-source\.peak=600\nsource\.orders-source\.bursts=\d+:\d+:[\d.]+(,\d+:\d+:[\d.]+)*\n/);
  });
});

describe('record options and prerequisites', () => {
  const base: RecordOptions = { out: join(tmpdir(), `flinkscope-rec-${process.pid}`), minutes: 40, seed: 1, scrapeMs: 2000 };
  it('bad options are one-line errors naming the option', () => {
    const cases: [Partial<RecordOptions>, RegExp][] = [
      [{ out: '' }, /--out DIR is required/],
      [{ minutes: 1 }, /--minutes must be a number from 2 to 1440, got 1/],
      [{ minutes: NaN }, /--minutes/],
      [{ seed: -1 }, /--seed must be a non-negative integer/],
      [{ seed: 1.5 }, /--seed/],
      [{ scrapeMs: 100 }, /--scrape must be between 1s and 60s/],
      [{ taskManagers: 1 }, /--task-managers must be an integer from 2 to 8/],
      [{ faults: -2 }, /--faults must be a non-negative integer/],
    ];
    for (const [o, msg] of cases) assert.throws(() => checkRecordOptions({ ...base, ...o }), msg);
    const full = mkdtempSync(join(tmpdir(), 'flinkscope-full-'));
    writeFileSync(join(full, 'x'), '');
    assert.throws(() => checkRecordOptions({ ...base, out: full }), /is not empty: give a new directory/);
    checkRecordOptions(base);
  });

  it('a missing tool names what to install', () => {
    const env = { ...process.env, PATH: mkdtempSync(join(tmpdir(), 'flinkscope-empty-path-')) };
    assert.throws(() => requireTool('java', '-version', env), /^Error: java not found on PATH: install a Java 17 JDK \(Debian: apt-get install openjdk-17-jdk-headless\)$/);
    assert.throws(() => requireTool('prometheus', '--version', env), /prometheus not found on PATH: install Prometheus \(Debian: apt-get install --no-install-recommends prometheus/);
    assert.throws(() => requireTool('mvn', '-v', env), /mvn not found on PATH: install Maven/);
  });

  it('vertex names: sources and legacy sinks carry a prefix', () => {
    const names = ['Source: orders-source', 'order-score', 'customer-window', 'Sink: orders-sink'];
    assert.equal(vertexFor(names, 'orders-source'), 'Source: orders-source');
    assert.equal(vertexFor(names, 'order-score'), 'order-score');
    assert.equal(vertexFor(names, 'orders-sink'), 'Sink: orders-sink');
    assert.equal(vertexFor(names, 'enrich-join'), undefined);
  });
});

describe('recording writer', () => {
  it('five significant digits, empty for missing', () => {
    assert.equal(formatNumber(123456789), '123456789');
    assert.equal(formatNumber(0.0123456), '0.012346');
    assert.equal(formatNumber(851.2345), '851.23');
    assert.equal(formatNumber(NaN), '');
    assert.equal(formatNumber(Infinity), '');
  });

  it('a written recording reads back: columns, missing cells, labels, per-operator series (gzip and plain)', () => {
    for (const gzip of [true, false]) {
      const dir = mkdtempSync(join(tmpdir(), 'flinkscope-write-'));
      const rows = [0, 1, 2, 3, 4, 5].map((i) => 1_800_000_000_000 + i * 2000);
      const machines = new Map<string, Table>();
      const jobs = new Map<string, Table>();
      for (const tm of ['tm-1', 'tm-2']) {
        const t: Table = new Map();
        const j: Table = new Map();
        rows.forEach((ts, i) => {
          if (!(tm === 'tm-2' && i === 3)) t.set(ts, new Map([['busy_ms_per_s', tm === 'tm-1' && i >= 2 ? 900.123456 : 100], ['cpu_cores', 0.1234567], ['kafka_lag', NaN]]));
          j.set(ts, new Map([['orders|Sink: orders-sink|busy_ms_per_s', 10 + i]]));
        });
        machines.set(tm, t);
        jobs.set(tm, j);
      }
      const faults: LabFault[] = [{ id: 'f1', kind: 'hot-udf', page: true, machines: ['tm-1'], job: 'orders', operator: 'order-score', subtask: 0, start: rows[2], end: rows[4], params: { burnMicros: 1000 } }];
      const m = writeRecording(dir, {
        manifest: { format: FLINK_LAB_FORMAT, flinkVersion: '1.20.1', seed: 1, scrapeMs: 2000, start: rows[0], end: rows[5], trainEnd: rows[2], taskManagers: ['tm-1', 'tm-2'], slotsPerTaskManager: 2, jobs: [], placement: [], schedule: [], load: {}, recorder: {} },
        faults, events: [], rows, machines, machineColumns: ['cpu_load', 'busy_ms_per_s'], jobs,
      }, gzip);
      assert.equal(m.files.machines['tm-1'], gzip ? 'machines/tm-1.csv.gz' : 'machines/tm-1.csv');
      const r = readFlinkLab(dir);
      assert.deepEqual(r.machines[0].channels, ['busy_ms_per_s', 'cpu_cores'], 'catalogue order first, extras after; all-missing columns dropped');
      assert.equal(r.machines[0].values[2 * 2], 900.12);
      assert.equal(r.machines[0].values[1], 0.12346);
      assert.ok(Number.isNaN(r.machines[1].values[3 * 2]), 'a row missing on tm-2 stays a row, with empty cells');
      assert.equal(r.machines[1].timestamps.length, 6);
      assert.deepEqual(Array.from(r.machines[0].labels!), [0, 0, 1, 1, 0, 0]);
      assert.deepEqual(Array.from(r.jobs.find((j) => j.machine === 'tm-2')!.series.values), [10, 11, 12, 13, 14, 15]);
      assert.ok(statSync(join(dir, m.files.machines['tm-1'])).size > 0);
    }
  });
});

describe('recording checks', () => {
  it('a fault shows when its signature metric stands out on the labelled TaskManager — and not when the label names the wrong one', () => {
    const fixture = join(process.env.FLINKSCOPE_ROOT ?? '.', 'test', 'fixtures', 'flink-lab', 'mini');
    const rec = readFlinkLab(fixture);
    const checks = checkRecording(rec);
    assert.deepEqual(checks.map((c) => [c.fault.id, c.shows]), [['f1', true], ['f2', true], ['f3', true]]);
    assert.deepEqual(checks[0].metrics.busy_ms_per_s, [850, 130, 120]);
    rec.faults[0] = { ...rec.faults[0], machines: ['tm-2'] };
    assert.equal(checkRecording(rec)[0].shows, false);
    assert.match(checkTable(checks), /^fault\tkind\tmachine/);
  });
});

describe('the training share of a recording', () => {
  it('covers one compressed day (+5 %) when 40 % is left to judge, else 0.3', async () => {
    const { defaultTrainShare } = await import('../../../src/app/lab/record.js');
    const { LAB_DAY_MS } = await import('../../../src/app/lab/load.js');
    const min = 60_000;
    assert.equal(defaultTrainShare(10 * min), 0.3, 'a short recording keeps 0.3');
    assert.equal(defaultTrainShare(34 * min), 0.3);
    assert.ok(Math.abs(defaultTrainShare(35 * min) - 0.6) < 1e-9, '35 min: 21 of them are a day + 5 %');
    assert.ok(Math.abs(defaultTrainShare(60 * min) * 60 * min - LAB_DAY_MS * 1.05) < 1, '60 min: exactly a day + 5 %');
    assert.equal(defaultTrainShare(240 * min), 0.3, 'never below 0.3');
  });
});
