// A held incident's run that outgrew what the events did to it (src/inspect/outgrow.ts outgrownFrom; issue #14):
// after the hold, minPoints consecutive points above every score the holds saw on the incident, outside any hold.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newHighFrom, outgrownFrom, runAboveHolds } from '../../../src/inspect/outgrow.js';

// one point a minute from minute 0; the hold ends at minute 4
const t = (n: number): number[] => Array.from({ length: n }, (_, k) => k);
const UNTIL = 4;

describe('outgrownFrom', () => {
  it('a run above the hold\'s highest score, after the hold, pages from its start', () => {
    //            hold: 0..4 (peak 30)     after
    const s = [12, 30, 25, 9, 8, 2, 31, 40, 45, 50];
    assert.equal(outgrownFrom(t(s.length), s, UNTIL, 3), 6);
  });
  it('bursts at the opening level that stay below what the event did do not', () => {
    const s = [12, 30, 25, 9, 8, 2, 20, 29, 30, 12, 28, 29];
    assert.equal(outgrownFrom(t(s.length), s, UNTIL, 3), undefined, 'equal to the peak is not above it');
  });
  it('needs the persistence: fewer than minPoints points above do not page', () => {
    const s = [12, 30, 25, 9, 8, 2, 40, 45, 3, 50, 60, 1];
    assert.equal(outgrownFrom(t(s.length), s, UNTIL, 3), undefined);
    assert.equal(outgrownFrom(t(s.length), s, UNTIL, 2), 9, 'the latest run that met it');
    assert.equal(outgrownFrom(t(s.length), s, UNTIL, 1), 9);
  });
  it('nothing before the hold ends counts, however high', () => {
    const s = [100, 200, 300, 400, 500, 2, 3];
    assert.equal(outgrownFrom(t(s.length), s, UNTIL, 1), undefined);
    assert.equal(outgrownFrom(t(s.length), s, 10, 1), undefined, 'still in the hold');
  });
  it('a later event\'s hold: its run does not page, and what it did raises the yardstick', () => {
    //        hold to 4 (peak 30) | 6..8 held by a later restart (peak 90) | after
    const s = [12, 30, 25, 9, 8, 2, 60, 90, 70, 50, 55, 60, 95, 96, 97];
    const holds = [{ from: 6, to: 8 }];
    assert.equal(outgrownFrom(t(s.length), s, UNTIL, 3, holds), 12, 'only the run above 90 after the second hold');
    assert.equal(outgrownFrom(t(12), s.slice(0, 12), UNTIL, 3, holds), undefined, 'the run at 50–60 stays below it');
    assert.equal(outgrownFrom(t(12), s.slice(0, 12), UNTIL, 3), 6, 'without the later hold, 60 at minute 6 outgrew the first');
  });
  it('after a later hold, a run is measured against what that hold saw, not the first (each its own stretch)', () => {
    //        hold to 4 (peak 30) | 6..8 a later restart (peak 12) | after: 20–22 above the later, below the first
    const s = [12, 30, 25, 9, 8, 2, 10, 12, 11, 5, 20, 21, 22];
    const holds = [{ from: 0, to: 4 }, { from: 6, to: 8 }];
    assert.equal(outgrownFrom(t(s.length), s, 8, 3, holds), 10, 'held by the later restart (until 8): outgrown from 10');
    assert.equal(outgrownFrom(t(s.length), s, 8, 3, holds, 2), undefined, 'holds 2 apart, at most `apart`: one stretch, peak 30');
    assert.equal(outgrownFrom(t(s.length), s, 8, 3, holds, 1), 10, 'more than `apart` between them: two stretches');
  });
  it('the lead-in before the first hold is part of it', () => {
    //        lead-in 0..1 (40) | hold 2..4 (peak 20) | after
    const s = [35, 40, 20, 15, 10, 2, 25, 30, 33];
    assert.equal(outgrownFrom(t(s.length), s, 4, 3, [{ from: 2, to: 4 }]), undefined, 'below the lead-in\'s 40');
    assert.equal(outgrownFrom(t(s.length), s.map((x, k) => (k < 2 ? x / 4 : x)), 4, 3, [{ from: 2, to: 4 }]), 6);
  });
  it('a run that had not met the rule when a later hold began is that hold\'s', () => {
    const s = [12, 30, 25, 9, 8, 40, 45, 50, 55, 2];
    assert.equal(outgrownFrom(t(s.length), s, UNTIL, 3, [{ from: 7, to: 8 }]), undefined);
    assert.equal(outgrownFrom(t(s.length), s, UNTIL, 2, [{ from: 7, to: 8 }]), 5, 'one that had met it stays');
  });
  it('missing scores break a run; bad input is refused', () => {
    const s = [12, 30, 25, 9, 8, 40, NaN, 45, 50, 2];
    assert.equal(outgrownFrom(t(s.length), s, UNTIL, 3), undefined);
    assert.equal(outgrownFrom(t(s.length), s, UNTIL, 2), 7);
    assert.throws(() => outgrownFrom([0, 1], [1], UNTIL, 3), /differ in length/);
    assert.throws(() => outgrownFrom([0], [1], UNTIL, 0), /positive integer/);
    assert.equal(outgrownFrom([], [], UNTIL, 3), undefined);
  });
});

describe('newHighFrom', () => {
  it('a run above everything the incident scored before it: from its start to its last point above', () => {
    //          symptom (peak 30)    own hotspot
    const s = [20, 30, 28, 10, 5, 31, 40, 35, 12];
    assert.deepEqual(newHighFrom(t(s.length), s, 3), { from: 5, to: 7 });
  });
  it('bursts below the symptom\'s peak do not count; equal is not above; the first run is none', () => {
    const s = [20, 30, 28, 10, 5, 29, 30, 29, 12, 25, 26, 27];
    assert.equal(newHighFrom(t(s.length), s, 3), undefined);
    assert.equal(newHighFrom(t(4), [5, 6, 7, 8], 4), undefined, 'nothing came before the first point');
  });
  it('needs the persistence, and gives the latest run that met it', () => {
    const s = [20, 30, 5, 31, 32, 4, 40, 41, 42, 50, 51, 52];
    assert.deepEqual(newHighFrom(t(s.length), s, 3), { from: 9, to: 11 }, 'each of 50, 51, 52 is above 42');
    assert.equal(newHighFrom(t(5), [20, 30, 5, 31, 32], 3), undefined, '31, 32: two points');
    assert.deepEqual(newHighFrom(t(5), [20, 30, 5, 31, 32], 2), { from: 3, to: 4 });
  });
  it('what an event does inside its hold is the event\'s: it raises the yardstick and is no run', () => {
    //          symptom      restart's hold 4..6   after
    const s = [20, 30, 28, 10, 40, 45, 44, 12, 20, 25];
    assert.deepEqual(newHighFrom(t(s.length), s, 3), { from: 4, to: 6 }, 'without the hold: the restart\'s burst');
    assert.equal(newHighFrom(t(s.length), s, 3, [{ from: 4, to: 6 }]), undefined, 'with it: nothing after it rises above 45');
    const later = [...s, 46, 47, 50];
    assert.deepEqual(newHighFrom(t(later.length), later, 3, [{ from: 4, to: 6 }]), { from: 10, to: 12 }, 'above the restart\'s peak');
    assert.equal(newHighFrom(t(later.length), later, 3, [{ from: 4, to: 6 }, { from: 11, to: 20 }]), undefined, 'a run cut by a later hold');
  });
  it('a gap (NaN) is no point above anything; fewer points than the persistence: none', () => {
    assert.equal(newHighFrom(t(6), [20, 30, 5, 31, NaN, 33], 2), undefined);
    assert.equal(newHighFrom(t(2), [1, 2], 3), undefined);
    assert.throws(() => newHighFrom(t(2), [1], 1), RangeError);
    assert.throws(() => newHighFrom(t(2), [1, 2], 0), RangeError);
  });
  it('a long steady rise: the latest start, up to where the rise stops', () => {
    const rise = Array.from({ length: 5000 }, (_, k) => k);
    assert.deepEqual(newHighFrom(t(rise.length), rise, 3), { from: 4997, to: 4999 }, 'each point is above all before it');
    assert.deepEqual(newHighFrom(t(rise.length + 2), [...rise, 0, 0], 3), { from: 4997, to: 4999 });
  });
  it('agrees with the rule read literally: every start, each run scanned to its end, the latest kept', () => {
    // the definition, quadratic: from each start k, the points above the highest score before k, outside the holds
    const literal = (s: number[], m: number, holds: { from: number; to: number }[]): { from: number; to: number } | undefined => {
      let latest: { from: number; to: number } | undefined;
      for (let k = 1; k < s.length; k++) {
        const before = Math.max(...s.slice(0, k).filter(Number.isFinite));
        if (before === -Infinity) continue;
        let end = k;
        while (end < s.length && Number.isFinite(s[end]) && s[end] > before && !holds.some((h) => h.from <= end && end <= h.to)) end++;
        if (end - k >= m) latest = { from: k, to: end - 1 };
      }
      return latest;
    };
    let seed = 7;
    const rand = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(rand() * 40);
      // a noisy drift up or down, in whole numbers (ties), with gaps; sometimes a hold
      const s = Array.from({ length: n }, (_, k) => (rand() < 0.05 ? NaN : Math.round(k * (rand() - 0.3) + 10 * rand())));
      const holds = rand() < 0.5 ? [{ from: Math.floor(rand() * n), to: Math.floor(rand() * n) + 3 }] : [];
      const m = 1 + Math.floor(rand() * 4);
      assert.deepEqual(newHighFrom(t(n), s, m, holds), literal(s, m, holds), `trial ${trial}: ${JSON.stringify({ s, m, holds })}`);
    }
  });
});

describe('runAboveHolds', () => {
  // a hold from minute 4 to 6 saw 30, 45, 20; the run 10–12 is judged against 45
  const s = [5, 6, 7, 8, 30, 45, 20, 9, 8, 7, 50, 60, 44, 8];
  it('every point of the run above the hold\'s highest score', () => {
    assert.equal(runAboveHolds(t(s.length), s, 10, 11, [{ from: 4, to: 6 }]), true);
    assert.equal(runAboveHolds(t(s.length), s, 10, 12, [{ from: 4, to: 6 }]), false, '44 is below 45');
    assert.equal(runAboveHolds(t(s.length), [...s.slice(0, 11), NaN, 60, 8], 10, 12, [{ from: 4, to: 6 }]), false, 'a gap is not above it');
  });
  it('no hold before the run, or none that saw a point: nothing to rise above', () => {
    assert.equal(runAboveHolds(t(s.length), s, 10, 12, []), true);
    assert.equal(runAboveHolds(t(s.length), s, 10, 12, [{ from: 11, to: 13 }]), true, 'a hold after the run began is not before it');
    assert.equal(runAboveHolds(t(s.length), s, 10, 12, [{ from: 4.2, to: 4.8 }]), true);
  });
  it('a run with no point is none; lengths must agree', () => {
    assert.equal(runAboveHolds(t(s.length), s, 20, 22, [{ from: 4, to: 6 }]), false);
    assert.throws(() => runAboveHolds([0, 1], [1], 0, 1, []), RangeError);
  });
});
