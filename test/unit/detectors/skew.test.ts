// CCL's skew part (src/detectors/ccl/skew.ts): a machine handling more than its share of the records stands out;
// its starved peers, a load shared by all, and a machine's slightly larger normal share do not.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fitSkew, skewChannels, skewScores } from '../../../src/detectors/ccl/skew.js';
import { peerMeans } from '../../../src/detectors/peers.js';
import type { PreparedInput } from '../../../src/detectors/input.js';
import { Rng } from '../../../src/tensor/index.js';
import { CCLDetector } from '../../../src/detectors/ccl/ccl.js';
import type { Series } from '../../../src/core/series.js';

const CHANNELS = ['cpu_load', 'records_in_per_s', 'records_out_per_s'];

/** Three machines of one job: a daily load (shared), per-machine noise, machine 2 with a 5 % larger share; `skew`:
 *  [from, to, machine] that machine's records ramp to twice its share; `burst`: [from, to] all machines ×3. */
function machines(T: number, seed: number, skew?: [number, number, number], burst?: [number, number]): PreparedInput[] {
  const rng = new Rng(seed);
  return Array.from({ length: 3 }, (_, m) => {
    const values = new Float32Array(T * 3);
    for (let t = 0; t < T; t++) {
      let load = 300 + 250 * Math.sin(t / 40) + (m === 2 ? 15 : 0);
      if (burst && t >= burst[0] && t < burst[1]) load *= 3;
      if (skew && m === skew[2] && t >= skew[0] && t < skew[1]) load *= 1 + Math.min(1, (t - skew[0]) / 20);
      const r = load * (1 + 0.03 * rng.normal());
      values.set([0.1 + 0.01 * rng.normal(), r, r * 0.98], t * 3);
    }
    return { T, C: 3, values, channels: CHANNELS, report: { interpolated: 0, emptyChannels: [], droppedChannels: [] } };
  });
}

function withPeers(xs: PreparedInput[]): PreparedInput[] {
  const ts = Float64Array.from({ length: xs[0].T }, (_, i) => i);
  const p = peerMeans(xs.map((x) => ({ timestamps: ts, values: x.values })), 3, [[0, 1, 2]]);
  return xs.map((x, i) => ({ ...x, peer: p[i]!.values }));
}

const pool = (xs: PreparedInput[]): PreparedInput => {
  const values = new Float32Array(xs.reduce((a, x) => a + x.values.length, 0));
  const peer = new Float32Array(values.length);
  let at = 0;
  for (const x of xs) {
    values.set(x.values, at);
    peer.set(x.peer!, at);
    at += x.values.length;
  }
  return { ...xs[0], T: values.length / 3, values, peer };
};
const max = (a: Float32Array, i: number, j: number): number => Math.max(...a.subarray(i, j));

/** A hot UDF: three machines with equal shares of the records and busy time that follows them; from `hot[0]` to
 *  `hot[1]` machine `hot[2]` spends `factor` × the busy time on its records, and its back-pressured peers 0.7 ×. */
const BUSY_CHANNELS = ['cpu_load', 'records_in_per_s', 'busy_ms_per_s'];
function hotUdf(T: number, seed: number, hot?: [number, number, number], factor = 2.5): PreparedInput[] {
  const rng = new Rng(seed);
  return Array.from({ length: 3 }, (_, m) => {
    const values = new Float32Array(T * 3);
    for (let t = 0; t < T; t++) {
      const load = 300 + 250 * Math.sin(t / 40);
      const on = hot !== undefined && t >= hot[0] && t < hot[1];
      const cost = on ? (m === hot[2] ? factor : 0.7) : 1;
      values.set([0.1 + 0.01 * rng.normal(), load * (1 + 0.03 * rng.normal()), 0.4 * load * cost * (1 + 0.03 * rng.normal())], t * 3);
    }
    return { T, C: 3, values, channels: BUSY_CHANNELS, report: { interpolated: 0, emptyChannels: [], droppedChannels: [] } };
  });
}

describe('CCL skew part', () => {
  it('reads the record-rate channels, with busy also busy time', () => {
    assert.deepEqual(skewChannels(CHANNELS, 'records'), [1, 2]);
    assert.deepEqual(skewChannels(['cpu', 'heap'], 'records'), []);
    assert.deepEqual(skewChannels(BUSY_CHANNELS, 'records'), [1]);
    assert.deepEqual(skewChannels(BUSY_CHANNELS, 'busy'), [1, 2]);
    assert.deepEqual(skewChannels(['cpu', 'busy_ms_per_s'], 'busy'), [1]);
  });

  it('busy: the machine whose records cost it more time stands out; the peers it slows down do not', () => {
    const fit = pool(withPeers(hotUdf(1500, 1)));
    const busy = fitSkew(fit, 'busy')!;
    const records = fitSkew(fit, 'records')!;
    const test = withPeers(hotUdf(600, 2, [300, 360, 1]));
    const s = test.map((x) => skewScores(x, busy));
    assert.ok(max(s[1], 320, 360) >= Math.max(...busy.gate), `hot machine ${max(s[1], 320, 360)} vs gates ${busy.gate.map((g) => g.toFixed(2))}`);
    for (const m of [0, 2]) assert.equal(max(s[m], 300, 360), -Infinity, `slowed peer m${m}`);
    for (const m of [0, 1, 2]) assert.equal(max(s[m], 0, 300), -Infinity, `before the hot UDF, m${m}`);
    // the record rates alone do not see it: the machine's share of the records did not change
    assert.equal(max(skewScores(test[1], records), 300, 360), -Infinity);
  });

  it('nothing to learn without peers or record rates', () => {
    const xs = machines(200, 1);
    assert.equal(fitSkew(xs[0], 'records'), null);
    assert.equal(fitSkew({ ...withPeers(xs)[0], channels: ['a', 'b', 'c'] }, 'records'), null);
  });

  it('the machine taking twice its share stands out; its peers, a shared burst and a larger normal share do not', () => {
    const norm = fitSkew(pool(withPeers(machines(1500, 1))), 'records')!;
    assert.ok(norm, 'fitted');
    const test = withPeers(machines(600, 2, [300, 360, 1], [100, 130]));
    const s = test.map((x) => skewScores(x, norm));
    assert.ok(max(s[1], 330, 360) >= Math.max(...norm.gate), `skewed machine ${max(s[1], 330, 360)} vs gates ${norm.gate.map((g) => g.toFixed(2))}`);
    assert.ok(max(s[1], 330, 360) > 5, 'well above the network part\'s median (0) in IQR units');
    // below its gate the part says nothing (−∞): the starved peers, the shared burst, machine 2's 5 % larger share
    for (const m of [0, 2]) assert.equal(max(s[m], 300, 360), -Infinity, `starved peer m${m}`);
    for (const m of [0, 1, 2]) assert.equal(max(s[m], 100, 130), -Infinity, `shared burst m${m}`);
    assert.equal(max(s[2], 0, 600), -Infinity, 'a larger normal share is normal');
    // the last rows alone (what the online loop asks for) are the same as scored with the whole window
    const tail = skewScores(test[1], norm, 340);
    assert.deepEqual(Array.from(tail.subarray(340)), Array.from(s[1].subarray(340)));
    assert.equal(max(tail, 0, 340), -Infinity, 'rows before `from` are not scored');
    // without peers at scoring time there is no skew part
    assert.equal(max(skewScores({ ...test[1], peer: undefined }, norm), 0, 600), -Infinity);
  });
});

/** CCL computing every peer mean of the window (what scoreTrailing did before it asked only for the skew part's). */
class AllPeers extends CCLDetector {
  protected override get trailingPeerNeed(): { channels?: number[]; rowsBefore?: number } {
    return {};
  }
}

describe('CCL skew part, online', () => {
  it('scoring the last rows with only the peer means the skew part reads gives the same scores as with all of them', async () => {
    const series = (xs: PreparedInput[], t0: number): Series[] => xs.map((x, m) => ({ name: `tm-${m}`, timestamps: Float64Array.from({ length: x.T }, (_, i) => t0 + i), channels: CHANNELS, values: x.values }));
    const params = { window: 16, stride: 4, epochs: 1, maxTrainWindows: 64, batchSize: 16, d: 8, heads: 2, ffn: 16, patchSizes: [4], negatives: 2 };
    const groups = [[0, 1, 2]];
    const ccl = new CCLDetector(params);
    await ccl.fitCluster(series(machines(600, 1), 0), groups);
    assert.ok(ccl.peerAware, 'the skew part was learnt');
    // the skewed machine mid-ramp, the others as peers (one of them scored, one context only), 3 pending rows
    const test = series(machines(360, 2, [300, 360, 1]), 10_000);
    const last = [3, 3];
    const mine = ccl.scoreTrailing(test, last, groups, 1);
    Object.setPrototypeOf(ccl, AllPeers.prototype); // the same weights, every peer mean computed
    const theirs = ccl.scoreTrailing(test, last, groups, 1);
    assert.deepEqual(mine.map((s) => Array.from(s)), theirs.map((s) => Array.from(s)));
    assert.ok(Math.max(...mine[1]) > Math.max(...mine[0]), 'and the skewed machine still stands out');
  });
});
