// The store-backed watch loop: new samples scored once, incidents persisted and alerted (open + resolved) to a real
// loopback webhook, and a new watcher on the same store continues without re-scoring or re-alerting.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Store } from '../../../src/store/sqlite.js';
import { Watcher } from '../../../src/inspect/watch.js';
import { WebhookAlerter } from '../../../src/inspect/alerts.js';
import { createDetector } from '../../../src/detectors/index.js';
import type { Sample } from '../../../src/core/sample.js';

function samples(machine: string, from: number, to: number, hot: [number, number] | null): Sample[] {
  const out: Sample[] = [];
  for (let i = from; i < to; i++) {
    const ts = 1.7e12 + i * 60_000;
    const h = hot && i >= hot[0] && i < hot[1] ? 8 : 0;
    out.push({ ts, machine, metric: 'cpu_load', value: Math.sin(i / 9) + ((i * 7) % 5) * 0.05 + h }, { ts, machine, metric: 'latency_ms', value: 50 + Math.cos(i / 7) + h * 10 });
  }
  return out;
}

describe('watch over the store', () => {
  it('scores new samples once, persists and alerts incidents, and survives a restart', async () => {
    const posts: { kind: string }[] = [];
    const hook = createServer((req, res) => {
      let b = '';
      req.on('data', (d) => (b += d));
      req.on('end', () => {
        posts.push(JSON.parse(b));
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    const store = new Store(':memory:');
    try {
      store.insertSamples([...samples('tm-1', 0, 300, null), ...samples('tm-2', 0, 300, null)]);
      const det = createDetector('zscore');
      await det.fit({ name: 'h', timestamps: Float64Array.from({ length: 300 }, (_, i) => i), channels: ['cpu_load', 'latency_ms'], values: Float32Array.from(samples('tm-1', 0, 300, null).map((s) => s.value)) });
      const make = () => new Watcher(store, det, 6, null, { window: 32, resolveAfterMs: 5 * 60_000, alerter: new WebhookAlerter({ url }) });
      const w1 = make();
      const r1 = await w1.step();
      assert.equal(r1.scored, 600);
      assert.equal(r1.opened.length, 0, 'no incident on normal history');
      store.insertSamples([...samples('tm-1', 300, 360, [310, 330]), ...samples('tm-2', 300, 360, null)]);
      const r2 = await w1.step();
      assert.equal(r2.scored, 120);
      assert.deepEqual(r2.opened.map((i) => i.machine), ['tm-1']);
      assert.equal(r2.resolved.length, 1, 'the hotspot ended within the batch and resolved');
      assert.deepEqual(store.incidents().map((i) => [i.machine, i.state]), [['tm-1', 'resolved']]);
      // restart: a new watcher on the same store sees nothing new, alerts nothing twice
      const before = posts.length;
      const w2 = make();
      const r3 = await w2.step();
      assert.equal(r3.scored, 0);
      assert.equal(posts.length, before);
      store.insertSamples(samples('tm-2', 360, 400, [365, 390]));
      const r4 = await w2.step();
      assert.deepEqual(r4.opened.map((i) => i.machine), ['tm-2']);
      assert.equal(store.incidents().length, 2);
      assert.notEqual(store.incidents()[1].id, store.incidents()[0].id, 'incident ids continue after the restart');
      assert.ok(posts.length >= 3, `webhook got ${posts.length} posts`);
    } finally {
      store.close();
      hook.close();
    }
  });
});
