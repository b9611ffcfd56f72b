// Packed sample rows (src/store/rows.ts): entries sorted by metric id, exact float64 values, and a repeated id keeps
// its first value — a batch holding a metric twice stores what came first, like a row that already exists.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eachEntry, entryCount, packRow } from '../../../src/store/rows.js';

const entries = (b: Buffer): [number, number][] => {
  const out: [number, number][] = [];
  eachEntry(b, (id, v) => out.push([id, v]));
  return out;
};

describe('packed rows', () => {
  it('sorts by id and keeps values exact', () => {
    assert.deepEqual(entries(packRow([0, 2, 7], [0.1, 123456789.25, -3])), [[0, 0.1], [2, 123456789.25], [7, -3]]);
    assert.deepEqual(entries(packRow([7, 0, 2], [-3, 0.1, 123456789.25])), [[0, 0.1], [2, 123456789.25], [7, -3]]);
  });

  it('keeps the first value of a repeated id, in order given or not', () => {
    const a = packRow([1, 1, 2], [5, 6, 7]);
    assert.deepEqual(entries(a), [[1, 5], [2, 7]]);
    assert.equal(entryCount(a), 2);
    assert.deepEqual(entries(packRow([3, 1, 3, 1, 0], [30, 10, 31, 11, 0])), [[0, 0], [1, 10], [3, 30]]);
    assert.deepEqual(entries(packRow([], [])), []);
  });
});
