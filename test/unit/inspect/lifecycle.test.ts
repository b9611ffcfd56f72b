import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retrainDecision } from '../../../src/inspect/lifecycle.js';
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
