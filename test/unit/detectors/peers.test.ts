// The peer view: groups from the placement, peer means aligned by timestamp (leave-one-out), and CCL's peer-aware form
// scoring what one machine does alone high and what all its peers do together low.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { peerGroups, peersOf } from '../../../src/core/peers.js';
import { peerMeans } from '../../../src/detectors/peers.js';
import { Scratch } from '../../../src/detectors/scratch.js';
import { createDetector, loadDetector } from '../../../src/detectors/index.js';
import { Rng } from '../../../src/tensor/index.js';
import type { Series } from '../../../src/core/series.js';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

/** A detector saved to a fresh temporary file and loaded back. */
function roundTrip(det: ReturnType<typeof createDetector>, prefix: string): ReturnType<typeof loadDetector> {
  const path = join(mkdtempSync(join(tmpdir(), prefix)), 'm.model');
  det.save(path);
  return loadDetector(path);
}

describe('peer groups', () => {
  it('one group per shared job; unknown placement → the whole cluster; a job alone → no peers', () => {
    const jobs: Record<string, string[]> = { a: ['j1'], b: ['j1', 'j2'], c: ['j2'], d: ['j3'] };
    const g = peerGroups(['a', 'b', 'c', 'd'], (m) => jobs[m]);
    assert.deepEqual(g, [[0, 1], [1, 2]]);
    assert.deepEqual(peersOf(4, g), [[1], [0, 2], [1], []]);
    assert.deepEqual(peerGroups(['a', 'b', 'c'], () => undefined), [[0, 1, 2]]);
    // one unplaced machine: it has the whole list as its group
    assert.deepEqual(peersOf(3, peerGroups(['a', 'b', 'x'], (m) => jobs[m])), [[1, 2], [0, 2], [0, 1]]);
  });
});

describe('peer means', () => {
  it('leave-one-out mean of the group at the same timestamps, averaged over groups; NaN where no peer has the timestamp', () => {
    const x = (ts: number[], v: number[]) => ({ timestamps: ts, values: Float32Array.from(v) });
    // C = 1; machine 2 lacks timestamp 20
    const xs = [x([10, 20, 30], [1, 2, 3]), x([10, 20, 30], [10, 20, 30]), x([10, 30], [100, 300]), x([40], [7])];
    const m = peerMeans(xs, 1, [[0, 1, 2], [1, 3]]);
    assert.deepEqual(Array.from(m[0]!.values), [55, 20, 165]); // (10+100)/2, 20 alone, (30+300)/2
    // machine 1: group 1 gives (1+100)/2, 2, (3+300)/2; group 2 has no other member at its timestamps
    assert.deepEqual(Array.from(m[1]!.values), [50.5, 2, 151.5]);
    assert.deepEqual(Array.from(m[2]!.values), [5.5, 16.5]);
    assert.ok(Number.isNaN(m[3]!.values[0]), 'no peer at 40');
    assert.ok(m.every((r) => r === null || r.from === 0), 'every row without a need');
    assert.equal(peerMeans(xs, 1, [[0, 1]])[2], null, 'in no group');
    // into a caller's scratch (whatever it held): the same floats, as views of its array
    const scratch = new Scratch();
    scratch.take(64).fill(42);
    const again = peerMeans(xs, 1, [[0, 1, 2], [1, 3]], {}, scratch);
    again.forEach((r, i) => assert.deepEqual(Array.from(r!.values), Array.from(m[i]!.values), `machine ${i}`));
    assert.equal(again[0]!.values.buffer, scratch.take(0).buffer);
    // a scratch shorter than the call needs (9 rows) grows to it; what it held does not leak into the means
    const short = new Scratch();
    short.take(3).fill(42);
    const grown = peerMeans(xs, 1, [[0, 1, 2], [1, 3]], {}, short);
    grown.forEach((r, i) => assert.deepEqual(Array.from(r!.values), Array.from(m[i]!.values), `machine ${i}, grown scratch`));
    assert.equal(short.take(9).buffer, grown[0]!.values.buffer);
  });

  it('a need (some channels, from a timestamp on) gives exactly those means of the full computation, NaN elsewhere', () => {
    const rng = new Rng(3);
    const C = 4;
    // five machines on slightly different clocks (one misses rows, one starts late)
    const xs = Array.from({ length: 5 }, (_, m) => {
      const ts = Array.from({ length: 30 }, (_, i) => 100 + i * 10).filter((t) => !(m === 1 && t % 70 === 0) && !(m === 4 && t < 220));
      return { timestamps: ts, values: Float32Array.from({ length: ts.length * C }, () => rng.normal()) };
    });
    const groups = [[0, 1, 2, 3, 4], [1, 3]];
    const full = peerMeans(xs, C, groups);
    const part = peerMeans(xs, C, groups, { channels: [1, 3], since: 300 });
    xs.forEach((x, i) => {
      const { from, values } = part[i]!;
      assert.equal(from, x.timestamps.findIndex((t) => t >= 300), `machine ${i}: rows from the first at or after 300`);
      assert.equal(values.length, (x.timestamps.length - from) * C);
      x.timestamps.forEach((t, r) => {
        if (r < from) return;
        for (let c = 0; c < C; c++) {
          const want = c === 1 || c === 3 ? full[i]!.values[r * C + c] : NaN;
          assert.ok(Object.is(values[(r - from) * C + c], want), `machine ${i} t=${t} c=${c}: ${values[(r - from) * C + c]} vs ${want}`);
        }
      });
    });
  });
});

/** M machines whose whole cluster has shared bursts in normal life; optional extra shifts. */
function cluster(T: number, seed: number, shared?: [number, number], single?: [number, number, number]): Series[] {
  const rng = new Rng(seed);
  const bursts = Array.from({ length: T / 100 }, () => rng.int(T - 10));
  return Array.from({ length: 4 }, (_, m) => {
    const v = new Float32Array(T * 2);
    for (let t = 0; t < T; t++) for (let c = 0; c < 2; c++) {
      let x = Math.sin(t / 10 + c) + 0.5 * m + 0.1 * rng.normal();
      if (bursts.some((b) => t >= b && t < b + 5)) x += 2;
      if (shared && t >= shared[0] && t < shared[1]) x += 3;
      if (single && m === single[2] && t >= single[0] && t < single[1]) x += 3;
      v[t * 2 + c] = x;
    }
    return { name: `m${m}`, timestamps: Float64Array.from({ length: T }, (_, i) => 1.7e12 + i * 60_000), channels: ['a', 'b'], values: v };
  });
}

describe('CCL peer view', () => {
  it('a shift on every machine at once scores low, the same shift on one machine alone scores high', async () => {
    const train = cluster(800, 1);
    const test = cluster(400, 2, [150, 175], [280, 305, 2]);
    const groups = [[0, 1, 2, 3]];
    const params = { window: 32, stride: 2, scoreStride: 8, epochs: 3, maxTrainWindows: 512, batchSize: 32, d: 16, heads: 2, ffn: 32, patchSizes: [4, 8], negatives: 4 };
    const max = (a: Float32Array, i: number, j: number): number => Math.max(...a.subarray(i, j));
    const peer = createDetector('ccl', { ...params, peers: 'both' });
    assert.ok(peer.peerAware);
    await peer.fitCluster(train, groups);
    const s = peer.scoreTrailing(test, test.map(() => 400), groups);
    for (const m of [0, 1, 3]) assert.ok(max(s[m], 150, 175) < peer.threshold * 3, `m${m} during the shared shift: ${max(s[m], 150, 175).toFixed(2)} (threshold ${peer.threshold.toFixed(2)})`);
    assert.ok(max(s[2], 280, 305) > 4 * max(s[2], 150, 175), `m2 alone ${max(s[2], 280, 305).toFixed(2)} vs shared ${max(s[2], 150, 175).toFixed(2)}`);
    // without peers the same model kind cannot tell the two apart (the shared shift is as unusual as the lone one)
    const own = createDetector('ccl', { ...params, peers: 'none' });
    await own.fitCluster(train, groups);
    const o = own.scoreTrailing(test, test.map(() => 400), groups);
    assert.ok(max(o[2], 150, 175) > 0.5 * max(o[2], 280, 305), 'the peer-less model flags the shared shift too');
    // scored without peers, the peer-aware model falls back to the machine's own residual
    const alone = peer.scoreTrailing([test[0]], [400])[0];
    assert.ok(max(alone, 150, 175) > 3 * max(s[0], 150, 175), 'no peers: the own view speaks');
    // the peer means and the network's input live in scratch arrays from one call to the next (the online loop's):
    // a smaller call in between and a longer one after leave the scores as they were
    const windows = test.map((x) => ({ ...x, timestamps: x.timestamps.slice(300, 364), values: x.values.slice(300 * 2, 364 * 2) }));
    const first = peer.scoreTrailing(windows, [64, 1, 64, 3], groups);
    peer.scoreTrailing(windows.slice(0, 2), [5, 5], [[0, 1]]);
    assert.deepEqual(peer.scoreTrailing(test, test.map(() => 400), groups), s, 'the whole test again');
    assert.deepEqual(peer.scoreTrailing(windows, [64, 1, 64, 3], groups), first, 'the windows again');
  });
});

describe('CCL peer view without peers', () => {
  it('fitted without any peer context, the default model is the machine-alone one (same scores, saved and loaded)', async () => {
    const [train] = cluster(400, 3);
    const [test] = cluster(200, 4, undefined, [120, 140, 0]);
    const params = { window: 32, stride: 2, scoreStride: 8, epochs: 2, maxTrainWindows: 128, batchSize: 32, d: 16, heads: 2, ffn: 32, patchSizes: [4, 8], negatives: 4 };
    const dflt = createDetector('ccl', params);
    assert.ok(dflt.peerAware, 'before a fit the default reads peers (it may learn from them)');
    await dflt.fit(train);
    const alone = createDetector('ccl', { ...params, peers: 'none' });
    await alone.fit(train);
    assert.equal(dflt.threshold, alone.threshold);
    assert.deepEqual(dflt.score(test), alone.score(test));
    // one machine given as a cluster of one (no group of two): the same
    const one = createDetector('ccl', params);
    await one.fitCluster([train], []);
    assert.deepEqual(one.score(test), alone.score(test));
    const back = roundTrip(dflt, 'ccl-alone-');
    assert.deepEqual(back.score(test), alone.score(test));
    assert.equal(back.peerAware, dflt.peerAware);
  });

  it('one machine sharing no job does not take the peer view from the others', async () => {
    const train = cluster(400, 3);
    const params = { window: 32, stride: 2, scoreStride: 8, epochs: 1, maxTrainWindows: 64, batchSize: 32, d: 16, heads: 2, ffn: 32, patchSizes: [4, 8], negatives: 4 };
    const det = createDetector('ccl', params);
    await det.fitCluster(train, [[0, 1, 2]]); // machine 3 is in no group
    assert.ok(det.peerAware, 'the model kept its peer view');
    const none = createDetector('ccl', { ...params, peers: 'none' });
    await none.fitCluster(train, [[0, 1, 2]]);
    const [s] = det.scoreTrailing([train[0], train[1]], [50, 50], [[0, 1]]);
    const [o] = none.scoreTrailing([train[0], train[1]], [50, 50], [[0, 1]]);
    assert.notDeepEqual(s, o, 'the peer-aware model scores with its peers');
  });
});

describe('CCL peer view read over a longer window (peerSmooth)', () => {
  it('never scores lower than the point reading of the same network, scores a slow drift higher, and survives save/load', async () => {
    const train = cluster(800, 1);
    const test = cluster(400, 2);
    // machine 2 drifts away from its peers slowly: +3 over 200 points
    for (let t = 150; t < 350; t++) for (let c = 0; c < 2; c++) test[2].values[t * 2 + c] += (3 * (t - 150)) / 200;
    const groups = [[0, 1, 2, 3]];
    // 'mean' lets the peer part show (with the default 'min' this toy's own residual is the smaller part throughout)
    const params = { window: 32, stride: 2, scoreStride: 8, epochs: 2, maxTrainWindows: 256, batchSize: 32, d: 16, heads: 2, ffn: 32, patchSizes: [4, 8], negatives: 4, peerScore: 'mean' };
    const point = createDetector('ccl', params);
    const smooth = createDetector('ccl', { ...params, peerSmooth: 16 });
    await point.fitCluster(train, groups);
    await smooth.fitCluster(train, groups);
    const p = point.scoreTrailing(test, test.map(() => 400), groups);
    const s = smooth.scoreTrailing(test, test.map(() => 400), groups);
    // the same network (peerSmooth does not enter the loss): the peer part is max(point, smoothed), so never lower
    for (let m = 0; m < 4; m++) for (let t = 0; t < 400; t++) if (!Number.isNaN(p[m][t])) assert.ok(s[m][t] >= p[m][t] - 1e-4, `m${m} t${t}: ${s[m][t]} < ${p[m][t]}`);
    // the drift, measured against each model's own threshold, stands out further with the smoothed reading
    const peak = (a: Float32Array): number => Math.max(...a.subarray(250, 350));
    const [rp, rs] = [peak(p[2]) / point.threshold, peak(s[2]) / smooth.threshold];
    assert.ok(rs > 1.3 * rp, `drift peak / threshold: smoothed ${rs.toFixed(2)}, point ${rp.toFixed(2)}`);
    const back = roundTrip(smooth, 'ccl-smooth-');
    assert.deepEqual(back.scoreTrailing(test, test.map(() => 400), groups), s);
  });
});
