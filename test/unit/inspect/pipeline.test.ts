// End to end on generated data with known hotspots: a CCL cluster model trained on noisy history, the test days
// replayed in batches; incidents land on the machines that have hotspots; a restart mid-stream (state saved and
// restored into a fresh scorer) loses and duplicates nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateCluster, clusterSeries } from '../../../src/data/index.js';
import { trainClusterModel, replay, poolSeries } from '../../../src/inspect/pipeline.js';
import { OnlineScorer } from '../../../src/inspect/online.js';
import { IncidentTracker } from '../../../src/inspect/incidents.js';
import type { Series } from '../../../src/core/series.js';

const cluster = generateCluster({ machines: 4, days: 2, seed: 11, intervalSec: 120, hotspotsPerMachine: 1 });
const splits = clusterSeries(cluster);
const fast = { epochs: 2, maxTrainWindows: 128, d: 16, heads: 2, ffn: 32, window: 32, patchSizes: [4, 8], stride: 8 };

/** Each injected hotspot's longest overlapping incident: `kind→type`. */
function verdicts(c: ReturnType<typeof generateCluster>, incidents: { machine: string; onset: number; lastSeen: number; type: string }[], ts: Float64Array): { kind: string; type: string }[] {
  return c.hotspots.filter((h) => h.split === 'test').map((h) => {
    const a = ts[h.start - c.trainEnd], b = ts[h.end - 1 - c.trainEnd];
    const hit = incidents.filter((i) => i.machine === h.machine && i.onset <= b && i.lastSeen >= a).sort((x, y) => y.lastSeen - y.onset - (x.lastSeen - x.onset))[0];
    return { kind: h.type, type: hit ? hit.type : 'missed' };
  });
}

describe('inspection pipeline', () => {
  it('types incidents: sustained plateaus as sustained-high, back-pressure cascades as back-pressure (the demo cluster)', async () => {
    const c = generateCluster({ machines: 12, days: 4, seed: 7, contamination: 0.1 });
    const sp = clusterSeries(c);
    const model = await trainClusterModel(sp.map((s) => s.train), 'ccl', { epochs: 2 });
    const tests = sp.map((s) => s.test);
    const r = replay(model.detector, model.threshold, tests, 30, 64);
    const v = verdicts(c, r.tracker.incidents, tests[0].timestamps);
    const share = (kind: string, type: string): number => v.filter((x) => x.kind === kind && x.type === type).length / Math.max(1, v.filter((x) => x.kind === kind).length);
    const all = v.map((x) => `${x.kind}→${x.type}`).join(', ');
    assert.ok(v.some((x) => x.kind === 'plateau') && share('plateau', 'sustained-high') >= 2 / 3, `plateaus: ${all}`);
    assert.ok(v.some((x) => x.kind === 'backpressure') && share('backpressure', 'backpressure') >= 0.5, `back-pressure: ${all}`);
  });

  it('pools histories with strictly increasing time and rejects mismatched channels', () => {
    const p = poolSeries(splits.map((s) => s.train));
    assert.equal(p.timestamps.length, splits.reduce((a, s) => a + s.train.timestamps.length, 0));
    for (let i = 1; i < p.timestamps.length; i++) assert.ok(p.timestamps[i] > p.timestamps[i - 1]);
    assert.throws(() => poolSeries([splits[0].train, { ...splits[1].train, channels: splits[1].train.channels.map((c) => c + 'x') }]), /channels/);
  });

  it('raises incidents on the machines with hotspots, and survives a restart without gaps or duplicates', async () => {
    const model = await trainClusterModel(splits.map((s) => s.train), 'ccl', fast);
    const tests = splits.map((s) => s.test);
    const r = replay(model.detector, model.threshold, tests, 10, 32);
    const hot = new Set(cluster.hotspots.filter((h) => h.split === 'test').map((h) => h.machine));
    const flagged = new Set(r.tracker.incidents.map((i) => i.machine));
    const found = [...hot].filter((m) => flagged.has(m)).length;
    assert.ok(found >= Math.ceil(hot.size / 2), `incidents on ${found} of ${hot.size} hot machines (${[...flagged].join(', ')})`);
    assert.ok(r.tracker.incidents.some((i) => i.state === 'resolved'), 'incidents resolve when the machine calms down');
    for (const [m, s] of r.scores) assert.equal(s.t.length, tests.find((x) => x.name === m)!.timestamps.length, `${m}: every sample scored once`);

    // restart: one scorer ingests the first half, saves; a new scorer restores and ingests the rest (with overlap)
    const m0 = tests[0];
    const C = m0.channels.length;
    const cfg = { channels: m0.channels, window: 32, threshold: model.threshold, score: (s: Series) => model.detector.score(s) };
    const half = Math.floor(m0.timestamps.length / 2);
    const from = half - 5; // the collector re-delivers a few samples after the restart
    // the uninterrupted process receives the same two deliveries (scores depend on where batches end)
    const cont = new OnlineScorer(cfg, new IncidentTracker());
    const whole = [...cont.ingest(m0.name, m0.timestamps.subarray(0, half), m0.values.subarray(0, half * C)), ...cont.ingest(m0.name, m0.timestamps.subarray(from), m0.values.subarray(from * C))];
    const tr = new IncidentTracker();
    const a = new OnlineScorer(cfg, tr);
    const first = a.ingest(m0.name, m0.timestamps.subarray(0, half), m0.values.subarray(0, half * C));
    const saved = JSON.parse(JSON.stringify(a.saveState(m0.name)));
    const b = new OnlineScorer(cfg, tr);
    b.restore(m0.name, saved);
    const second = b.ingest(m0.name, m0.timestamps.subarray(from), m0.values.subarray(from * C));
    const joined = [...first, ...second];
    assert.deepEqual(joined.map((p) => p.t), Array.from(m0.timestamps));
    assert.deepEqual(joined.map((p) => p.score), whole.map((p) => p.score));
  });
});
