// Alarm levels: one threshold with hysteresis, and a false-alarm budget per machine (POT on training tails, SPOT
// updates online, contamination left out, state that survives a restart).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AlarmBudget, FixedLevels, parseBudget, potLevel, tailSummary } from '../../../src/inspect/levels.js';
import { Rng } from '../../../src/tensor/index.js';

const expScores = (n: number, seed: number, scale = 1): Float32Array => {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => -Math.log(1 - rng.next()) * scale);
};

describe('fixed levels', () => {
  it('low sits between the median training score and the threshold; without a median there is no hysteresis', () => {
    const f = new FixedLevels(10, 'mad:8', 2);
    assert.equal(f.high('x'), 10);
    assert.equal(f.low('x'), 6);
    assert.equal(new FixedLevels(10, 'mad:8').low('x'), 10);
    assert.throws(() => new FixedLevels(NaN, 'x'), /finite/);
  });
});

describe('false-alarm budget', () => {
  // independent scores: each exceedance its own episode (quietPoints 0), so θ = 1
  const opts = { quietPoints: 0, longPoints: 30, contaminationLevel: Infinity, minPoints: 1 };
  it('the POT level of an exponential tail sits at the asked risk', () => {
    const s = expScores(200_000, 1);
    const tail = tailSummary(s, opts);
    // exact quantile of Exp(1) at risk q is −ln q
    for (const q of [1e-3, 1e-4]) {
      const spot = { t: tail.top[tail.top.length - 1], n: tail.n, k: 0, s1: 0, s2: 0, med: tail.median };
      for (const v of tail.top) if (v > spot.t) { spot.k++; spot.s1 += v - spot.t; spot.s2 += (v - spot.t) ** 2; }
      const z = potLevel(spot, q);
      assert.ok(Math.abs(z + Math.log(q)) < 0.35, `q ${q}: ${z.toFixed(2)} vs ${(-Math.log(q)).toFixed(2)}`);
    }
  });

  it('a budget of B pages per machine-day gives about B exceedance episodes per day on fresh normal scores', () => {
    // independent scores (θ = 1: every exceedance is its own episode); one point per minute
    const tails = { m1: tailSummary(expScores(20_000, 2), opts), m2: tailSummary(expScores(20_000, 3), opts) };
    const b = new AlarmBudget(tails, { perDay: 2, intervalMs: 60_000, start: 'machine' });
    assert.ok(Math.abs(b.risk - 2 / 1440) < 1e-9, `risk ${b.risk}`);
    const fresh = expScores(1440 * 50, 4);
    const per = fresh.filter((s) => s >= b.high('m1')).length / 50;
    assert.ok(per > 1 && per < 4, `${per.toFixed(2)} exceedances per day for a budget of 2`);
    assert.ok(b.low('m1') < b.high('m1') && b.low('m1') > tails.m1.median);
  });

  it('leaves long runs above the robust level (contamination) out of the tail, keeps short ones', () => {
    const s = expScores(3000, 5);
    for (let t = 1000; t < 1200; t++) s[t] = 50; // a 200-point hotspot in the history
    s[2000] = 40; // one short excursion: normal life
    const tail = tailSummary(s, { quietPoints: 10, longPoints: 30, contaminationLevel: 20 });
    assert.equal(tail.n, 3000 - 220);
    assert.equal(tail.top[0], 40);
    const kept = tailSummary(s, { quietPoints: 10, longPoints: 300, contaminationLevel: 20 });
    assert.equal(kept.top[0], 50, 'a run shorter than longPoints is kept');
  });

  it('learns online from normal points only, starts unseen machines from the cluster tail, and restores its state', () => {
    const tails = { m1: tailSummary(expScores(5000, 6), opts) };
    const b = new AlarmBudget(tails, { perDay: 1, intervalMs: 60_000, start: 'machine' });
    const h0 = b.high('m1');
    const before = JSON.stringify(b.save('m1'));
    b.observe('m1', h0 * 2); // an alarm is not normal behaviour
    assert.equal(JSON.stringify(b.save('m1')), before);
    for (const v of expScores(5000, 7, 3)) b.observe('m1', Math.min(v, b.high('m1') * 0.999)); // a noisier regime
    assert.ok(b.high('m1') > h0, `the level follows the machine's new normal: ${h0.toFixed(2)} → ${b.high('m1').toFixed(2)}`);
    const saved = JSON.parse(JSON.stringify(b.save('m1')));
    const again = new AlarmBudget(tails, { perDay: 1, intervalMs: 60_000, start: 'machine' });
    again.restore('m1', saved);
    assert.equal(again.high('m1'), b.high('m1'));
    assert.ok(Number.isFinite(again.high('never-seen')), 'an unseen machine starts from the cluster tail');
    assert.throws(() => new AlarmBudget({}, { perDay: 1, intervalMs: 60_000 }), /tails/);
    assert.throws(() => new AlarmBudget(tails, { perDay: 0, intervalMs: 60_000 }), /positive/);
  });

  it('parses budgets', () => {
    assert.equal(parseBudget('1/day'), 1);
    assert.equal(parseBudget('3.5/week'), 0.5);
    assert.equal(parseBudget('1/h'), 24);
    assert.throws(() => parseBudget('1'), /N\/day/);
    assert.throws(() => parseBudget('0/day'), /more than 0/);
  });
});
