// CCL's window-end path: CCLNet.forwardTail(x, k) must give forward(x)'s last k positions (it computes only what they
// depend on: patch tokens from patch means, the local view on a crop of k + layers·band), and the detector's
// scoreWindowEnds (what the online loop calls) must equal the full forward's last score for every configuration.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, Tensor, noGrad, slice } from '../../../src/tensor/index.js';
import { CCLNet, type CCLNetConfig } from '../../../src/detectors/ccl/model.js';
import { CCLDetector, causalMean, type CCLParams } from '../../../src/detectors/ccl/ccl.js';
import { DeepDetector } from '../../../src/detectors/deep/template.js';

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

function randomInput(B: number, L: number, C: number, seed: number): Tensor {
  const rng = new Rng(seed);
  return new Tensor(Float32Array.from({ length: B * L * C }, () => rng.normal()), [B, L, C]);
}

describe('CCLNet.forwardTail', () => {
  const base: CCLNetConfig = { C: 5, L: 32, d: 16, heads: 4, layers: 1, ffn: 24, dropout: 0, patchSizes: [4, 8], band: 3, views: 'both' };
  const cases: [string, Partial<CCLNetConfig>, number][] = [
    ['default shape, k = 1', {}, 1],
    ['k = 2 (the disagreement needs t − 1)', {}, 2],
    ['two layers: the crop grows by a band per layer', { layers: 2 }, 1],
    ['three layers, wide band, k spanning patches', { layers: 3, band: 5 }, 9],
    ['one patch size', { patchSizes: [8] }, 3],
    ['global view only', { views: 'global' }, 1],
    ['local view only', { views: 'local' }, 2],
    ['the crop is the whole window', { layers: 4, band: 8 }, 1],
  ];
  for (const [name, over, k] of cases) {
    it(name, () => {
      const cfg = { ...base, ...over };
      const net = new CCLNet(cfg, new Rng(7));
      net.eval();
      const x = randomInput(3, cfg.L, cfg.C, 11);
      noGrad(() => {
        const full = net.forward(x);
        const tail = net.forwardTail(x, k);
        const last = (t: Tensor): Float32Array => slice(t, 1, cfg.L - k, cfg.L).values();
        assert.deepEqual(tail.xhat.shape, [3, k, cfg.C]);
        assert.ok(maxAbsDiff(tail.g.values(), last(full.g)) < 1e-4, 'g');
        assert.ok(maxAbsDiff(tail.l.values(), last(full.l)) < 1e-4, 'l');
        assert.ok(maxAbsDiff(tail.xhat.values(), last(full.xhat)) < 1e-4, 'xhat');
      });
    });
  }

  it('a crop one position too short changes the answer (the reach is real, the test can fail)', () => {
    const cfg = { ...base, layers: 2 };
    const net = new CCLNet(cfg, new Rng(3));
    net.eval();
    const x = randomInput(2, cfg.L, cfg.C, 5);
    const R = 1 + cfg.layers * cfg.band;
    noGrad(() => {
      // perturb the first input the crop still reads, then the one just before it
      const inside = x.values().slice();
      const outside = x.values().slice();
      for (let c = 0; c < cfg.C; c++) {
        inside[(cfg.L - R) * cfg.C + c] += 5;
        outside[(cfg.L - R - 1) * cfg.C + c] += 5;
      }
      const l0 = net.forwardTail(x, 1).l.values();
      const lIn = net.forwardTail(new Tensor(inside, x.shape), 1).l.values();
      const lOut = net.forward(new Tensor(outside, x.shape)).l;
      assert.ok(maxAbsDiff(l0, lIn) > 1e-3, 'the first cropped input reaches the last position');
      assert.ok(maxAbsDiff(l0, slice(lOut, 1, cfg.L - 1, cfg.L).values()) < 1e-5, 'the one before it does not');
    });
    assert.throws(() => net.forwardTail(x, 0), /outside 1\.\.32/);
  });
});

/** Exposes the window-end score next to the generic one (the full forward, last position kept). */
class Probe extends CCLDetector {
  ends(b: Tensor, peer?: boolean[]): Float32Array {
    return this.scoreWindowEnds(b, peer);
  }
  reference(b: Tensor, peer?: boolean[]): Float32Array {
    const generic = (DeepDetector.prototype as unknown as { scoreWindowEnds(this: Probe, b: Tensor, p?: boolean[]): Float32Array }).scoreWindowEnds;
    return generic.call(this, b, peer);
  }
}

describe('CCL scores the window end as the full forward does', () => {
  const T = 240, C = 3;
  const rng = new Rng(4);
  const v = new Float32Array(T * C);
  for (let i = 0; i < v.length; i++) v[i] = Math.sin(i / 9) + 0.1 * rng.normal();
  const series = { name: 'm', timestamps: Float64Array.from({ length: T }, (_, i) => 1.7e12 + i * 60_000), channels: ['a', 'b', 'c'], values: v };
  const other = { ...series, name: 'n', values: v.map((x, i) => x + 0.1 * Math.cos(i / 7)) };
  const small: Partial<CCLParams> = { window: 16, epochs: 1, d: 8, heads: 2, ffn: 8, patchSizes: [4, 8], negatives: 2 };
  const cases: [string, Partial<CCLParams>, number][] = [
    ['no peer view: residual score', { peers: 'none' }, C],
    ['no peer view, with the view disagreement (α > 0)', { peers: 'none', alpha: 0.5 }, C],
    ['no peer view, with a memory of normal representations', { peers: 'none', memoryWeight: 0.5, memorySize: 64 }, C],
    ['default: peer view both (two networks, peers known)', {}, 2 * C],
    ['peer view both with the view disagreement and a memory', { alpha: 0.5, memoryWeight: 0.5, memorySize: 64 }, 2 * C],
    ['peer view both, its residual smoothed over 5 positions (the tail reaches back for them)', { peerSmooth: 5 }, 2 * C],
    ['peer view both, smoothed over the whole window', { peerSmooth: 16, alpha: 0.5 }, 2 * C],
    ['published formulation (no tail path: the generic one)', { formulation: 'published', hop: 2 }, C],
  ];
  for (const [name, params, width] of cases) {
    it(name, async () => {
      const det = new Probe({ ...small, ...params });
      // the peer view is trained only where peers exist: two machines of one job
      if (width === 2 * C) await det.fitCluster([series, other], [[0, 1]]);
      else await det.fit(series);
      const b = randomInput(4, 16, width, 9);
      const peer = [true, false, true, true];
      noGrad(() => assert.ok(maxAbsDiff(det.ends(b, peer), det.reference(b, peer)) < 1e-3));
    });
  }
});

describe('causalMean (the peer residual read over its last w positions)', () => {
  it('averages the last w of each row, what a row has at its start, and keeps only the tail', () => {
    const v = Float32Array.from([1, 2, 3, 4, 5, 10, 20, 30, 40, 50]); // 2 rows of 5
    assert.deepEqual([...causalMean(v, 5, 2, 5)], [1, 1.5, 2.5, 3.5, 4.5, 10, 15, 25, 35, 45]);
    assert.deepEqual([...causalMean(v, 5, 3, 2)], [3, 4, 30, 40]);
    assert.deepEqual([...causalMean(v, 5, 1, 5)], [...v]);
    // a lone spike is diluted by w; a step that lasts w positions reaches its full height
    const spike = Float32Array.from([0, 0, 0, 8, 0, 0, 0, 0]);
    assert.equal(Math.max(...causalMean(spike, 8, 4, 8)), 2);
    const step = Float32Array.from([0, 0, 0, 8, 8, 8, 8, 8]);
    assert.equal(causalMean(step, 8, 4, 8)[6], 8);
  });
});
