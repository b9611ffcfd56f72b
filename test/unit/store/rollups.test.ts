// Range queries read the roll-ups when their buckets are wide: the answers equal what the raw rows give over the same
// (aligned) buckets — means for metrics, maxima for scores — re-delivered samples do not count twice, at most the
// asked number of buckets comes back, and retention takes old roll-ups with their rows. The SQLite engine here; the
// same suite runs against PostgreSQL in test/integration/store/postgres.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../../../src/store/index.js';
import { rollupSuite } from '../../helpers/rollup-suite.js';

rollupSuite('sqlite', async () => new SqliteStore(':memory:'));

describe('score roll-ups (sqlite): writes a step skips', () => {
  it('a cell whose max a step does not raise is not rewritten, and a rolled-back step does not count as written', async () => {
    const s = new SqliteStore(':memory:');
    const cell = (): number => (s.db.prepare("SELECT max FROM score_rollups WHERE level = 60000 AND machine = 'tm-1'").get() as { max: number }).max;
    // `fail`: the step's last write breaks a constraint, after the roll-ups were written — the step rolls back
    const step = (t: number, score: number, fail = false): Promise<void> => s.commitStep({
      modelId: null, scores: [{ machine: 'tm-1', points: [{ t, score }] }], scorerStates: [], incidents: [], alerts: [], status: [],
      meta: fail ? { k: null as unknown as string } : {}, // watch_meta.value is NOT NULL
    });
    const t0 = 600_000; // one minute bucket: t0 .. t0 + 59 s
    await step(t0, 5);
    await step(t0 + 10_000, 3);
    assert.equal(cell(), 5);
    await assert.rejects(step(t0 + 20_000, 9, true), /NOT NULL constraint/);
    assert.equal(cell(), 5, 'the failed step wrote nothing');
    await step(t0 + 30_000, 7); // above what is stored, below what the rolled-back step tried
    assert.equal(cell(), 7, 'not skipped: the rolled-back 9 never counted as written');
    const d = await s.scoresRange('tm-1', t0, t0 + 59_000, 1);
    assert.deepEqual(d.values[0], [7]);
    await s.close();
  });
});
