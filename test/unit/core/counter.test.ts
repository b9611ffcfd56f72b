// Monotone counters as rates per minute: the window, restarts, gaps and a clock set back.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CounterRates, counterRateSeries } from '../../../src/core/counter.js';

describe('counter rates', () => {
  it('rate per minute over the last minute; NaN before a second reading', () => {
    const r = counterRateSeries([0, 20_000, 40_000, 60_000, 80_000], [10, 12, 14, 16, 30]);
    assert.ok(Number.isNaN(r[0]));
    assert.deepEqual(Array.from(r.slice(1)), [6, 6, 6, (30 - 12) / 60 * 60]);
  });
  it('a decrease is a restart: counting starts again from it', () => {
    const r = counterRateSeries([0, 10_000, 20_000, 30_000], [500, 510, 2, 4]);
    assert.equal(r[1], 60);
    assert.ok(Number.isNaN(r[2]), 'no rate at the restart, never a negative one');
    assert.equal(r[3], 12);
  });
  it('a gap (NaN) is missing, and the rate bridges it inside the window; a gap longer than the window leaves no rate', () => {
    const r = counterRateSeries([0, 10_000, 20_000, 100_000, 110_000], [0, NaN, 4, 8, 10]);
    assert.ok(Number.isNaN(r[1]));
    assert.equal(r[2], 12);
    assert.ok(Number.isNaN(r[3]), '80 s since the last reading: longer than the window');
    assert.equal(r[4], 12);
  });
  it('keys are separate; a reading not after the previous one starts the key over', () => {
    const c = new CounterRates(60_000);
    c.push('a', 0, 0);
    c.push('b', 0, 100);
    assert.equal(c.push('a', 30_000, 3), 6);
    assert.equal(c.push('b', 30_000, 130), 60);
    assert.ok(Number.isNaN(c.push('a', 30_000, 4)), 'same timestamp again: no rate from a zero interval');
    assert.equal(c.push('a', 40_000, 6), 12);
    assert.throws(() => new CounterRates(0), /positive/);
    c.retain((k) => k === 'b');
    assert.equal(c.size, 1);
    assert.ok(Number.isNaN(c.push('a', 50_000, 7)), 'a forgotten key starts again');
  });
});
