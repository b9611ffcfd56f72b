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
});
