// `flinkscope record` end to end against the REAL cluster (JobManager + 3 TaskManager JVMs, Prometheus), through
// record() — the code path of the command: a 3.5-minute recording with two faults injected inside the running jobs,
// a hot UDF in one order-score subtask, then a slow sink in one enrich-sink subtask. Checks that each fault shows on
// the TaskManager its label names (the hot subtask's TaskManager has the highest busy time and CPU while it is on;
// the slow sink is busiest on its TaskManager and back-pressures the operator upstream of it), that the files and
// labels are well-formed, and that loadDataset('flink-lab:…') reads the recording. Also: a missing prerequisite is
// a one-line error saying what to install.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { record } from '../../../src/app/lab/record.js';
import type { PlannedFault } from '../../../src/app/lab/schedule.js';
import { readFlinkLab, loadDataset, type FlinkLabRecording, type LabFault } from '../../../src/data/index.js';
import { column, type Series } from '../../../src/core/series.js';

const ROOT = process.env.FLINKSCOPE_ROOT ?? '.';
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

/** Mean of a machine metric over [from, to), NaN cells left out. */
function mean(s: Series, metric: string, from: number, to: number): number {
  const c = s.channels.indexOf(metric);
  assert.ok(c >= 0, `${s.name} has ${metric} (has ${s.channels.join(', ')})`);
  const col = column(s, c);
  let sum = 0;
  let n = 0;
  s.timestamps.forEach((t, i) => {
    if (t >= from && t < to && Number.isFinite(col[i])) {
      sum += col[i];
      n++;
    }
  });
  assert.ok(n > 0, `${s.name}/${metric}: no values in the window`);
  return sum / n;
}

/** The last part of a fault, once Flink's 60-second metric windows have caught up with it. */
const settled = (f: LabFault): [number, number] => [f.start + 45_000, f.end];

describe('flinkscope record against a real Flink cluster', { timeout: 600_000 }, () => {
  it('a short recording with a hot UDF and a slow sink: each fault shows on the TaskManager its label names', async () => {
    const out = mkdtempSync(join(tmpdir(), 'flinkscope-record-'));
    const schedule: PlannedFault[] = [
      { id: 'f1', kind: 'hot-udf', atMs: 10_000, durationMs: 85_000, job: 'orders', operator: 'order-score', subtask: 0, strength: { util: 0.75, rampMs: 0 } },
      { id: 'f2', kind: 'slow-sink', atMs: 115_000, durationMs: 90_000, job: 'enrich', operator: 'enrich-sink', subtask: 1, strength: { capacity: 0.4, rampMs: 5_000 } },
    ];
    const progress: string[] = [];
    const r = await record({ out, minutes: 3.5, seed: 5, scrapeMs: 2000, warmupMs: 30_000, trainShare: 0.3, schedule, progress: (l) => progress.push(l) });
    for (const f of ['manifest.json', 'labels.json', 'events.json', 'machines/tm-1.csv.gz', 'machines/tm-2.csv.gz', 'machines/tm-3.csv.gz']) assert.ok(existsSync(join(out, f)), `${f} written`);
    assert.ok(!existsSync(join(out, '.run', 'checkpoints')), 'checkpoints and the Prometheus TSDB are removed; logs stay');

    const rec: FlinkLabRecording = readFlinkLab(out);
    const m = rec.manifest;
    assert.equal(m.flinkVersion, '1.20.1');
    assert.deepEqual(m.taskManagers, ['tm-1', 'tm-2', 'tm-3']);
    assert.equal(m.seed, 5);
    assert.ok(m.start < m.trainEnd && m.trainEnd < m.end);
    assert.deepEqual(m.jobs.map((j) => j.name), ['orders', 'enrich']);
    const orders = m.jobs[0];
    assert.deepEqual(orders.vertices.map((v) => v.name), ['Source: orders-source', 'order-score', 'customer-window', 'Sink: orders-sink']);
    assert.ok(orders.edges.some((e) => e.from === 'Source: orders-source' && e.to === 'order-score' && e.ship === 'HASH'), JSON.stringify(orders.edges));
    for (const c of ['cpu_load', 'heap_used', 'gc_time_ms', 'busy_ms_per_s', 'backpressured_ms_per_s', 'records_in_per_s', 'watermark_lag_ms', 'cpu_cores', 'checkpoint_ms', 'state_bytes']) {
      assert.ok(rec.machines.every((s) => s.channels.includes(c)), `machine column ${c} (have ${rec.machines[0].channels.join(', ')})`);
    }
    const lag = mean(rec.machines[0], 'watermark_lag_ms', m.start, m.end);
    assert.ok(lag > 0 && lag < 60_000, `watermark lag ${lag} ms: a lag, not an epoch`);
    assert.ok(mean(rec.machines[0], 'state_bytes', m.start, m.end) > 0, 'checkpointed state per machine');
    const rows = rec.machines[0].timestamps.length;
    assert.ok(rows >= 90, `${rows} rows at 2 s over 3.5 min`);
    assert.ok(rec.machines.every((s) => s.timestamps.length === rows), 'every TaskManager has a row per poll');

    const [f1, f2] = rec.faults;
    assert.deepEqual(rec.faults.map((f) => [f.id, f.kind, f.page, f.job, f.operator, f.subtask]), [['f1', 'hot-udf', true, 'orders', 'order-score', 0], ['f2', 'slow-sink', true, 'enrich', 'Sink: enrich-sink', 1]]);
    // the labelled machines are where the subtasks ran (placement as recorded in the manifest)
    const place = (job: string, op: string, i: number): string => m.placement.filter((p) => p.ts <= f2.start).at(-1)!.jobs[job][op][i];
    assert.deepEqual(f1.machines, [place('orders', 'order-score', 0)]);
    assert.deepEqual(f2.machines, [place('enrich', 'Sink: enrich-sink', 1)]);
    assert.ok(Number(f1.params.burnMicros) > 0 && Number(f2.params.sleepMicros) > 0, JSON.stringify([f1.params, f2.params]));
    assert.ok(f1.end - f1.start >= 80_000 && f2.end - f2.start >= 85_000);
    assert.ok(progress.some((l) => /f1 hot-udf on orders\/order-score#0 → tm-\d/.test(l)), progress.join('\n'));

    const tm = (name: string): Series => rec.machines.find((s) => s.name === name)!;
    const others = (name: string): Series[] => rec.machines.filter((s) => s.name !== name);
    // hot UDF: its TaskManager has the highest busy time and uses the most CPU (Prometheus: rate of CPU time)
    const [a1, b1] = settled(f1);
    const hot = tm(f1.machines[0]);
    for (const o of others(hot.name)) {
      assert.ok(mean(hot, 'busy_ms_per_s', a1, b1) > mean(o, 'busy_ms_per_s', a1, b1) + 200, `busy ${hot.name} ${mean(hot, 'busy_ms_per_s', a1, b1).toFixed(0)} vs ${o.name} ${mean(o, 'busy_ms_per_s', a1, b1).toFixed(0)}`);
      assert.ok(mean(hot, 'cpu_cores', a1, b1) > mean(o, 'cpu_cores', a1, b1) + 0.15, `cpu ${hot.name} ${mean(hot, 'cpu_cores', a1, b1).toFixed(2)} vs ${o.name} ${mean(o, 'cpu_cores', a1, b1).toFixed(2)}`);
    }
    // slow sink: busiest on its TaskManager, and the operator feeding it (enrich-join, forward edge) is back-pressured
    const [a2, b2] = settled(f2);
    const slow = tm(f2.machines[0]);
    for (const o of others(slow.name)) assert.ok(mean(slow, 'busy_ms_per_s', a2, b2) > mean(o, 'busy_ms_per_s', a2, b2) + 200, `busy ${slow.name} vs ${o.name}`);
    const joinTm = place('enrich', 'enrich-join', 1);
    const join1 = rec.jobs.find((j) => j.machine === joinTm && j.job === 'enrich' && j.operator === 'enrich-join')!;
    const bpDuring = mean(join1.series, 'backpressured_ms_per_s', a2, b2);
    const bpBefore = mean(join1.series, 'backpressured_ms_per_s', m.start, f2.start);
    assert.ok(bpDuring > 300 && bpDuring > bpBefore + 250, `enrich-join on ${joinTm}: back-pressured ${bpDuring.toFixed(0)} ms/s during the slow sink, ${bpBefore.toFixed(0)} before`);

    // the dataset spec reads it: one item per TaskManager, split at trainEnd, the slow sink labelled in the test part
    const items = await loadDataset(`flink-lab:${out}`);
    assert.deepEqual(items.map((i) => i.series), ['tm-1', 'tm-2', 'tm-3']);
    const it2 = items.find((i) => i.series === slow.name)!;
    assert.ok(it2.test.labels!.reduce((x, y) => x + y, 0) >= 30, 'the slow sink spans ≥ 30 labelled test rows');
    assert.ok(it2.faults!.some((f) => f.id === 'f2'));
    assert.equal(r.faults.length, 2);
  });

  it('a missing prerequisite is a one-line error saying what to install', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'flinkscope-noprereq-')), 'r');
    const res = spawnSync(process.execPath, [CLI, 'record', '--minutes', '10', '--out', out], { encoding: 'utf8', env: { ...process.env, PATH: mkdtempSync(join(tmpdir(), 'flinkscope-empty-path-')) } });
    assert.equal(res.status, 1);
    assert.equal(res.stderr.trim().split('\n').at(-1), 'flinkscope: java not found on PATH: install a Java 17 JDK (Debian: apt-get install openjdk-17-jdk-headless)');
  });
});
