import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { effectFrom, retrainDecision, settledEvent, PLACEMENT_EVENTS } from '../../../src/inspect/lifecycle.js';
import { freshEvent } from '../../../src/core/stale.js';
import { CollectOutage } from '../../../src/core/outage.js';
import type { FlinkEvent } from '../../../src/core/event.js';
import { driftCheck } from '../../../src/inspect/drift.js';

test('retrain: no model, schedule, drift (after min gap), not due', () => {
  const H = 3_600_000;
  const base = Array.from({ length: 100 }, (_, i) => (i % 10) / 10);
  const drift = driftCheck(base, base.map((v) => v + 2));
  const calm = driftCheck(base, base);
  assert.equal(retrainDecision(100 * H, null, null).reason, 'no-model');
  assert.equal(retrainDecision(100 * H, 70 * H, calm).reason, 'schedule');
  assert.equal(retrainDecision(100 * H, 98 * H, drift).reason, 'drift');
  assert.equal(retrainDecision(100 * H, 99.5 * H, drift).reason, 'not-due');
  const d = retrainDecision(100 * H, 98 * H, calm);
  assert.equal(d.due, false);
  assert.equal(d.to - d.from, 7 * 24 * H);
});

test('retrain after a placement event: only a failover, deploy or rescale after the history, once it has settled', () => {
  const M = 60_000;
  const ev = (id: string, kind: FlinkEvent['kind'], ts: number): FlinkEvent => ({ id, ts, kind, machines: ['tm-1'], detail: kind });
  const events = [ev('r', 'restart', 95 * M), ev('old', 'failover', 80 * M), ev('f', 'failover', 100 * M), ev('d', 'deploy', 105 * M)];
  assert.equal(settledEvent(events, 90 * M, 109 * M, 10 * M), null, 'not settled yet (a restart alone never asks)');
  assert.equal(settledEvent(events, 90 * M, 110 * M, 10 * M)?.id, 'f', 'the failover, 10 min on; the one before the history ended is learnt');
  assert.equal(settledEvent(events, 90 * M, 200 * M, 10 * M)?.id, 'f', 'the first of the settled ones');
  assert.equal(settledEvent(events, 100 * M, 200 * M, 10 * M)?.id, 'd', 'a history that ends at the failover has learnt it');
  assert.equal(settledEvent(events, 90 * M, 200 * M, 0), null, 'off');
  assert.equal(settledEvent(events, 90 * M, 200 * M, undefined), null, 'off');
  assert.ok(PLACEMENT_EVENTS.has('rescale') && !PLACEMENT_EVENTS.has('restart') && !PLACEMENT_EVENTS.has('metrics-stale'));
  const H = 3_600_000;
  const f = settledEvent(events, 90 * M, 110 * M, 10 * M);
  const d = retrainDecision(100 * H, 99.9 * H, null, { minGapMs: H }, f);
  assert.deepEqual([d.due, d.reason], [true, 'event'], 'the minimum gap guards drift flapping, not a new placement');
  assert.equal(retrainDecision(100 * H, 70 * H, null, {}, f).reason, 'schedule', 'a due schedule is named first');
  assert.equal(retrainDecision(100 * H, 99.9 * H, null, {}, null).reason, 'not-due');
});

describe('when an event\'s effect shows in the data (effectFrom): after a gap that began around it, from where the data came back', () => {
  const M = 60_000;
  const failover = (machines: string[] = ['tm-1'], kind: FlinkEvent['kind'] = 'failover'): FlinkEvent => ({ id: kind, ts: 100 * M, kind, machines, detail: kind });
  // tm-1's metrics froze from 101 to 130; the collector had no data from 99 to 120
  const fresh = freshEvent('tm-1', 130 * M, 101 * M, 102 * M);
  const outage = new CollectOutage(undefined, M);
  outage.ok(99 * M);
  outage.failed(99.5 * M, 'connection refused');
  const [resumed] = outage.ok(120 * M);

  it('a stale stretch of a machine the event names', () => {
    assert.equal(effectFrom(failover(), 'tm-1', [fresh], 10 * M), 130 * M);
    assert.equal(effectFrom(failover(), undefined, [fresh], 10 * M), 130 * M, 'on every machine it names');
    assert.equal(effectFrom(failover(['tm-2']), 'tm-1', [fresh], 10 * M), 100 * M, 'not one it does not name');
    assert.equal(effectFrom(failover([]), 'tm-1', [fresh], 10 * M), 100 * M, 'nor a cluster-wide event');
    assert.equal(effectFrom(failover(), 'tm-1', [freshEvent('tm-1', 130 * M, 115 * M, 116 * M)], 10 * M), 100 * M, 'values that froze after the window');
    assert.equal(effectFrom(failover(), 'tm-1', [freshEvent('tm-1', 95 * M, 92 * M, 93 * M)], 10 * M), 100 * M, 'a stretch that ended before the event');
  });
  it('the collector\'s outage, on every machine, cluster-wide events too — unless the missed stretch was read after all', () => {
    assert.equal(resumed.kind, 'collect-resumed');
    assert.equal(effectFrom(failover(['tm-2']), 'tm-2', [resumed], 10 * M), 120 * M);
    assert.equal(effectFrom(failover([]), undefined, [resumed], 10 * M), 120 * M);
    assert.equal(effectFrom(failover(), 'tm-1', [resumed, fresh], 10 * M), 130 * M, 'the later of two gaps');
    const read = new CollectOutage(undefined, M);
    read.ok(99 * M);
    read.failed(99.5 * M, 'down');
    assert.equal(effectFrom(failover(), 'tm-1', read.ok(120 * M, () => true), 10 * M), 100 * M, 'backfilled: no gap');
  });
  it('retraining counts its settling time from there', () => {
    const events = [failover(), resumed];
    assert.equal(settledEvent(events, 90 * M, 129 * M, 10 * M), null, '10 min of data since 120 only at 130');
    assert.equal(settledEvent(events, 90 * M, 130 * M, 10 * M)?.id, 'failover');
    assert.equal(settledEvent([failover()], 90 * M, 110 * M, 10 * M)?.id, 'failover', 'without a gap: by the clock');
  });
});
