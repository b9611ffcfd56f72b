// The model life-cycle in the watch loop, on a real (in-memory SQLite) store: the first model is trained because
// there is none, a shift of every metric is reported as drift and triggers a retrain on recent history, the schedule
// triggers one too, each version is recorded with its report, and the watcher scores on with the swapped model.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../../src/store/index.js';
import { Watcher } from '../../../src/app/watch.js';
import { ModelLifecycle, defaultRetrainAfterMs, type LifecycleResult } from '../../../src/app/lifecycle.js';
import { withoutRanges } from '../../../src/app/train.js';
import { scoreSample, loadDetector } from '../../../src/detectors/index.js';
import type { Sample } from '../../../src/core/sample.js';
import type { FlinkEvent } from '../../../src/core/event.js';
import { collectResumedEvent } from '../../../src/core/outage.js';
import { freshEvent } from '../../../src/core/stale.js';

const H = 3_600_000;
/** Minute i of the data time. */
const t = (i: number): number => 1.7e12 + i * 60_000;
function samples(machine: string, from: number, to: number, shift: number): Sample[] {
  const out: Sample[] = [];
  for (let i = from; i < to; i++) {
    const ts = t(i);
    out.push({ ts, machine, metric: 'cpu_load', value: Math.sin(i / 9) + ((i * 7) % 5) * 0.05 + shift }, { ts, machine, metric: 'latency_ms', value: 50 + Math.cos(i / 7) + ((i * 3) % 4) * 0.2 + shift * 3 });
  }
  return out;
}

describe('model life-cycle', () => {
  it('scoreSample keeps an even, finite sample', () => {
    assert.deepEqual(scoreSample(Float32Array.of(0, 1, NaN, 3, 4, 5), 3), [0, 4]);
    assert.equal(scoreSample(new Float32Array(10_000).fill(1)).length, 2000);
  });

  it('trains the first model, reports drift, retrains on drift and on schedule, and the watcher swaps models', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flinkscope-life-'));
    const store = new SqliteStore(':memory:');
    let clock = 1.8e12;
    try {
      await store.insertSamples([...samples('tm-1', 0, 600, 0), ...samples('tm-2', 0, 600, 0)]);
      const life = new ModelLifecycle(store, { kind: 'zscore', modelDir: dir, now: () => clock, driftWindowMs: 2 * H, policy: { intervalMs: 24 * H, historyMs: 6 * H, minGapMs: H } });
      const first = await life.step(['cpu_load', 'latency_ms']);
      assert.equal(first.decision.reason, 'no-model');
      assert.ok(first.retrained && existsSync(first.retrained.path), 'model file written');
      assert.equal((await store.latestModel())!.id, first.retrained.id);
      assert.ok(loadDetector(first.retrained.path).trainScores.length > 100, 'training scores kept in the artifact for drift checks');

      const watcher = await Watcher.open(store, first.retrained.detector, first.retrained.threshold, first.retrained.id, { window: 32, maxRowsPerStep: 1000 });
      assert.equal((await watcher.step()).scored, 1200);
      clock += 2 * H; // past the minimum gap, well before the schedule
      const calm = await life.step(watcher.channels);
      assert.equal(calm.decision.due, false);
      assert.equal(calm.drift?.drifted, false, `no drift on more of the same: KS ${calm.drift?.ks}`);

      // every metric moves up for 3 hours: the scores drift
      await store.insertSamples([...samples('tm-1', 600, 780, 4), ...samples('tm-2', 600, 780, 4)]);
      await watcher.step();
      const shifted = await life.step(watcher.channels);
      assert.equal(shifted.drift?.drifted, true);
      assert.equal(shifted.decision.reason, 'drift');
      assert.ok(shifted.retrained, 'retrained on drift');
      assert.equal((await store.model(shifted.retrained.id))!.report.reason, 'drift');
      assert.equal(((await store.model(first.retrained.id))!.report.drift as { drifted: boolean }).drifted, true, 'the drift check is recorded on the model it judged');
      watcher.swapModel(shifted.retrained.detector, shifted.retrained.threshold, shifted.retrained.id);
      assert.equal(watcher.threshold, shifted.retrained.threshold);
      await store.insertSamples([...samples('tm-1', 780, 800, 4), ...samples('tm-2', 780, 800, 4)]);
      assert.equal((await watcher.step()).scored, 40, 'scoring goes on with the new model');

      clock += 25 * H;
      const sched = await life.step(watcher.channels);
      assert.equal(sched.decision.reason, 'schedule');
      assert.ok(sched.retrained && sched.retrained.id > shifted.retrained.id);
      assert.throws(() => watcher.swapModel({ ...sched.retrained!.detector, channels: ['cpu_load'] } as never, 1, null), /channels differ/);
    } finally {
      await store.close();
    }
  });
});

const CHANNELS = ['cpu_load', 'latency_ms'];

/** A store holding 300 minutes of two machines, a life-cycle that retrains 10 min after a placement event (no
 *  schedule, no drift check), and its first step (the first model, trained because there is none). */
async function afterEventLife(prefix: string): Promise<{ store: SqliteStore; life: ModelLifecycle; first: LifecycleResult }> {
  const store = new SqliteStore(':memory:');
  await store.insertSamples([...samples('tm-1', 0, 300, 0), ...samples('tm-2', 0, 300, 0)]);
  const life = new ModelLifecycle(store, { kind: 'zscore', modelDir: mkdtempSync(join(tmpdir(), prefix)), policy: { intervalMs: Infinity, onDrift: false, afterEventMs: 10 * 60_000 } });
  return { store, life, first: await life.step(CHANNELS) };
}

describe('retraining after a failover', () => {
  it('retrains once the failover has settled, records why, keeps the after-effects in the history, and not again', async () => {
    const { store, life, first } = await afterEventLife('flinkscope-life-ev-');
    try {
      assert.equal(first.decision.reason, 'no-model');
      assert.equal((await store.model(first.retrained!.id))!.report.to, t(299), 'the history it learnt up to');
      // a TaskManager is lost at row 320; tm-1 runs at another level from then on
      await store.insertSamples([...samples('tm-1', 300, 325, 0), ...samples('tm-2', 300, 325, 0)]);
      await store.insertEvents([
        { id: 'r1', ts: t(318), kind: 'restart', machines: ['tm-1'], detail: 'numRestarts 0 → 1' },
        { id: 'f1', ts: t(320), kind: 'failover', machines: ['tm-1'], detail: 'TaskManager tm-3 lost' },
      ]);
      assert.equal((await life.step(CHANNELS)).decision.reason, 'not-due', 'the failover has not settled yet');
      await store.insertSamples([...samples('tm-1', 325, 331, 2), ...samples('tm-2', 325, 331, 0)]);
      const after = await life.step(CHANNELS);
      assert.equal(after.decision.reason, 'event');
      assert.equal(after.event?.id, 'f1', 'the failover, not the restart before it');
      const rec = (await store.model(after.retrained!.id))!;
      assert.deepEqual(rec.report.event, { id: 'f1', kind: 'failover', ts: t(320) });
      assert.equal(rec.report.to, t(330));
      assert.ok(after.retrained!.path !== first.retrained!.path && existsSync(after.retrained!.path));
      await store.insertSamples([...samples('tm-1', 331, 400, 2), ...samples('tm-2', 331, 400, 0)]);
      assert.equal((await life.step(CHANNELS)).decision.reason, 'not-due', 'the new placement is learnt once');
    } finally {
      await store.close();
    }
  });
});

describe('retraining after a failover, when no data came for a while', () => {
  // rows up to 324, then none until 340: the settling time counts from where the data came back (effectFrom), as the
  // event that ends the gap says — the collector's outage, or the failed-over machine's stale stretch
  const gaps: [string, FlinkEvent][] = [
    ['the collector could not reach the cluster', collectResumedEvent(t(340), t(324), 'failed', false)],
    ['the failed-over TaskManager\'s metrics were stale', freshEvent('tm-1', t(340), t(321), t(322))],
  ];
  for (const [why, end] of gaps) {
    it(`waits the settling time from where the data came back: ${why}`, async () => {
      const { store, life } = await afterEventLife('flinkscope-life-gap-');
      try {
        await store.insertEvents([{ id: 'f1', ts: t(320), kind: 'failover', machines: ['tm-1'], detail: 'TaskManager tm-3 lost' }, end]);
        await store.insertSamples([...samples('tm-1', 300, 325, 0), ...samples('tm-2', 300, 325, 0), ...samples('tm-1', 340, 350, 1), ...samples('tm-2', 340, 350, 0)]);
        assert.equal((await life.step(CHANNELS)).decision.reason, 'not-due', '29 min after the failover, 9 after the data came back');
        await store.insertSamples([...samples('tm-1', 350, 351, 1), ...samples('tm-2', 350, 351, 0)]);
        const after = await life.step(CHANNELS);
        assert.equal(after.decision.reason, 'event', '10 min after the data came back');
        assert.equal(after.event?.id, 'f1');
      } finally {
        await store.close();
      }
    });
  }
  it('a gap on a machine the failover does not name, or one that began long after it, does not move it', async () => {
    const { store, life } = await afterEventLife('flinkscope-life-gap-other-');
    try {
      await store.insertEvents([{ id: 'f1', ts: t(320), kind: 'failover', machines: ['tm-1'], detail: 'TaskManager tm-3 lost' }, freshEvent('tm-2', t(340), t(321), t(322)), freshEvent('tm-1', t(345), t(335), t(336))]);
      await store.insertSamples([...samples('tm-1', 300, 331, 1), ...samples('tm-2', 300, 321, 0)]);
      assert.equal((await life.step(CHANNELS)).decision.reason, 'event', 'settled at 330 by the clock');
    } finally {
      await store.close();
    }
  });
});

describe('retraining after a failover: which settling time, and events past one page', () => {
  it('defaults to the event grace period, 10 min without one', () => {
    assert.equal(defaultRetrainAfterMs(undefined), 600_000);
    assert.equal(defaultRetrainAfterMs(0), 600_000);
    assert.equal(defaultRetrainAfterMs(120_000), 120_000);
  });

  it('finds a failover behind more than a page of other events', async () => {
    const { store, life } = await afterEventLife('flinkscope-life-many-');
    try {
      // 10 001 failed checkpoints in the minute after the history, then the failover
      await store.insertEvents(Array.from({ length: 10_001 }, (_, k) => ({ id: `c${k}`, ts: t(300) + k, kind: 'checkpoint-failed' as const, machines: ['tm-1'], detail: 'declined' })));
      await store.insertEvents([{ id: 'f1', ts: t(305), kind: 'failover', machines: ['tm-1'], detail: 'TaskManager tm-3 lost' }]);
      await store.insertSamples([...samples('tm-1', 300, 320, 1), ...samples('tm-2', 300, 320, 0)]);
      const after = await life.step(CHANNELS);
      assert.equal(after.decision.reason, 'event');
      assert.equal(after.event?.id, 'f1');
    } finally {
      await store.close();
    }
  });
});

describe('retraining history', () => {
  it('leaves incident periods out', async () => {
    const s = { name: 'm', timestamps: Float64Array.of(1, 2, 3, 4, 5), channels: ['a', 'b'], values: Float32Array.of(1, 10, 2, 20, 3, 30, 4, 40, 5, 50) };
    const r = withoutRanges(s, [[2, 3]]);
    assert.deepEqual(Array.from(r.timestamps), [1, 4, 5]);
    assert.deepEqual(Array.from(r.values), [1, 10, 4, 40, 5, 50]);
    assert.equal(withoutRanges(s, []), s);
  });
});
