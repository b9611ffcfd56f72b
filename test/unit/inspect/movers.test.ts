// "Which jobs on the machine moved most": per-job samples in the store, ranked by how far their own metrics moved
// during an incident, persisted with the incident by the watcher and served by the API.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jobMovers } from '../../../src/inspect/explain.js';
import { Store } from '../../../src/store/sqlite.js';
import { Watcher } from '../../../src/inspect/watch.js';
import { createDetector } from '../../../src/detectors/index.js';
import type { Sample } from '../../../src/core/sample.js';

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

  it('the watcher stores them with the incident; machine-level and per-job samples live side by side', async () => {
    const store = new Store(':memory:');
    try {
      const s: Sample[] = [];
      for (let i = 0; i < 400; i++) {
        const hot = i >= 330 && i < 360;
        const ts = at(i);
        s.push({ ts, machine: 'tm-1', metric: 'cpu_load', value: 0.4 + ((i * 7) % 5) * 0.01 + (hot ? 0.5 : 0) });
        s.push({ ts, machine: 'tm-1', metric: 'latency_ms', value: 50 + (i % 4) + (hot ? 80 : 0) });
        s.push({ ts, machine: 'tm-1', metric: 'latency_ms', job: 'orders', operator: 'enrich', value: 40 + (i % 4) + (hot ? 90 : 0) });
        s.push({ ts, machine: 'tm-1', metric: 'latency_ms', job: 'clicks', operator: 'parse', value: 30 + (i % 4) });
      }
      assert.equal(store.insertSamples(s), 1600);
      assert.equal(store.insertSamples(s), 0, 're-delivered per-job samples are not stored twice');
      assert.deepEqual(store.metrics(), ['cpu_load', 'latency_ms'], 'per-job samples do not become machine channels');
      assert.equal(store.jobSamples('tm-1', at(0), at(9)).length, 20);
      const det = createDetector('zscore');
      await det.fit(store.series('tm-1', ['cpu_load', 'latency_ms'], at(0), at(299)));
      const w = new Watcher(store, det, 6, null, { window: 32 });
      const r = await w.step();
      assert.equal(r.opened.length, 1);
      const inc = store.incidents()[0];
      const movers = inc.movers as { job: string; operator: string; metric: string; meanZ: number }[];
      assert.equal(movers[0].job, 'orders');
      assert.equal(movers[0].operator, 'enrich');
      assert.ok(movers[0].meanZ > 5);
      // an update without movers keeps the stored ones
      store.upsertIncident({ ...inc }, inc.explanation);
      assert.deepEqual(store.incidents()[0].movers, movers);
      assert.equal(store.retain(at(1000)), 1600, 'retention removes per-job samples too');
    } finally {
      store.close();
    }
  });
});
