import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { IncidentTracker, IncidentError } from '../../../src/inspect/incidents.js';
import { rankMachines, healthSummary } from '../../../src/inspect/ranking.js';

describe('incidents', () => {
  test('close segments group, far ones open a new incident', () => {
    const tr = new IncidentTracker({ mergeGapMs: 1000, resolveAfterMs: 5000 });
    const a = tr.addSegment({ machine: 'm1', type: 'spike', onset: 0, end: 100, peak: 2 });
    const b = tr.addSegment({ machine: 'm1', type: 'trend', onset: 600, end: 900, peak: 3 });
    assert.equal(a, b);
    assert.equal(a.segments, 2);
    assert.equal(a.type, 'trend');
    const c = tr.addSegment({ machine: 'm1', type: 'spike', onset: 3000, end: 3100, peak: 1 });
    assert.notEqual(c.id, a.id);
    assert.equal(a.state, 'resolved');
  });
  test('open → resolved on quiet; ids never reused after a restart that keeps only active incidents', () => {
    const tr = new IncidentTracker({ resolveAfterMs: 1000 });
    const i = tr.addSegment({ machine: 'm2', type: 'spike', onset: 0, end: 10, peak: 2 });
    assert.deepEqual(tr.tick(500), []);
    assert.deepEqual(tr.tick(1010).map((x) => x.id), [i.id]);
    assert.equal(i.state, 'resolved');
    assert.throws(() => tr.resolve('nope', 1), IncidentError);
    tr.prune(2000);
    assert.equal(tr.incidents.length, 0, 'resolved incidents leave memory');
    const again = new IncidentTracker();
    again.restore([], tr.nextNumber);
    assert.equal(again.addSegment({ machine: 'm2', type: 'spike', onset: 3000, end: 3010, peak: 2 }).id, 'inc-2');
  });
});

describe('ranking', () => {
  test('orders by risk and summarises', () => {
    const r = rankMachines([
      { machine: 'a', scores: [0.1, 0.1] },
      { machine: 'b', scores: [2, 3] },
      { machine: 'c', scores: [0.2], hasActiveIncident: true },
    ], 1);
    assert.deepEqual(r.map((x) => x.machine), ['b', 'c', 'a']);
    const h = healthSummary(r);
    assert.equal(h.atRisk, 2);
    assert.equal(h.max, 3);
  });
});
