// The roll-up contract, run against each engine. Range queries read the roll-ups when their buckets are wide: the answers equal what the raw rows give over the same
// (aligned) buckets — means for metrics, maxima for scores — re-delivered samples do not count twice, at most the
// asked number of buckets comes back, and retention takes old roll-ups with their rows.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../src/store/index.js';
import { planBuckets, alignDown, ROLLUP_LEVELS } from '../../src/store/common.js';
import type { Sample } from '../../src/core/sample.js';

const T0 = 1_700_000_003_000; // not on a minute: buckets must align anyway
const STEP = 10_000;
const N = 3 * 8640; // three days of 10 s samples
const value = (m: number, k: number, i: number): number => Math.sin(i / 97 + m) * 10 + k * 3 + (i % 13);
const score = (m: number, i: number): number => Math.abs(Math.sin(i / 53 + m * 2)) * 4 + (i % 7 === 0 ? 1 : 0);
/** tm-1's scores on the alarm scale: a retraining halfway moves its unit from [1, 3] to [0, 10] (not monotone across
 *  it, so a bucket's max on the scale is not its max score's). */
const units = (i: number): number => (i < N / 2 ? (score(1, i) - 1) / 2 : score(1, i) / 10);

async function filledStore(s: Store): Promise<Store> {
  for (let a = 0; a < N; a += 2000) {
    const batch: Sample[] = [];
    for (let i = a; i < Math.min(N, a + 2000); i++) for (let m = 0; m < 2; m++) for (let k = 0; k < 2; k++) batch.push({ ts: T0 + i * STEP, machine: `tm-${m}`, metric: `m${k}`, value: value(m, k, i) });
    await s.insertSamples(batch);
    await s.insertSamples(batch.slice(0, 500)); // re-delivered: ignored, roll-ups included
    await s.commitStep({
      scores: [0, 1].map((m) => ({ machine: `tm-${m}`, points: Array.from({ length: Math.min(N, a + 2000) - a }, (_, j) => ({ t: T0 + (a + j) * STEP, score: score(m, a + j), ...(m === 1 ? { units: units(a + j) } : {}) })) })),
      modelId: null, scorerStates: [], incidents: [], alerts: [], status: [], meta: {},
    });
  }
  return s;
}

/** What the raw rows give per bucket of a plan: the mean (or max) of the raw values whose ts lies in the bucket and
 *  in the span the plan reads (whole roll-up buckets; exactly [from, to] for raw plans). */
function expected(p: ReturnType<typeof planBuckets>, from: number, to: number, f: (i: number) => number, agg: 'mean' | 'max'): Map<number, number> {
  const lo = p.level === null ? from : alignDown(from, p.level);
  const hi = p.level === null ? to : alignDown(to, p.level) + p.level - 1;
  const acc = new Map<number, number[]>();
  for (let i = 0; i < N; i++) {
    const ts = T0 + i * STEP;
    if (ts < lo || ts > hi) continue;
    const b = p.start + Math.floor((ts - p.start) / p.bucketMs) * p.bucketMs;
    (acc.get(b) ?? acc.set(b, []).get(b)!).push(f(i));
  }
  return new Map([...acc].map(([b, v]) => [b, agg === 'mean' ? v.reduce((x, y) => x + y, 0) / v.length : Math.max(...v)]));
}

/** The roll-up contract on one engine: `fresh` opens a new empty store (test/unit/store/rollups.test.ts: SQLite;
 *  test/integration/store/postgres.test.ts: PostgreSQL). */
export function rollupSuite(engine: string, fresh: () => Promise<Store>): void {
const filled = async (): Promise<Store> => filledStore(await fresh());
describe(`range roll-ups (${engine})`, { timeout: 300_000 }, () => {
  it('plans: raw for fine buckets, the coarsest level giving at least half the points, never more than asked', () => {
    assert.equal(planBuckets(0, 3_600_000, 1000).level, null, '1 h in 1000 points: 3.6 s buckets from raw rows');
    assert.equal(planBuckets(0, 86_400_000, 1000).level, 60_000, '1 day in 1000 points: 86 s → per-minute roll-up');
    assert.equal(planBuckets(0, 4 * 86_400_000, 600).level, 300_000, '4 days in 600 points: 576 s → 5 min roll-up');
    assert.equal(planBuckets(0, 7 * 86_400_000, 300).level, 1_800_000, 'a week in 300 points: 2016 s → 30 min roll-up (>= half of 30 min)');
    assert.equal(planBuckets(0, 31 * 86_400_000, 900).level, 1_800_000);
    assert.equal(planBuckets(0, 31 * 86_400_000, 300).level, 7_200_000);
    for (const [from, to, n] of [[T0, T0 + 86_400_000, 500], [T0 + 7, T0 + 7 * 86_400_000 - 3, 1500], [T0, T0 + 3 * 86_400_000, 7], [T0, T0 + 90_000, 3], [T0, T0, 1]]) {
      const p = planBuckets(from, to, n);
      const count = Math.floor((to - p.start) / p.bucketMs) + 1;
      assert.ok(count <= n, `${count} buckets for ${n} asked (${JSON.stringify(p)})`);
      assert.ok(p.start <= from && p.start + p.bucketMs > from, 'the first bucket holds from');
      if (p.level !== null) assert.equal(p.bucketMs % p.level, 0);
    }
  });

  it('metric means and score maxima equal the raw rows\' over the same buckets, at every level', async () => {
    const s = await filled();
    try {
      const end = T0 + (N - 1) * STEP;
      const cases: [number, number, number][] = [[T0 + 3_333, T0 + 3_600_000, 300], [T0 + 45_000, T0 + 86_400_000 + 5_000, 800], [T0, end, 400], [T0, end, 150], [T0 + 123_456, end - 654_321, 60], [T0, end, 30]];
      const levels = new Set<number | null>();
      for (const [from, to, n] of cases) {
        const p = planBuckets(from, to, n);
        levels.add(p.level);
        const got = await s.metricsRange('tm-1', from, to, n);
        assert.equal(got.bucketMs, p.bucketMs);
        assert.ok(got.t.length <= n);
        for (const [k, ch] of got.channels.entries()) {
          const want = expected(p, from, to, (i) => value(1, Number(ch.slice(1)), i), 'mean');
          assert.equal(got.t.length, want.size, `${ch}: buckets of ${JSON.stringify(p)}`);
          got.t.forEach((t, j) => assert.ok(Math.abs(got.values[k][j]! - want.get(t)!) < 1e-9, `${ch} at ${t}: ${got.values[k][j]} vs ${want.get(t)} (${JSON.stringify(p)})`));
        }
        const sc = await s.scoresRange('tm-0', from, to, n);
        const want = expected(p, from, to, (i) => score(0, i), 'max');
        assert.deepEqual(sc.t, [...want.keys()]);
        sc.t.forEach((t, j) => assert.ok(Math.abs(sc.values[0][j]! - want.get(t)!) < 1e-6, `score at ${t}`));
        const heat = await s.heatMap({ from, to, buckets: n, threshold: 2, machines: ['tm-0'] });
        heat.t.forEach((t, j) => { if (want.has(t)) assert.ok(Math.abs(heat.cells[0][j]! - want.get(t)! / 2) < 1e-6, `heat at ${t}`); else assert.equal(heat.cells[0][j], null); });
        // tm-1's scores came with their units: its cells are their maxima on the alarm scale, whatever the threshold
        const onScale = expected(p, from, to, units, 'max');
        const heat1 = await s.heatMap({ from, to, buckets: n, threshold: 2, machines: ['tm-1'] });
        heat1.t.forEach((t, j) => { if (onScale.has(t)) assert.ok(Math.abs(heat1.cells[0][j]! - onScale.get(t)!) < 1e-6, `alarm scale at ${t}: ${heat1.cells[0][j]} vs ${onScale.get(t)} (${JSON.stringify(p)})`); else assert.equal(heat1.cells[0][j], null); });
      }
      assert.deepEqual([...levels].sort(), [...ROLLUP_LEVELS, null].sort(), 'the cases cover raw rows and every level');
    } finally {
      await s.close();
    }
  });

  it('late rows landing in rolled-up buckets are counted (the buckets are rebuilt), re-delivered ones are not', async () => {
    const s = await filled();
    try {
      const before = await s.metricsRange('tm-0', T0, T0 + 86_400_000, 24);
      const day = before.values[0];
      assert.equal(planBuckets(T0, T0 + 86_400_000, 24).level, 7_200_000);
      // six new rows 5 s off the grid, early in a 2 h bucket (long rolled up)
      const late = Array.from({ length: 6 }, (_, k) => ({ ts: alignDown(T0, 7_200_000) + 2 * 7_200_000 + 5_000 + k * 10_000, machine: 'tm-0', metric: 'm0', value: 1000 }));
      assert.equal(await s.insertSamples(late), 6);
      assert.equal(await s.insertSamples(late), 0);
      const after = (await s.metricsRange('tm-0', T0, T0 + 86_400_000, 24)).values[0];
      const b = after.findIndex((v, j) => v !== day[j]);
      assert.equal(after.filter((v, j) => v !== day[j]).length, 1, 'exactly the late rows\' bucket changed');
      const n = before.bucketMs / STEP; // rows in the (whole) bucket
      assert.ok(Math.abs(after[b]! - (day[b]! * n + 6000) / (n + 6)) < 1e-9, `the bucket's mean takes the late rows in once: ${after[b]} vs ${(day[b]! * n + 6000) / (n + 6)}`);
    } finally {
      await s.close();
    }
  });

  it('retention drops roll-up buckets wholly before the cut', async () => {
    const s = await filled();
    try {
      const end = T0 + (N - 1) * STEP;
      await s.applyRetention(end + 1, { retainMs: 86_400_000, rawMs: 86_400_000, bucketMs: 60_000 });
      const old = await s.metricsRange('tm-0', T0, end - 86_400_000 - 3_600_000, 10);
      assert.deepEqual(old.t, [], 'nothing older than the retention period is left in the roll-ups');
      const kept = await s.metricsRange('tm-0', end - 86_400_000 + 3_600_000, end, 20);
      assert.ok(kept.t.length >= 10);
    } finally {
      await s.close();
    }
  });
});
}
