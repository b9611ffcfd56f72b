import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retrainDecision, settledEvent, PLACEMENT_EVENTS } from '../../../src/inspect/lifecycle.js';
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
