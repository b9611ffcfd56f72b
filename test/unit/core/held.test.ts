// The level a score held (src/core/stats.ts heldLevel): the lowest of each point's last k values — what the product's
// persistence reads, and what `flinkscope eval --hold k` scores every detector by.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { heldLevel } from '../../../src/core/stats.js';

describe('heldLevel', () => {
  it('drops a lone high sample and keeps a run of k', () => {
    const v = [1, 9, 1, 1, 5, 6, 7, 2];
    assert.deepEqual(Array.from(heldLevel(v, 1)), v, 'k = 1 copies');
    assert.deepEqual(Array.from(heldLevel(v, 2)), [1, 1, 1, 1, 1, 5, 6, 2]);
    assert.deepEqual(Array.from(heldLevel(v, 3)), [1, 1, 1, 1, 1, 1, 5, 2], 'the run 5 6 7 holds 5 at its third point');
  });
  it('reads fewer points at the start, and NaN in the window stays NaN', () => {
    assert.deepEqual(Array.from(heldLevel([4, 3, 8], 5)), [4, 3, 3]);
    assert.deepEqual(Array.from(heldLevel([1, NaN, 2, 3], 2)).map(String), ['1', 'NaN', 'NaN', '2']);
  });
  it('refuses a hold that is not a whole number of points, and an output of another length', () => {
    for (const k of [0, -1, 1.5, NaN]) assert.throws(() => heldLevel([1, 2], k), /hold must be an integer ≥ 1/);
    assert.throws(() => heldLevel([1, 2], 2, new Float64Array(3)), /out holds 3 values, not 2/);
  });
  it('writes into a Float64Array exactly', () => {
    assert.deepEqual(Array.from(heldLevel([0.1, 0.3, 0.2], 2, new Float64Array(3))), [0.1, 0.1, 0.2]);
  });
});
