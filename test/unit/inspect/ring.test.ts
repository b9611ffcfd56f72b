import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { RingBuffer } from '../../../src/inspect/ring.js';
import { contributions, contributionsFrom, baselineLevels } from '../../../src/inspect/explain.js';

describe('ring buffer', () => {
  test('keeps the last window in order and rejects old timestamps', () => {
    const r = new RingBuffer(3, 2);
    for (let t = 1; t <= 5; t++) assert.equal(r.push(t, [t, -t]), true);
    assert.equal(r.push(5, [0, 0]), false);
    assert.equal(r.push(2, [0, 0]), false);
    const s = r.snapshot();
    assert.deepEqual(Array.from(s.timestamps), [3, 4, 5]);
    assert.deepEqual(Array.from(s.values), [3, -3, 4, -4, 5, -5]);
    assert.throws(() => r.push(6, [1]), RangeError);
  });
  test('snapshots of the newest rows, wrapped or not', () => {
    const r = new RingBuffer(4, 1);
    for (let t = 1; t <= 2; t++) r.push(t, [10 * t]);
    assert.deepEqual(Array.from(r.snapshot(5).values), [10, 20], 'fewer rows than asked: all of them');
    for (let t = 3; t <= 7; t++) r.push(t, [10 * t]); // wrapped: slots hold 5 6 7 4
    assert.deepEqual(Array.from(r.snapshot().timestamps), [4, 5, 6, 7]);
    assert.deepEqual(Array.from(r.snapshot(3).values), [50, 60, 70]);
    assert.deepEqual(Array.from(r.snapshot(1).timestamps), [7]);
    assert.deepEqual(Array.from(r.snapshot(0).timestamps), []);
  });
  test('every snapshot is the newest rows, across many moves to the front (a plain list as the reference)', () => {
    for (const cap of [1, 2, 5, 128]) {
      const r = new RingBuffer(cap, 2);
      const ref: number[] = [];
      for (let t = 1; t <= 6 * cap + 3; t++) {
        r.push(t, [t, t / 2]);
        ref.push(t);
        for (const n of [1, Math.ceil(cap / 2), cap, cap + 1]) {
          const want = ref.slice(-Math.min(n, cap));
          const s = r.snapshot(n);
          assert.deepEqual(Array.from(s.timestamps), want, `cap ${cap}, t ${t}, n ${n}`);
          assert.deepEqual(Array.from(s.values), want.flatMap((x) => [x, x / 2]));
        }
        assert.equal(r.lastTimestamp, t);
        assert.equal(r.size, Math.min(t, cap));
      }
      assert.deepEqual(RingBuffer.fromJSON(JSON.parse(JSON.stringify(r.toJSON()))).snapshot(), r.snapshot());
    }
  });
});

describe('explanation', () => {
  test('the metric that moved gets the largest share', () => {
    const names = ['cpu', 'heap', 'busy'];
    const base: number[] = [];
    for (let i = 0; i < 20; i++) base.push(50 + (i % 3), 100 + (i % 2), 10 + (i % 4));
    const seg = [90, 101, 11, 95, 100, 12];
    const c = contributions(names, base, seg);
    assert.equal(c[0].name, 'cpu');
    assert.ok(c[0].share > 0.8);
    assert.ok(c[0].meanZ > 0);
    assert.ok(Math.abs(c.reduce((s, x) => s + x.share, 0) - 1) < 1e-9);
    // the online loop computes a baseline's levels once per segment: the same answer
    assert.deepEqual(contributionsFrom(names, baselineLevels(3, base), seg), c);
    // a channel with no finite baseline value contributes 0
    const gap = base.map((v, i) => (i % 3 === 1 ? NaN : v));
    assert.equal(contributionsFrom(names, baselineLevels(3, gap), seg).find((x) => x.name === 'heap')!.share, 0);
    assert.deepEqual(contributionsFrom(names, baselineLevels(3, gap), seg), contributions(names, gap, seg));
  });
  test('a channel on one value most of the time (MAD 0) is scaled by its spread, not by a floor near 0', () => {
    const names = ['gc_per_min', 'cpu'];
    const base: number[] = [];
    for (let i = 0; i < 40; i++) base.push(i % 8 === 0 ? 1 : 2, 50 + (i % 5));
    const lv = baselineLevels(2, base)[0]!;
    assert.equal(lv.level, 2);
    assert.ok(lv.scale > 0.3 && lv.scale < 0.4, `the standard deviation of 5×1 and 35×2 (≈ 0.33), got ${lv.scale}`);
    const c = contributions(names, base, [1, 80, 2, 85]);
    assert.equal(c[0].name, 'cpu', 'one collection fewer per minute does not outweigh a CPU jump');
  });
});
