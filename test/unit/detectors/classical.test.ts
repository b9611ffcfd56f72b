// Classical detectors against hand-computed values.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cFactor } from '../../../src/detectors/classical/iforest.js';
import { abJoin } from '../../../src/detectors/classical/matrix-profile.js';
import { createDetector } from '../../../src/detectors/index.js';
import type { Series } from '../../../src/core/series.js';

const s1 = (v: number[]): Series => ({ name: 'x', timestamps: Float64Array.from(v, (_, i) => i * 1000), channels: ['a'], values: Float32Array.from(v) });

describe('classical detectors', () => {
  it('iforest c(n): 0, 1, and 2·H(n−1) − 2(n−1)/n', () => {
    assert.equal(cFactor(1), 0);
    assert.equal(cFactor(2), 1);
    assert.ok(Math.abs(cFactor(256) - (2 * (Math.log(255) + 0.5772156649) - (2 * 255) / 256)) < 1e-12);
  });
  it('robust z-score: median 3, MAD 1 → |x − 3| / 1.4826', async () => {
    const d = createDetector('zscore');
    await d.fit(s1([1, 2, 3, 4, 5]));
    const s = d.score(s1([3, 6]));
    assert.ok(Math.abs(s[0]) < 1e-6);
    assert.ok(Math.abs(s[1] - 3 / 1.4826) < 1e-4);
  });
  it('matrix profile AB-join equals brute-force z-normalised distances', () => {
    const m = 6;
    const a = Float64Array.from({ length: 40 }, (_, i) => Math.sin(i / 2) + (i % 7 === 0 ? 1 : 0));
    const b = Float64Array.from({ length: 30 }, (_, i) => Math.cos(i / 3) + 0.1 * (i % 3));
    const z = (x: Float64Array, s: number): number[] => {
      const v = Array.from(x.subarray(s, s + m));
      const mu = v.reduce((p, q) => p + q, 0) / m;
      const sd = Math.sqrt(v.reduce((p, q) => p + (q - mu) ** 2, 0) / m);
      return v.map((q) => (q - mu) / sd);
    };
    const fast = abJoin(a, b, m);
    for (let i = 0; i + m <= a.length; i++) {
      let best = Infinity;
      for (let j = 0; j + m <= b.length; j++) {
        const za = z(a, i);
        const zb = z(b, j);
        best = Math.min(best, Math.sqrt(za.reduce((p, q, k) => p + (q - zb[k]) ** 2, 0)));
      }
      assert.ok(Math.abs(best - fast[i]) < 1e-9, `i=${i}: ${fast[i]} vs ${best}`);
    }
  });
  it('k-NN distance by hand: training windows {0, 1, 2, 10}, k = 1, window 1', async () => {
    const d = createDetector('knn', { window: 1, k: 1 });
    await d.fit(s1([0, 1, 2, 10]));
    // robust scale of [0, 1, 2, 10]: median 1.5, IQR q75 − q25 = 4 − 0.75 = 3.25 → |4 − 2| / 3.25 to the nearest (2)
    const s = d.score(s1([4]));
    assert.ok(Math.abs(s[0] - 2 / 3.25) < 1e-5, `${s[0]}`);
  });
});

describe('training scores for the threshold exclude trivial self-matches', () => {
  it('matrix profile: the AB-join with an exclusion zone equals brute force without the trivial pairs', () => {
    const m = 5;
    const a = Float64Array.from({ length: 36 }, (_, i) => Math.sin(i / 2) + 0.3 * Math.cos(i * 1.7));
    const offset = 14; // b is a's own stretch from 14 (a reference of a's last 22 points)
    const b = a.slice(offset);
    const zone = 3;
    const z = (x: Float64Array, s: number): number[] => {
      const v = Array.from(x.subarray(s, s + m));
      const mu = v.reduce((p, q) => p + q, 0) / m;
      const sd = Math.sqrt(v.reduce((p, q) => p + (q - mu) ** 2, 0) / m);
      return v.map((q) => (q - mu) / sd);
    };
    const fast = abJoin(a, b, m, { offset, zone });
    for (let i = 0; i + m <= a.length; i++) {
      let best = Infinity;
      for (let j = 0; j + m <= b.length; j++) {
        if (Math.abs(i - (j + offset)) < zone) continue;
        const za = z(a, i);
        const zb = z(b, j);
        best = Math.min(best, Math.sqrt(za.reduce((p, q, k) => p + (q - zb[k]) ** 2, 0)));
      }
      assert.ok(Math.abs(best - fast[i]) < 1e-9, `i=${i}: ${fast[i]} vs ${best}`);
    }
    assert.ok(abJoin(a, b, m)[20] < 1e-6, 'without the zone, a point inside the reference matches itself');
  });
  it('matrix profile fitted without calibration data: its threshold is not ~0 (every training point matching itself)', async () => {
    const v = Array.from({ length: 400 }, (_, i) => Math.sin(i / 6) + 0.2 * Math.sin(i * 0.77) + 0.05 * Math.cos(i * 2.3));
    const d = createDetector('matrix-profile', { m: 16, maxTrain: 400 });
    await d.fit(s1(v));
    const cal = d.calibrationScores;
    const inRef = cal.slice(100).filter(Number.isFinite);
    assert.ok(inRef.length > 250);
    assert.ok(Math.min(...inRef) > 1e-3, `smallest self-score ${Math.min(...inRef)}`);
    assert.ok(d.threshold > 0.01, `threshold ${d.threshold}`);
  });
  it('k-NN by hand: training windows {0, 1, 2, 10}, k = 1, window 1 — a training point is not its own neighbour', async () => {
    const d = createDetector('knn', { window: 1, k: 1 });
    await d.fit(s1([0, 1, 2, 10]));
    // robust scale: median 1.5, IQR 3.25; nearest OTHER training point: 1, 0 or 2, 1, 2 (for 10)
    const want = [1, 1, 1, 8].map((x) => x / 3.25);
    Array.from(d.calibrationScores).forEach((s, i) => assert.ok(Math.abs(s - want[i]) < 1e-5, `point ${i}: ${s} vs ${want[i]}`));
    // scoring the same values as new data still finds them (distance 0 up to float32 rounding of ‖a‖² + ‖b‖² − 2a·b)
    assert.ok(Array.from(d.score(s1([0, 1, 2, 10]))).every((s) => Math.abs(s) < 1e-2));
  });
  it('k-NN skips reference windows overlapping the query window (window 3: shifts by 1 and 2 are the query, not neighbours)', async () => {
    const d = createDetector('knn', { window: 3, k: 1 });
    const v = [0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0];
    await d.fit(s1(v));
    const cal = d.calibrationScores;
    // the windows holding the 5 (ending at 3, 4, 5) are like no window they do not overlap: clearly > 0 (in-sample: 0);
    // the zero window ending at 9 skips those ending at 7..11 but has the zero windows ending at 0..2: distance 0
    assert.ok(cal[3] > 0.5 && cal[4] > 0.5 && cal[5] > 0.5, `${Array.from(cal)}`);
    assert.ok(Math.abs(cal[9]) < 1e-6);
  });
  it('isolation forest: training scores are out-of-bag (other trees than the point\'s own), in-sample only when T ≤ ψ', async () => {
    const v = Array.from({ length: 300 }, (_, i) => Math.sin(i / 5) + (i % 37 === 0 ? 3 : 0));
    const oob = createDetector('iforest', { trees: 40, sampleSize: 64 });
    await oob.fit(s1(v));
    const inSample = oob.score(s1(v));
    const differ = Array.from(oob.calibrationScores).filter((s, i) => Math.abs(s - inSample[i]) > 1e-6).length;
    assert.ok(differ > 250, `${differ} of 300 training scores differ from in-sample scores`);
    const small = createDetector('iforest', { trees: 10, sampleSize: 64 });
    await small.fit(s1(v.slice(0, 60)));
    assert.deepEqual(Array.from(small.calibrationScores), Array.from(small.score(s1(v.slice(0, 60)))));
  });
  it('fit(train, { calibration }): the threshold and calibrationScores come from the held-out data, not from train', async () => {
    const d = createDetector('zscore', { contamination: 0.5 });
    await d.fit(s1([1, 2, 3, 4, 5]), { calibration: s1([3, 3, 9, 9]) });
    const want = Array.from(d.score(s1([3, 3, 9, 9])));
    assert.deepEqual(Array.from(d.calibrationScores), want);
    assert.ok(Math.abs(d.threshold - 3 / 1.4826) < 1e-4, `median of the calibration scores, got ${d.threshold}`);
  });
});
