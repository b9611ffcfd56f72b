// A flink-lab recording as a replay of the product path: split at trainEnd, jobs from the placement, per-operator
// samples delivered with the machine rows, events carried, faults of the inspected part as recorded.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { labReplay } from '../../../src/app/lab-replay.js';
import { studyCluster } from '../../../src/app/incident-study.js';

const MINI = 'test/fixtures/flink-lab/mini';

describe('flink-lab replay', () => {
  it('splits each TaskManager at trainEnd, unlabelled training, jobs from the placement', () => {
    const c = labReplay(MINI);
    assert.deepEqual(c.machines.map((m) => m.name), ['tm-1', 'tm-2']);
    for (const m of c.machines) {
      assert.ok(m.train.timestamps.every((t) => t < 1700000008000) && m.test.timestamps.every((t) => t >= 1700000008000));
      assert.equal(m.train.labels, undefined, 'training is unlabelled');
      assert.deepEqual(m.jobs, ['enrich', 'orders']);
    }
  });

  it('delivers per-operator samples of a time range with their job and operator, and the recorded events', () => {
    const c = labReplay(MINI);
    const rows = c.extraSamples!(1700000002000, 1700000004000);
    assert.ok(rows.length > 0 && rows.every((r) => r.ts >= 1700000002000 && r.ts < 1700000004000));
    const hot = rows.find((r) => r.machine === 'tm-1' && r.job === 'orders' && r.operator === 'order-score' && r.metric === 'busy_ms_per_s');
    assert.equal(hot?.value, 850);
    assert.ok(Array.isArray(c.events));
  });

  it('judges only faults that reach the inspected part, clipped to it', () => {
    const c = labReplay(MINI);
    assert.ok(!c.faults.some((f) => f.id === 'f1'), 'f1 ended in the training part');
    const f2 = c.faults.find((f) => f.id === 'f2')!;
    assert.deepEqual([f2.kind, f2.machines, f2.page], ['slow-sink', ['tm-2'], true]);
    assert.ok(f2.start >= 1700000008000);
  });

  it('is a cluster of the incident study (flink-lab:<dir>); other specs are clear errors', () => {
    assert.equal(studyCluster(`flink-lab:${MINI}`).machines.length, 2);
    assert.throws(() => studyCluster('nope:x'), /synthetic:flink.*or flink-lab:<recording dir>/);
    assert.throws(() => studyCluster('flink-lab:/nonexistent'), /nonexistent/);
    assert.throws(() => studyCluster(`flink-lab:${MINI}?train=abc`), /is not flink-lab:<recording dir>\[\?train=<share>\]/);
  });

  it('?train=<share> moves the end of the training part (the same split for eval and the replay)', async () => {
    const c = studyCluster(`flink-lab:${MINI}?train=0.6`);
    const end = 1700000000000 + 0.6 * 18000;
    for (const m of c.machines) assert.ok(m.train.timestamps.every((t) => t < end) && m.test.timestamps.every((t) => t >= end));
    const { loadDataset } = await import('../../../src/data/index.js');
    const items = await loadDataset(`flink-lab:${MINI}?train=0.6`);
    assert.deepEqual(items.map((i) => i.test.timestamps[0]), c.machines.map((m) => m.test.timestamps[0]));
    await assert.rejects(loadDataset(`flink-lab:${MINI}?train=1.5`), /train share must be in \(0, 1\)/);
  });
});
