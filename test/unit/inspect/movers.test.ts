// "Which jobs on the machine moved most": per-job samples ranked by how far their own metrics moved during an
// incident (the watcher stores them with the incident: test/unit/app/watch.test.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jobMovers } from '../../../src/inspect/explain.js';

const T0 = 1.7e12;
const at = (i: number): number => T0 + i * 60_000;

describe('jobs that moved most', () => {
  it('ranks jobs / operators by the largest mean robust z of their own metrics; flat baselines do not explode', () => {
    const rows: { job: string; operator: string; metric: string; ts: number; value: number }[] = [];
    for (let i = 0; i < 40; i++) {
      const hot = i >= 30;
      rows.push({ job: 'orders', operator: 'enrich', metric: 'busy_ms_per_s', ts: at(i), value: 300 + (i % 3) * 10 + (hot ? 500 : 0) });
      rows.push({ job: 'clicks', operator: 'parse', metric: 'busy_ms_per_s', ts: at(i), value: 200 + (i % 3) * 10 + (hot ? 20 : 0) });
      rows.push({ job: 'idle', operator: 'src', metric: 'busy_ms_per_s', ts: at(i), value: hot ? 1 : 0 }); // flat 0 → 1
    }
    const m = jobMovers(rows, at(0), at(30), at(39));
    assert.deepEqual(m.map((x) => x.job), ['orders', 'clicks', 'idle']);
    assert.equal(m[0].job, 'orders');
    assert.equal(m[0].operator, 'enrich');
    assert.ok(m[0].meanZ > 10, `orders moved ${m[0].meanZ}`);
    const idle = m.find((x) => x.job === 'idle')!;
    assert.ok(Math.abs(idle.meanZ) < 0.1, `0 → 1 ms/s next to jobs at 300 ms/s is no move: ${idle.meanZ}`);
    assert.deepEqual(jobMovers(rows, at(0), at(0), at(39)), [], 'no baseline, no ranking');
  });
});
