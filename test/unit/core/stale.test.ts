// Stale metrics (src/core/stale.ts): values a metric cache kept serving after it stopped refreshing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StaleEvents, StaleGuard, staleRows } from '../../../src/core/stale.js';

describe('stale metrics', () => {
  it('a machine is stale once every value it is served has stayed bit-for-bit the same for staleAfterMs', () => {
    const g = new StaleGuard(3000);
    assert.equal(g.stale('a', 0, [0.3, 100, 7]), false, 'first seen');
    assert.equal(g.stale('a', 2000, [0.3, 100, 7]), false, 'unchanged for 2 s: a cache refresh may not have come yet');
    assert.equal(g.stale('a', 4000, [0.3, 100, 7]), true, 'unchanged for 4 s ≥ 3 s');
    assert.equal(g.servedSince('a'), 0);
    assert.equal(g.stale('b', 4000, [0.3, 100, 7]), false, 'machines are judged apart');
    assert.equal(g.stale('a', 6000, [0.3, 101, 7]), false, 'one value moved: fresh again');
    assert.equal(g.stale('a', 9000, [0.3, 101, 7]), true);
    assert.equal(g.stale('a', 9500, [NaN, 101, NaN]), false, 'fewer than two finite values are not judged');
    assert.equal(g.stale('a', 9600, [NaN, NaN, NaN]), false, 'a gap is no stale answer…');
    assert.equal(g.stale('a', 9700, [0.3, 101, 7]), true, '…and does not reset what was seen');
    assert.equal(g.stale('a', 9800, [0.3, 101, NaN]), false, 'a value that went missing is a change');
    assert.equal(g.stale('a', 20_000, [0.3, 101, NaN], false), false, 'a machine running no subtask is not judged (an idle JVM may hold still)');
    assert.equal(g.stale('a', 20_100, [0.3, 101, NaN]), true, '…nor reset');
    assert.throws(() => new StaleGuard(0), /staleAfterMs must be > 0/);
  });

  it('staleRows: the mask of a table judged on some of its columns, and the stretches it makes', () => {
    // 8 rows every 2 s, columns [judged, judged, ignored]: rows 2–6 repeat row 1's judged values, the third moves
    const ts = Array.from({ length: 8 }, (_, t) => 1000 + 2000 * t);
    const v: number[] = [];
    for (let t = 0; t < 8; t++) v.push(t >= 1 && t <= 6 ? 5 : t, t >= 1 && t <= 6 ? 9 : 10 * t, t * 3);
    const { mask, spans } = staleRows('tm-1', ts, v, 3, [0, 1], [1], 3000);
    assert.deepEqual(Array.from(mask), [0, 0, 0, 1, 1, 1, 1, 0], 'rows 1 and 2 may be one refresh apart; rows 3–6 are stale');
    assert.deepEqual(spans, [{ machine: 'tm-1', from: ts[3], to: ts[6], rows: 4, servedSince: ts[1], freshAt: ts[7] }], 'row 7 moved: fresh again');
    assert.equal(staleRows('tm-1', ts.slice(0, 7), v.slice(0, 21), 3, [0, 1], [1], 3000).spans[0].freshAt, undefined, 'a table that ends stale has no fresh row');
    assert.deepEqual(Array.from(staleRows('tm-1', ts, v, 3, [2], [2], 3000).mask), [0, 0, 0, 0, 0, 0, 0, 0], 'a column that moves is never stale');
    v[4 * 3 + 1] = NaN; // row 4: no subtask value (the TaskManager ran none then)
    const split = staleRows('tm-1', ts, v, 3, [0, 1], [1], 3000);
    assert.deepEqual(Array.from(split.mask), [0, 0, 0, 1, 0, 1, 1, 0], 'row 4 is not judged, nor does it reset what was seen');
    assert.deepEqual(split.spans, [{ machine: 'tm-1', from: ts[3], to: ts[6], rows: 3, servedSince: ts[1], freshAt: ts[7] }], '…nor does it split the stretch (one stretch, one event id)');
    v[5 * 3] = 6; // row 5 served a new value (and row 6 the old one again): the stretch ends at row 3
    assert.deepEqual(staleRows('tm-1', ts, v, 3, [0, 1], [1], 3000).spans.map((sp) => [sp.from, sp.to, sp.rows, sp.servedSince, sp.freshAt]), [[ts[3], ts[3], 1, ts[1], ts[5]]]);
  });

  it('StaleEvents: one metrics-stale event per stretch, when it is first seen, and a metrics-fresh one when its values move', () => {
    const ev = new StaleEvents();
    const since = new Map<string, number>([['tm-1', 4], ['tm-2', 5]]); // what the guard says each machine is served since
    const at = (m: string): number | undefined => since.get(m);
    const first = ev.next(10, [{ machine: 'tm-1', servedSince: 4 }, { machine: 'tm-2', servedSince: 5 }], at);
    assert.deepEqual(first.map((e) => [e.kind, e.machines, e.ts, e.attrs?.servedSince]), [['metrics-stale', ['tm-1'], 10, 4], ['metrics-stale', ['tm-2'], 10, 5]]);
    assert.match(first[0].detail, /tm-1: Flink's REST API keeps serving the metric values first seen at .* metric cache stopped refreshing/);
    since.set('tm-2', 11);
    const back = ev.next(12, [{ machine: 'tm-1', servedSince: 4 }], at);
    assert.deepEqual(back.map((e) => [e.id, e.kind, e.ts, e.attrs?.staleAt]), [['tm-2:metrics-fresh:5', 'metrics-fresh', 12, 10]], 'tm-1 still stale; tm-2 moved: fresh again');
    assert.match(back[0].detail, /tm-2: Flink's REST API serves fresh metric values again .* served for 0\.0 min/);
    assert.deepEqual(ev.next(13, [], at), [], 'tm-1 not judged this poll (it ran no subtask): its stretch goes on, nothing raised');
    assert.deepEqual(ev.next(14, [{ machine: 'tm-1', servedSince: 4 }], at), [], '…and no second event with the same id when it is judged stale again');
    since.set('tm-1', 20);
    assert.deepEqual(ev.next(16, [], at).map((e) => e.id), ['tm-1:metrics-fresh:4']);
    assert.deepEqual(ev.next(30, [{ machine: 'tm-1', servedSince: 20 }], at).map((e) => e.id), ['tm-1:metrics-stale:20'], 'the next stretch');
    assert.deepEqual(new StaleEvents().next(10, [{ machine: 'tm-1', servedSince: 4 }]).map((e) => e.kind), ['metrics-stale'], 'without servedSince: no fresh event is ever raised');
  });
});
