// The product path replayed (src/app/replay.ts): events are delivered as a collector stores them — also those that
// happen between the history's last row and the first inspected row, where no row is delivered (a stale stretch
// between history and inspection, or just the last scrape interval).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replay, type ReplayCluster } from '../../../src/app/replay.js';
import type { Series } from '../../../src/core/series.js';
import type { FlinkEvent } from '../../../src/core/event.js';

const T0 = 1.7e12;
const at = (i: number): number => T0 + i * 60_000;

function series(name: string, from: number, to: number): Series {
  const n = to - from;
  const values = new Float32Array(n * 2);
  for (let k = 0; k < n; k++) {
    const i = from + k;
    values[2 * k] = Math.sin(i / 9) + ((i * 7) % 5) * 0.05;
    values[2 * k + 1] = 50 + Math.cos(i / 7);
  }
  return { name, timestamps: Float64Array.from({ length: n }, (_, k) => at(from + k)), channels: ['cpu_load', 'latency_ms'], values };
}

describe('replay', () => {
  it('stores the events between the history and the first inspected row', async () => {
    const ev = (id: string, i: number, kind: FlinkEvent['kind']): FlinkEvent => ({ id, ts: at(i), kind, machines: ['tm-1'], detail: id });
    // history up to row 199, then nothing is delivered until row 230 (the values were frozen), inspected to 260
    const events = [ev('before', 150, 'restart'), ev('in-the-last-interval', 199.5, 'restart'), ev('frozen', 205, 'metrics-stale'), ev('fresh', 229.9, 'metrics-fresh'), ev('during', 240, 'restart')];
    const c: ReplayCluster = {
      machines: ['tm-1', 'tm-2'].map((name) => ({ name, jobs: ['orders'], train: series(name, 0, 200), test: series(name, 230, 260) })),
      events, faults: [],
    };
    const r = await replay(c, { kind: 'zscore', dir: mkdtempSync(join(tmpdir(), 'flinkscope-replay-')) });
    try {
      assert.deepEqual((await r.store.events({})).map((e) => e.id), events.map((e) => e.id));
    } finally {
      await r.store.close();
    }
  });

  it('retrains once a failover has settled, as watch does; not with retrainAfterEventMs 0, nor after a restart', async () => {
    const ev = (id: string, i: number, kind: FlinkEvent['kind']): FlinkEvent => ({ id, ts: at(i), kind, machines: ['tm-1'], detail: id });
    const c = (events: FlinkEvent[]): ReplayCluster => ({
      machines: ['tm-1', 'tm-2'].map((name) => ({ name, jobs: ['orders'], train: series(name, 0, 200), test: series(name, 200, 300) })), events, faults: [],
    });
    const run = async (events: FlinkEvent[], retrainAfterEventMs?: number) => {
      const r = await replay(c(events), { kind: 'zscore', dir: mkdtempSync(join(tmpdir(), 'flinkscope-replay-')), batch: 10, watch: { eventGraceMs: 15 * 60_000 }, retrainAfterEventMs });
      const models = [];
      for (let id = 1; ; id++) {
        const m = await r.store.model(id);
        if (!m) break;
        models.push(m);
      }
      await r.store.close();
      return { retrains: r.retrains, models };
    };
    const failover = await run([ev('restart', 219, 'restart'), ev('failover', 220, 'failover')]);
    assert.equal(failover.retrains.length, 1);
    assert.equal(failover.retrains[0].event, 'failover');
    assert.ok(failover.retrains[0].at >= at(235) && failover.retrains[0].at < at(245), 'after the grace period (15 min), at the next delivery');
    assert.deepEqual(failover.models.map((m) => m.report.reason), ['replay', 'event']);
    assert.equal((await run([ev('failover', 220, 'failover')], 0)).retrains.length, 0, '0: never');
    assert.equal((await run([ev('restart', 220, 'restart')])).retrains.length, 0, 'a restart alone moves nothing for sure');
  });
});
