// The demo is the product path: the bundled cluster delivered to an embedded store, CCL trained on the stored history,
// every delivery scored by the watcher — incidents typed right on the demo cluster (plateaus as sustained-high,
// back-pressure cascades as back-pressure), found on the machines with hotspots, every sample scored once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from '../../../src/app/demo.js';
import { poolSeries } from '../../../src/inspect/pool.js';
import { generateCluster, clusterSeries } from '../../../src/data/index.js';

describe('demo through the product path', () => {
  it('types incidents on the demo cluster and scores every delivered sample once', async () => {
    const r = await runDemo({ machines: 12, days: 4, seed: 7, epochs: 2, out: mkdtempSync(join(tmpdir(), 'flinkscope-demo-')) });
    try {
      const c = r.cluster;
      const tsOf = (i: number): number => c.options.t0Ms + i * c.options.intervalSec * 1000;
      const verdicts = c.hotspots.filter((h) => h.split === 'test').map((h) => {
        const hit = r.incidents.filter((i) => i.machine === h.machine && i.onset <= tsOf(h.end - 1) && i.lastSeen >= tsOf(h.start)).sort((x, y) => y.lastSeen - y.onset - (x.lastSeen - x.onset))[0];
        return { kind: h.type, type: hit ? hit.type : 'missed' };
      });
      const share = (kind: string, type: string): number => verdicts.filter((x) => x.kind === kind && x.type === type).length / Math.max(1, verdicts.filter((x) => x.kind === kind).length);
      const all = verdicts.map((x) => `${x.kind}→${x.type}`).join(', ');
      assert.ok(verdicts.some((x) => x.kind === 'plateau') && share('plateau', 'sustained-high') >= 2 / 3, `plateaus: ${all}`);
      assert.ok(verdicts.some((x) => x.kind === 'backpressure') && share('backpressure', 'backpressure') >= 0.5, `back-pressure: ${all}`);
      assert.ok(r.truth.found >= r.truth.hotspots * 0.75, `found ${r.truth.found}/${r.truth.hotspots}`);
      for (const m of c.machines) assert.equal((await r.store.scores(m.name, tsOf(0), tsOf(c.T))).t.length, c.T - c.trainEnd, `${m.name}: every inspected sample scored once`);
      assert.equal((await r.store.alerts()).filter((a) => a.kind === 'open').length, r.incidents.filter((i) => i.paged).length, 'every paged incident has its open alert queued');
      assert.ok(r.incidents.every((i) => i.explanation.length > 0), 'every incident is explained');
      // the cluster's job restarts reach the store as Flink events, hold the pages of what they cause, and are judged
      const restarts = c.machines.flatMap((m) => m.restarts).length;
      assert.ok(restarts > 0 && (await r.store.events({ limit: 1000 })).length === restarts, 'every restart stored as an event');
      assert.equal(r.metrics.events, c.machines.flatMap((m) => m.restarts.filter((t) => t >= c.trainEnd)).length);
      assert.ok(r.metrics.events_paged <= 1, `restarts that paged: ${r.metrics.events_paged}/${r.metrics.events}`);
      assert.ok(r.metrics.false_pages_per_machine_day <= 1, `false pages per machine-day ${r.metrics.false_pages_per_machine_day}`);
    } finally {
      await r.store.close();
    }
  });

  it('pools histories with strictly increasing time and rejects mismatched channels', () => {
    const splits = clusterSeries(generateCluster({ machines: 4, days: 2, seed: 11, intervalSec: 120, hotspotsPerMachine: 1 }));
    const p = poolSeries(splits.map((s) => s.train));
    assert.equal(p.timestamps.length, splits.reduce((a, s) => a + s.train.timestamps.length, 0));
    for (let i = 1; i < p.timestamps.length; i++) assert.ok(p.timestamps[i] > p.timestamps[i - 1]);
    assert.throws(() => poolSeries([splits[0].train, { ...splits[1].train, channels: splits[1].train.channels.map((c) => c + 'x') }]), /channels/);
  });
});
