// A flink-lab recording as a replay of the product path: split at trainEnd, jobs from the placement, per-operator
// samples delivered with the machine rows, events carried, faults of the inspected part as recorded.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { labReplay, labReplayOf } from '../../../src/app/lab-replay.js';
import { studyCluster } from '../../../src/app/incident-study.js';
import { parseSpec } from '../../../src/data/index.js';
import { labSpec } from '../../../src/cli/options.js';

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
    assert.throws(() => studyCluster(`flink-lab:${MINI}?train=abc`), /^DataError: dataset spec '[^']+\?train=abc': train share must be a number in \(0, 1\), got 'abc'$/);
  });

  it('?train=<share> moves the end of the training part (the same split for eval and the replay)', async () => {
    const c = studyCluster(`flink-lab:${MINI}?train=0.6`);
    const end = 1700000000000 + 0.6 * 18000;
    for (const m of c.machines) assert.ok(m.train.timestamps.every((t) => t < end) && m.test.timestamps.every((t) => t >= end));
    const { loadDataset } = await import('../../../src/data/index.js');
    const items = await loadDataset(`flink-lab:${MINI}?train=0.6`);
    assert.deepEqual(items.map((i) => i.test.timestamps[0]), c.machines.map((m) => m.test.timestamps[0]));
    await assert.rejects(loadDataset(`flink-lab:${MINI}?train=1.5`), /train share must be a number in \(0, 1\), got '1\.5'/);
  });

  it('one parser: a bad spec gives the same one-line message to eval (parseSpec), the replays (labReplayOf) and the CLI edge (labSpec)', () => {
    const bad: [string, RegExp][] = [
      [`flink-lab:${MINI}?trian=0.6`, /unknown option 'trian' for flink-lab \(known: train, name\)/],
      [`flink-lab:${MINI}?train=1.5`, /train share must be a number in \(0, 1\), got '1\.5'/],
      [`flink-lab:${MINI}?train=0`, /train share must be a number in \(0, 1\), got '0'/],
      [`flink-lab:${MINI}?train=abc`, /train share must be a number in \(0, 1\), got 'abc'/],
      [`flink-lab:${MINI}?train=0.5&train=0.6`, /option 'train' given twice/],
      [`flink-lab:${MINI}?name=`, /name= is empty/],
      ['flink-lab:', /names no file or directory/],
    ];
    const message = (spec: string, f: (s: string) => unknown): string => {
      try {
        f(spec);
      } catch (e) {
        return (e as Error).message;
      }
      return assert.fail(`'${spec}' accepted`);
    };
    for (const [spec, want] of bad) {
      const m = message(spec, parseSpec);
      assert.match(m, want);
      assert.ok(m.includes(`'${spec}'`) && !m.includes('\n'), `one line naming the spec: ${m}`);
      assert.equal(message(spec, labReplayOf), m, `labReplayOf(${spec})`);
      assert.equal(message(spec, labSpec), m, `labSpec(${spec})`);
    }
    // name= is accepted as by every spec; another kind is no recording (null for the replays, a usage error at the edge)
    assert.equal(labReplayOf(`flink-lab:${MINI}?name=mini&train=0.6`)?.machines.length, 2);
    assert.equal(labSpec(`flink-lab:${MINI}?name=mini`), `flink-lab:${MINI}?name=mini`);
    assert.equal(labReplayOf('smd:x'), null);
    assert.throws(() => labSpec('smd:x'), /^InvalidArgumentError: expected flink-lab:<recording dir>\[\?train=<share>\]$/);
  });
});
