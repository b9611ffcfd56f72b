// Scores in units of their model's levels (src/core/units.ts): 0 at the keep-open level, 1 at the opening level,
// read from a model's report key by key; as stored where no unit is known.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FLINK_UPDATE_MS, PERSIST_POINTS, holdNext, inUnits, keptUnits, persistPoints, unitKey, unitOf } from '../../../src/core/units.js';

describe('score units', () => {
  it('puts the keep-open level at 0 and the opening level at 1, for every model alike', () => {
    assert.equal(inUnits(3, [3, 6]), 0);
    assert.equal(inUnits(6, [3, 6]), 1);
    assert.equal(inUnits(60, [30, 60]), 1, 'a model that scores ten times as high reads the same');
    assert.equal(inUnits(12.5, [3, 6]), inUnits(125, [30, 60]));
    assert.equal(inUnits(-0.5, [-1, 1]), 0.25, 'negative scores (CCL) too');
  });
  it('keeps the order of one model\'s scores; without hysteresis it shifts by the opening level; without a unit, as stored', () => {
    const xs = [-2, 0, 1.5, 4, 9];
    const u = [1, 4] as const;
    assert.deepEqual(xs.map((x) => inUnits(x, u)).map((_, k, a) => k === 0 || a[k] > a[k - 1]), xs.map(() => true));
    assert.equal(inUnits(7, [5, 5]), 2);
    assert.equal(inUnits(7, undefined), 7);
  });
  it('reads a machine\'s unit from a model report, and nothing malformed', () => {
    const report = { reason: 'event', [unitKey('tm-1')]: [0.1, 0.3], [unitKey('tm-2')]: [1, 'x'], [unitKey('tm-3')]: [1] };
    assert.deepEqual(unitOf(report, 'tm-1'), [0.1, 0.3]);
    assert.equal(unitOf(report, 'tm-2'), undefined);
    assert.equal(unitOf(report, 'tm-3'), undefined);
    assert.equal(unitOf(report, 'tm-4'), undefined);
    assert.equal(unitOf(undefined, 'tm-1'), undefined);
  });
  it('lists every machine\'s unit a report kept (as JSON or parsed), skipping malformed ones', () => {
    const report = { reason: 'event', [unitKey('tm-1')]: [0.1, 0.3], [unitKey('tm-2')]: [1, 'x'], [unitKey('a:b')]: [2, 4] };
    assert.deepEqual(keptUnits(report), [['tm-1', [0.1, 0.3]], ['a:b', [2, 4]]]);
    assert.deepEqual(keptUnits(JSON.stringify(report)), [['tm-1', [0.1, 0.3]], ['a:b', [2, 4]]]);
    assert.deepEqual(keptUnits('not json'), []);
    assert.deepEqual(keptUnits('null'), []);
  });
  it('holds the level across calls, leaving out points without units, float64 exact', () => {
    const a = holdNext([], [0.3, 1.7, 1.1], 3);
    assert.deepEqual(a.held, [0.3, 0.3, 0.3]);
    const b = holdNext(a.kept, [NaN, 1.4, 0.2], 3);
    assert.deepEqual(b.held.map(String), ['NaN', '1.1', '0.2'], 'the NaN point is not in the window: 1.4 holds 1.7 and 1.1');
    assert.deepEqual(b.kept, [1.1, 1.4, 0.2]);
  });
  it('persists over PERSIST_POINTS different Flink readings: 3 points at 5 s or slower, 6 at a 2-s scrape', () => {
    assert.equal(FLINK_UPDATE_MS, 5_000);
    assert.deepEqual([60_000, 10_000, 5_000].map(persistPoints), [PERSIST_POINTS, PERSIST_POINTS, PERSIST_POINTS]);
    assert.equal(persistPoints(2_000), 6, 'flink-lab: 6 points span 10 s, two of Flink\'s updates, so they hold 3 readings');
    assert.equal(persistPoints(1_000), 11);
    assert.equal(persistPoints(2_500), 5);
    assert.equal(persistPoints(1_999.9999), 6, 'a median step a hair under 2 s');
    for (const bad of [NaN, 0, -2_000, Infinity]) assert.equal(persistPoints(bad), PERSIST_POINTS, `${bad}`);
    // the rule it states: the points span (PERSIST_POINTS − 1) updates, with no point fewer
    for (const ms of [500, 1_000, 2_000, 3_000, 4_000]) {
      const k = persistPoints(ms);
      assert.ok((k - 1) * ms >= (PERSIST_POINTS - 1) * FLINK_UPDATE_MS && (k - 2) * ms < (PERSIST_POINTS - 1) * FLINK_UPDATE_MS, `${ms} ms: ${k}`);
    }
  });
});
