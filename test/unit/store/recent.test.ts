// The SQLite store's two sample tables (src/store/recent.ts): new rows in time order, settled into machine order a
// batch at a time. Every read must see a machine's rows whole and in order whichever table holds them, re-delivered
// and late values merge into the row where it lives, and a reading connection sees the same.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../../src/store/index.js';
import { KEEP, SETTLE_AT } from '../../../src/store/recent.js';
import type { Sample } from '../../../src/core/sample.js';

const dir = mkdtempSync(join(tmpdir(), 'flinkscope-recent-'));
const STEP = 10_000;
const MACHINES = ['tm-a', 'tm-b', 'tm-c'];
const value = (m: number, i: number, k: number): number => m * 1000 + i + k / 10;

/** Scrapes i0..i1-1 of every machine (metrics x and y), one insert per scrape as a collector writes them. */
async function scrape(s: SqliteStore, i0: number, i1: number): Promise<void> {
  for (let i = i0; i < i1; i++) {
    const batch: Sample[] = [];
    MACHINES.forEach((machine, m) => ['x', 'y'].forEach((metric, k) => batch.push({ machine, metric, ts: i * STEP, value: value(m, i, k) })));
    await s.insertSamples(batch);
  }
}

const count = (s: SqliteStore, table: string): number => (s.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
const until = (s: SqliteStore, name = 'samples'): number => (s.db.prepare('SELECT until FROM settle_state WHERE name = ?').get(name) as { until: number }).until;

describe('recent and settled sample rows', () => {
  it('settles all but the newest timestamps once enough are recent, and every read sees all rows in order', async () => {
    const s = new SqliteStore(join(dir, 'a.db'));
    const N = SETTLE_AT + 4;
    await scrape(s, 0, SETTLE_AT - 1);
    assert.equal(count(s, 'sample_rows'), 0, 'nothing settled before SETTLE_AT timestamps are recent');
    await scrape(s, SETTLE_AT - 1, N);
    const settled = count(s, 'sample_rows');
    assert.ok(settled > 0 && count(s, 'sample_recent') >= KEEP * MACHINES.length, 'older rows moved, the newest stay recent');
    assert.equal(settled + count(s, 'sample_recent'), N * MACHINES.length, 'every row in exactly one table');
    assert.equal((s.db.prepare('SELECT MAX(ts) AS t FROM sample_rows').get() as { t: number }).t < until(s), true);
    assert.equal((s.db.prepare('SELECT MIN(ts) AS t FROM sample_recent').get() as { t: number }).t >= until(s), true);

    const all = await s.series('tm-b', ['y', 'x']);
    assert.deepEqual(Array.from(all.timestamps), Array.from({ length: N }, (_, i) => i * STEP));
    assert.deepEqual(Array.from(all.values), Array.from({ length: N }, (_, i) => [value(1, i, 1), value(1, i, 0)]).flat(), 'exact values, in time order');
    // a range crossing the split, and a row limit inside the settled part
    const mid = until(s);
    const cross = await s.series('tm-c', ['x'], mid - 2 * STEP, mid + STEP);
    assert.deepEqual(Array.from(cross.timestamps), [mid - 2 * STEP, mid - STEP, mid, mid + STEP]);
    assert.deepEqual(Array.from((await s.series('tm-a', ['x'], -Infinity, Infinity, 3)).timestamps), [0, STEP, 2 * STEP]);
    // the newest rows of a machine, across the split
    const last = await s.lastRows('tm-a', ['x'], Infinity, KEEP + 2);
    assert.deepEqual(Array.from(last.timestamps), Array.from({ length: KEEP + 2 }, (_, i) => (N - KEEP - 2 + i) * STEP));
    // the watcher's read: rows after a cursor, machines sharing it (one range) and on their own
    const after = (N - KEEP - 3) * STEP;
    const shared = await s.seriesAfter(Array.from({ length: 64 }, (_, i) => ({ machine: MACHINES[i % 3], after })), ['x'], 100);
    for (const got of shared.slice(0, 3)) assert.deepEqual(Array.from(got.timestamps), Array.from({ length: KEEP + 2 }, (_, i) => (N - KEEP - 2 + i) * STEP));
    const alone = await s.seriesAfter([{ machine: 'tm-b', after: -Infinity }], ['x'], 5);
    assert.deepEqual(Array.from(alone[0].timestamps), [0, STEP, 2 * STEP, 3 * STEP, 4 * STEP]);
    // downsampled range reads (raw rows from both tables)
    const d = await s.metricsRange('tm-a', 0, (N - 1) * STEP, 10_000);
    const xs = d.values[d.channels.indexOf('x')];
    assert.equal(xs.filter((v) => v !== null).length, N, 'every scrape in the range read');
    assert.equal((await s.status()).samples, N * MACHINES.length * 2);
    await s.close();
  });

  it('merges a re-delivered or late value into the row where it lives, settled or recent', async () => {
    const s = new SqliteStore(join(dir, 'b.db'));
    await scrape(s, 0, SETTLE_AT + 2);
    const old = 1 * STEP; // settled
    const fresh = (SETTLE_AT + 1) * STEP; // recent
    assert.ok(old < until(s) && fresh >= until(s));
    const n = await s.insertSamples([
      { machine: 'tm-a', metric: 'z', ts: old, value: 7 }, { machine: 'tm-a', metric: 'x', ts: old, value: -1 },
      { machine: 'tm-b', metric: 'z', ts: fresh, value: 8 }, { machine: 'tm-b', metric: 'x', ts: fresh, value: -1 },
      { machine: 'tm-new', metric: 'x', ts: old, value: 9 }, // a late row of a new machine: before the split
    ]);
    assert.equal(n, 3, 'new values only; a value once stored is never replaced');
    assert.deepEqual(Array.from((await s.series('tm-a', ['x', 'z'], old, old)).values), [value(0, 1, 0), 7]);
    assert.deepEqual(Array.from((await s.series('tm-b', ['x', 'z'], fresh, fresh)).values), [value(1, SETTLE_AT + 1, 0), 8]);
    assert.deepEqual(Array.from((await s.series('tm-new', ['x'])).values), [9]);
    assert.equal((s.db.prepare("SELECT COUNT(*) AS n FROM sample_recent WHERE machine = 'tm-new'").get() as { n: number }).n, 0, 'the late row went to the settled table');
    await s.close();
  });

  it('a backfill of many timestamps goes to the settled table at once, and a reading connection sees both tables', async () => {
    const p = join(dir, 'c.db');
    const s = new SqliteStore(p);
    const batch: Sample[] = [];
    for (let i = 0; i < 3 * SETTLE_AT; i++) batch.push({ machine: 'tm-a', metric: 'x', ts: i * STEP, value: i });
    await s.insertSamples(batch);
    assert.equal(count(s, 'sample_recent'), KEEP, 'only the newest timestamps stay recent');
    const r = new SqliteStore(p, { readonly: true });
    assert.deepEqual(Array.from((await r.series('tm-a', ['x'])).values), Array.from({ length: 3 * SETTLE_AT }, (_, i) => i));
    await r.close();
    await s.close();
  });

  it('scores: recent ones settle the same way, a re-score replaces where the score lives, reads see both', async () => {
    const s = new SqliteStore(join(dir, 'e.db'));
    const modelId = await s.addModel('ccl', '/m.model', { reason: 'test' });
    const N = SETTLE_AT + 3;
    const step = async (i: number, score: number): Promise<void> => s.commitStep({
      modelId, scores: MACHINES.map((machine, m) => ({ machine, points: [{ t: i * STEP, score: score + m }] })), scorerStates: [], incidents: [], alerts: [], status: [], meta: {},
    });
    for (let i = 0; i < N; i++) await step(i, i);
    assert.ok(count(s, 'scores') > 0 && count(s, 'score_recent') > 0, 'both tables hold scores');
    assert.equal(count(s, 'scores') + count(s, 'score_recent'), N * MACHINES.length);
    const u = until(s, 'scores');
    await step(1, 100); // a re-score of a settled point
    await step(N - 1, 200); // and of a recent one
    assert.equal(count(s, 'scores') + count(s, 'score_recent'), N * MACHINES.length, 'replaced, not added');
    const all = await s.scores('tm-b', -Infinity, Infinity);
    assert.deepEqual(all.t, Array.from({ length: N }, (_, i) => i * STEP));
    assert.deepEqual(all.score, Array.from({ length: N }, (_, i) => (i === 1 ? 101 : i === N - 1 ? 201 : i + 1)));
    const last = await s.scores('tm-c', 0, u + STEP, 4); // the newest 4 up to a time just past the split
    assert.deepEqual(last.t, [u - 2 * STEP, u - STEP, u, u + STEP]);
    assert.deepEqual(last.score, [u / STEP, u / STEP + 1, u / STEP + 2, u / STEP + 3]);
    const d = await s.scoresRange('tm-a', 0, (N - 1) * STEP, 10_000); // raw plan: a bucket per point
    assert.equal(d.values[0].filter((v) => v !== null).length, N);
    assert.equal(Math.max(...(d.values[0].filter((v) => v !== null) as number[])), 200);
    await s.close();
  });

  it('retention settles what it rolls up or deletes', async () => {
    const s = new SqliteStore(join(dir, 'd.db'));
    await scrape(s, 0, 20); // all recent
    assert.equal(count(s, 'sample_rows'), 0);
    const r = await s.applyRetention(20 * STEP, { retainMs: 15 * STEP, rawMs: 10 * STEP, bucketMs: 5 * STEP });
    assert.equal(r.deletedSamples, 5 * MACHINES.length * 2, 'the 5 oldest scrapes deleted');
    const x = await s.series('tm-a', ['x']);
    // [5, 10) rolled up into one row at 5 (its mean), [10, 20) kept raw
    assert.deepEqual(Array.from(x.timestamps), [5 * STEP, ...Array.from({ length: 10 }, (_, i) => (10 + i) * STEP)]);
    assert.equal(x.values[0], value(0, 7, 0));
    await s.close();
  });
});
