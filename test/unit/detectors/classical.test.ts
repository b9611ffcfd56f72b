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
