// The rows an open incident keeps are bounded: evenly spaced over the whole run, whatever its length; an incident of
// hours keeps a scorer state of fixed size and is still typed on its whole run.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { joinRows, keepRow, MAX_KEPT_ROWS, type KeptRows } from '../../../src/inspect/kept-rows.js';
import { OnlineScorer } from '../../../src/inspect/online.js';
import { IncidentTracker } from '../../../src/inspect/incidents.js';
import type { Series } from '../../../src/core/series.js';

describe('kept rows', () => {
  test('past the bound, an evenly spaced sample of every point offered: the first point, then every stride-th', () => {
    for (const n of [1, MAX_KEPT_ROWS, MAX_KEPT_ROWS + 1, 3 * MAX_KEPT_ROWS + 7, 20 * MAX_KEPT_ROWS]) {
      const k: KeptRows = { rows: [] };
      for (let i = 0; i < n; i++) keepRow(k, [i, 10 + i], 2);
      const firsts = k.rows.filter((_, j) => j % 2 === 0);
      const stride = k.stride ?? 1;
      assert.ok(firsts.length <= MAX_KEPT_ROWS, `${n} points: ${firsts.length} rows kept`);
      assert.ok(n <= MAX_KEPT_ROWS || firsts.length > MAX_KEPT_ROWS / 2, `${n} points: at least half the bound kept`);
      assert.deepEqual(firsts, Array.from({ length: Math.ceil(n / stride) }, (_, i) => i * stride), `${n} points, stride ${stride}`);
      assert.deepEqual(k.rows.filter((_, j) => j % 2 === 1), firsts.map((x) => 10 + x), 'each row whole');
      assert.equal(k.seen, n);
    }
  });

  test('a second run of the same incident continues the first one\'s sample', () => {
    const a: KeptRows = { rows: [] };
    for (let i = 0; i < 3 * MAX_KEPT_ROWS; i++) keepRow(a, [i], 1);
    const b: KeptRows = { rows: [] };
    for (let i = 0; i < 10; i++) keepRow(b, [1000 + i], 1);
    const j = joinRows(a, b, 1);
    const ref: KeptRows = { rows: [] };
    for (let i = 0; i < 3 * MAX_KEPT_ROWS; i++) keepRow(ref, [i], 1);
    for (let i = 0; i < 10; i++) keepRow(ref, [1000 + i], 1);
    assert.deepEqual(j, ref);
    assert.equal(a.rows.length, ref.rows.length - j.rows.filter((x) => x >= 1000).length, 'the first run is not changed');
  });
});

describe('a long incident', () => {
  test('its scorer state stays bounded and it is still typed on the whole run (a slow rise over 2 000 points)', () => {
    const score = (s: Series): Float32Array => Float32Array.from({ length: s.timestamps.length }, (_, t) => Math.abs(s.values[t * 2] - 50) / 5);
    const tr = new IncidentTracker({ resolveAfterMs: 600_000 });
    const sc = new OnlineScorer({ channels: ['latency', 'heap'], window: 32, threshold: 3, score }, tr);
    const ts: number[] = [];
    const vals: number[] = [];
    const N = 2400;
    for (let i = 0; i < N; i++) {
      ts.push(i * 10_000);
      const rise = i >= 300 ? 20 + (i - 300) * 0.05 : 0; // opens at 20 above the baseline, then climbs for 2 100 points
      vals.push(50 + ((i * 7) % 5) - 2 + rise, 50 + ((i * 3) % 4) - 2);
    }
    const sizes: number[] = [];
    for (let at = 0; at < N; at += 100) {
      sc.ingest('tm', ts.slice(at, at + 100), vals.slice(at * 2, (at + 100) * 2));
      sizes.push(JSON.stringify(sc.saveState('tm')).length);
    }
    assert.equal(tr.incidents.length, 1);
    assert.equal(tr.incidents[0].type, 'trend', 'typed on the whole climb, not on its last rows');
    const st = sc.saveState('tm')!;
    assert.ok(st.open && st.open.rows.length <= MAX_KEPT_ROWS * 2, `rows kept: ${st.open!.rows.length / 2}`);
    assert.ok(Math.max(...sizes.slice(-10)) < 2 * Math.max(...sizes.slice(5, 10)), `state sizes ${sizes.join(' ')}`);
    // a restart in the middle of it: the restored scorer keeps the same sample
    const again = new OnlineScorer({ channels: ['latency', 'heap'], window: 32, threshold: 3, score }, tr);
    again.restore('tm', st, { timestamps: ts.slice(N - 64), values: vals.slice((N - 64) * 2) });
    assert.deepEqual(again.saveState('tm'), st);
  });
});
