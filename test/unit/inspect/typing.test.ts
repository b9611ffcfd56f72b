import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { typeSegment, TypingError } from '../../../src/inspect/typing.js';
import { findSegments } from '../../../src/inspect/segments.js';

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
