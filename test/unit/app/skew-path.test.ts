// The skew part through the product path: a CCL model trained by trainModel on a placed cluster (peers from the
// placement), its alarm levels (alarmLevels, mad:8 of the training scores), and the online scorer wired as the
// Watcher wires it (peer groups when the detector reads peers, persistence 3). A TaskManager that takes twice its
// share of the records while the load rises pages with the skew part and not with `skew: 'none'` (both without the peer
// view and the cost part, so that the skew part alone is judged), and with the default (peer view, skew and cost part).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { trainModel } from '../../../src/app/train.js';
import { alarmLevels } from '../../../src/app/alarms.js';
import { peerGroups } from '../../../src/core/peers.js';
import { OnlineScorer } from '../../../src/inspect/online.js';
import { IncidentTracker } from '../../../src/inspect/incidents.js';
import { PERSIST_POINTS } from '../../../src/inspect/levels.js';
import { Rng } from '../../../src/tensor/index.js';
import type { Series } from '../../../src/core/series.js';

const CHANNELS = ['busy_ms_per_s', 'records_in_per_s', 'records_out_per_s'];
const STEP = 10_000;

/** Three TaskManagers of one job over rows [from, to): a shared load cycle with noise; `skew`: [from, to, machine]. */
function cluster(from: number, to: number, seed: number, skew?: [number, number, number]): Series[] {
  const rng = new Rng(seed);
  return ['tm-1', 'tm-2', 'tm-3'].map((name, m) => {
    const T = to - from;
    const values = new Float32Array(T * 3);
    for (let k = 0; k < T; k++) {
      const t = from + k;
      let load = 400 + 300 * Math.sin(t / 60);
      if (skew && m === skew[2] && t >= skew[0] && t < skew[1]) load *= 1 + Math.min(1, (t - skew[0]) / 30);
      const r = load * (1 + 0.03 * rng.normal());
      // busy follows the load gently: the network sees a machine a little busier, as on flink-lab
      values.set([100 + 0.05 * load + 5 * rng.normal(), r, 0.98 * r], k * 3);
    }
    return { name, timestamps: Float64Array.from({ length: T }, (_, k) => 1.7e12 + (from + k) * STEP), channels: CHANNELS, values };
  });
}

/** `cost: 'none'` judges the skew part and the peer view without the cost part (which reads the peers for its starved
 *  rows); absent, the default's cost part. */
async function incidentsWith(skew: 'records' | 'none', peers: 'none' | 'both', cost?: 'none'): Promise<{ machine: string; onset: number }[]> {
  const placement = new Map(['tm-1', 'tm-2', 'tm-3'].map((m) => [m, ['orders']]));
  const params = { window: 32, stride: 2, scoreStride: 8, epochs: 2, maxTrainWindows: 256, batchSize: 32, d: 16, heads: 2, ffn: 32, patchSizes: [4, 8], negatives: 4, skew, peers, ...(cost ? { cost } : {}) };
  const { detector } = await trainModel({ history: cluster(0, 900, 1), kind: 'ccl', params, placement, quietMs: 60 * STEP });
  assert.equal(detector.peerAware, skew === 'records' || peers === 'both' || cost === undefined, 'the model reads peers for its skew part, its peer view or its cost part');
  const tracker = new IncidentTracker({ resolveAfterMs: 60 * STEP });
  const scorer = new OnlineScorer({
    channels: detector.channels, window: 32, levels: alarmLevels(detector), minPoints: PERSIST_POINTS, candidateGap: 0,
    scoreTrailing: (xs, last, groups, context) => detector.scoreTrailing(xs, last, groups, context),
    peers: detector.peerAware ? (names) => peerGroups(names, (m) => placement.get(m)) : undefined,
  }, tracker);
  const watched = cluster(900, 1300, 2, [1010, 1070, 1]); // at the trough of the load: twice a low share is a normal level
  for (const x of watched) scorer.prime(x.name, x.timestamps.subarray(0, 32), x.values.subarray(0, 32 * 3));
  for (let k = 32; k < 400; k++) {
    scorer.ingestMany(watched.map((x) => ({ machine: x.name, timestamps: x.timestamps.subarray(k, k + 1), values: x.values.subarray(k * 3, k * 3 + 3) })));
  }
  return tracker.incidents.map((i) => ({ machine: i.machine, onset: i.onset }));
}

describe('the skew part in the product path', () => {
  const start = 1.7e12 + 1010 * STEP;
  const end = 1.7e12 + 1070 * STEP;
  const duringSkew = (i: { machine: string; onset: number }): boolean => i.machine === 'tm-2' && i.onset >= start && i.onset < end;
  /** tm-2 pages during its skew, and its starved peers do not. */
  const pagesOnlyTm2 = (on: { machine: string; onset: number }[]): void => {
    assert.ok(on.some(duringSkew), `tm-2 during its skew: ${JSON.stringify(on)}`);
    assert.deepEqual(on.filter((i) => i.machine !== 'tm-2'), [], 'its starved peers do not page');
  };

  it('pages the TaskManager taking twice its share (and only it); without the skew part nothing pages', async () => {
    pagesOnlyTm2(await incidentsWith('records', 'none', 'none'));
    const off = await incidentsWith('none', 'none', 'none');
    assert.deepEqual(off.filter(duringSkew), [], `the network alone misses it: ${JSON.stringify(off)}`);
  });

  it('the default (peer view, skew part and cost part) pages it too, and only it', async () => {
    pagesOnlyTm2(await incidentsWith('records', 'both'));
  });
});
