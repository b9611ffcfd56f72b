import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { typeSegment, TypingError } from '../../../src/inspect/typing.js';
import { findSegments } from '../../../src/inspect/segments.js';
import { contributions } from '../../../src/inspect/explain.js';
import { madSigma, robustSpread } from '../../../src/core/stats.js';

const ts = (n: number, t0 = 0) => Array.from({ length: n }, (_, i) => t0 + i * 10_000);
const noisy = (n: number, level: number) => Array.from({ length: n }, (_, i) => level + ((i * 7) % 5) * 0.2 - 0.4);
const before = noisy(30, 10);

describe('hotspot typing', () => {
  test('spike', () => {
    const r = typeSegment({ timestamps: ts(2), values: [30, 25], before });
    assert.equal(r.type, 'spike');
  });
  test('slow-rising trend', () => {
    const v = Array.from({ length: 20 }, (_, i) => 10 + i * 1.5);
    assert.equal(typeSegment({ timestamps: ts(20), values: v, before }).type, 'trend');
  });
  test('sustained high level returns to baseline', () => {
    const r = typeSegment({ timestamps: ts(20, 5000), values: noisy(20, 25), before, after: noisy(10, 10) });
    assert.equal(r.type, 'sustained-high');
    assert.equal(r.onset, 5000);
    assert.equal(r.durationMs, 19 * 10_000);
  });
  test('level shift persists after the segment', () => {
    assert.equal(typeSegment({ timestamps: ts(20), values: noisy(20, 25), before, after: noisy(10, 25) }).type, 'level-shift');
  });
  test('back-pressure propagation', () => {
    assert.equal(typeSegment({ timestamps: ts(20), values: noisy(20, 25), before, backpressureShare: 0.8 }).type, 'backpressure');
  });
  test('a baseline that sits on one value (MAD 0) is scaled by its spread, as the explanation scales it', () => {
    // a GC rate of 2 per minute with the odd 1 or 3: one collection more is not a 10⁶-sigma event
    const gc = [2, 2, 2, 3, 2, 2, 2, 1, 2, 2, 2, 2, 3, 2, 2];
    assert.equal(madSigma(gc), 0);
    const r = typeSegment({ timestamps: ts(6), values: [3, 2, 3, 2, 3, 2], before: gc });
    assert.equal(r.magnitude, 1 / robustSpread(gc));
    assert.ok(r.magnitude < 3);
    assert.equal(r.type, 'spike', 'no point is far out: the segment is not a sustained change');
    const [c] = contributions(['gc_per_min'], gc, [3, 2, 3, 2, 3, 2]);
    // the mean z over the segment (half its points one above the level) is half the largest: one spread for both
    assert.ok(Math.abs(c.meanZ - r.magnitude / 2) < 1e-9, `${c.meanZ} vs ${r.magnitude / 2}`);
  });
  test('bad input is a typed error', () => {
    assert.throws(() => typeSegment({ timestamps: ts(3), values: [NaN, NaN, NaN], before }), TypingError);
    assert.throws(() => typeSegment({ timestamps: ts(3), values: [1, 2, 3], before: [1] }), TypingError);
  });
});

describe('segments', () => {
  test('runs with short gaps bridged', () => {
    const s = findSegments([0, 1, 1, 0, 1, 0, 0, 0, 1, NaN], { threshold: 0.5, maxGap: 2 });
    assert.deepEqual(s.map((x) => [x.start, x.end]), [[1, 5], [8, 9]]);
  });
  test('invalid threshold', () => assert.throws(() => findSegments([1], { threshold: NaN }), RangeError));
});
