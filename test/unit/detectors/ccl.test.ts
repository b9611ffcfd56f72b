// CCL-specific checks: each loss term on hand-made inputs, the boundary's zero gradient, the injected negatives.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as t from '../../../src/tensor/index.js';
import { Rng, Tensor } from '../../../src/tensor/index.js';
import { boundaryLoss, crossViewInfoNCE, residual, viewDisagreement } from '../../../src/detectors/ccl/losses.js';
import { boundaryPrior } from '../../../src/detectors/ccl/boundary.js';
import { injectNegatives, CCLDetector } from '../../../src/detectors/ccl/ccl.js';
import { applyInjection } from '../../../src/detectors/ccl/inject.js';
import { neighbourMask } from '../../../src/detectors/ccl/model.js';
import { centredSubWindows, crossDiscrepancy, discrepancyBoundaryLoss, softmaxBoundary } from '../../../src/detectors/ccl/published.js';
import { gradCheck, randT } from '../tensor/gradcheck.js';

describe('CCL losses', () => {
  it('cross-view InfoNCE equals the hand-computed value', () => {
    // B = 1, L = 2, d = 2: anchor a_0 = (1, 0); positive p_1 = (1, 0) (cos 1); one negative (0, 1) (cos 0)
    const a = t.tensor([[[1, 0], [5, 5]]]);
    const p = t.tensor([[[9, 9], [1, 0]]]);
    const neg = t.tensor([[[0, 1]]]);
    const tau = 0.5;
    const expected = -Math.log(Math.exp(1 / tau) / (Math.exp(1 / tau) + Math.exp(0)));
    assert.ok(Math.abs(crossViewInfoNCE(a, p, neg, tau).item() - expected) < 1e-5);
  });

  it('residual, boundary loss and view disagreement on known values', () => {
    const x = t.tensor([[[0, 0], [1, 1]]]); // (1, 2, 2)
    const xhat = t.tensor([[[3, 4], [1, 1]]]);
    const r = residual(xhat, x);
    assert.ok(Math.abs(r.toArray()[0] - 5 / Math.SQRT2) < 1e-5);
    assert.ok(Math.abs(r.toArray()[1]) < 1e-5);
    const b = t.tensor([[1, 1]]);
    // mean(max(r − b, 0)) = (5/√2 − 1 + 0) / 2
    assert.ok(Math.abs(boundaryLoss(r, b).item() - (5 / Math.SQRT2 - 1) / 2) < 1e-5);
    // t = 1: cos(g_0, l_1) = cos((1,0),(2,2)) = 1/√2, cos(l_0, g_1) = cos((0,1),(1,1)) = 1/√2; t = 0 repeats t = 1
    const dis = viewDisagreement(t.tensor([[[1, 0], [1, 1]]]), t.tensor([[[0, 1], [2, 2]]])).toArray();
    assert.ok(Math.abs(dis[1] - (1 - Math.SQRT1_2)) < 1e-5 && Math.abs(dis[0] - dis[1]) < 1e-7, `${dis}`);
  });

  it('the boundary loss gives zero gradient to timestamps inside their boundary', () => {
    const r = new Tensor(Float32Array.of(0.2, 3, 0.5, 4), [1, 4], undefined, 0, true);
    const b = t.tensor([[1, 1, 1, 5]]); // inside: 0, 2, 3; outside: 1
    t.backward(boundaryLoss(r, b));
    assert.deepEqual(r.grad!.toArray(), [0, 0.25, 0, 0]);
  });

  it('boundary prior is high on outliers and on the top of a slow rise, low on noise', () => {
    const L = 64;
    const x = new Float32Array(L);
    const rng = new Rng(3);
    for (let i = 0; i < L; i++) x[i] = 0.3 * rng.normal();
    x[10] = 8; // outlier
    for (let i = 40; i < L; i++) x[i] += (i - 40) * 0.4; // slow rise
    const prior = boundaryPrior(x, 1, L, 1);
    assert.ok(prior[10] > 0.6, `outlier prior ${prior[10]}`);
    assert.ok(prior[L - 1] > 0.6, `rise prior ${prior[L - 1]}`);
    const calm = Array.from(prior.subarray(20, 30));
    assert.ok(Math.max(...calm) < 0.3, `noise prior ${calm}`);
  });

  it('the level term marks a window lying wholly inside a sustained high segment; without it that window looks normal', () => {
    const L = 64;
    const x = new Float32Array(L);
    const rng = new Rng(4);
    for (let i = 0; i < L; i++) x[i] = 5 + 0.3 * rng.normal(); // 5 IQRs above the training median throughout
    const off = boundaryPrior(x, 1, L, 1);
    const on = boundaryPrior(x, 1, L, 1, 8, 2);
    const meanOff = off.reduce((a, b) => a + b, 0) / L;
    assert.ok(meanOff < 0.15, `window-relative prior inside the plateau ${meanOff}`);
    assert.ok(Math.min(...on) > 0.6, `level prior inside the plateau ${Math.min(...on)}`);
    const calm = new Float32Array(L).map(() => 0.3 * rng.normal()); // ordinary values: the level term stays silent
    const withLevel = boundaryPrior(calm, 1, L, 1, 8, 2);
    const without = boundaryPrior(calm, 1, L, 1);
    assert.ok(withLevel.every((p, i) => Math.abs(p - without[i]) < 1e-6), 'the level term moved an ordinary window');
  });

  it('injected negatives really contain the anomaly, and the selection picks injected timestamps', () => {
    const B = 4, L = 32, C = 3;
    const batch = t.zeros([B, L, C]);
    const { injected, select, spans } = injectNegatives(batch, 5, new Rng(1));
    const iv = injected.values();
    const sv = select.values();
    for (let b = 0; b < B; b++) {
      const [s, e] = spans[b];
      let inside = 0;
      let outside = 0;
      for (let tt = 0; tt < L; tt++) for (let c = 0; c < C; c++) {
        const v = Math.abs(iv[b * L * C + tt * C + c]);
        if (tt >= s && tt < e) inside += v; else outside += v;
      }
      assert.ok(inside > 0 && outside === 0, `window ${b}: anomaly inside its span only`);
      for (let k = 0; k < 5; k++) {
        const row = Array.from(sv.subarray((b * 5 + k) * L, (b * 5 + k + 1) * L));
        assert.equal(row.reduce((p, q) => p + q, 0), 1);
        const at = row.indexOf(1);
        assert.ok(at >= s && at < e, 'negative taken from the injected span');
      }
    }
    const w = new Float32Array(10);
    applyInjection(w, 10, 1, { kind: 'ramp', start: 5, end: 10, channels: [0], magnitude: 5 });
    assert.deepEqual(Array.from(w), [0, 0, 0, 0, 0, 1, 2, 3, 4, 5]);
  });

  it('the local view cannot see its own timestamp', () => {
    const m = neighbourMask(5, 1).toArray();
    assert.equal(m[0], -Infinity);
    assert.equal(m[1], 0);
    assert.equal(m[2], -Infinity);
  });

  it('rejects a window that is not a multiple of the patch sizes, and unknown params', () => {
    assert.throws(() => new CCLDetector({ windw: 10 } as never), /unknown parameter 'windw'/);
    assert.throws(() => new CCLDetector({ views: 'diagonal' as never }), /must be one of/);
  });
});

describe('CCL, published formulation', () => {
  it('centred sub-windows replicate the edges', () => {
    // B = 1, N = 4, C = 1: x = 0 1 2 3, hop 1
    const sub = centredSubWindows(Float32Array.of(0, 1, 2, 3), 1, 4, 1, 1);
    assert.deepEqual(Array.from(sub), [0, 0, 1, 0, 1, 2, 1, 2, 3, 2, 3, 3]);
  });

  it('cross discrepancy equals the hand-computed z-score of distance row sums', () => {
    // e on a line at 0, 1, 3: row sums 4, 3, 5 → mean 4, std √(2/3) → |s − 4| / std
    const e = t.tensor([[[0], [1], [3]]]);
    const sd = Math.sqrt(2 / 3);
    assertCloseArr(crossDiscrepancy(e).toArray(), [0, 1 / sd, 1 / sd], 1e-4);
    const rng = new Rng(5);
    gradCheck('cross discrepancy', (x) => crossDiscrepancy(x), [randT([2, 4, 3], rng)], { atol: 3e-2 });
  });

  it('softmax boundary: Σ_c softmax over time, large where values are high', () => {
    // one window, N = 2, C = 2: channel 0 = (0, ln 3) → (1/4, 3/4); channel 1 = (1, 1) → (1/2, 1/2)
    const b = softmaxBoundary(Float32Array.of(0, 1, Math.log(3), 1), 1, 2, 2).toArray();
    assertCloseArr(b, [0.75, 1.25], 1e-6);
  });

  it('discrepancy-boundary loss: d above b costs d, below costs b − d; gradient signs follow', () => {
    const d = new Tensor(Float32Array.of(2, 0.5, 1, 3), [2, 2], undefined, 0, true);
    const b = t.tensor([[1, 1], [2, 2]]);
    // window 0: 2 + (1 − 0.5) = 2.5; window 1: (2 − 1) + 3 = 4 → mean 3.25
    assert.ok(Math.abs(discrepancyBoundaryLoss(d, b).item() - 3.25) < 1e-6);
    t.backward(discrepancyBoundaryLoss(d, b));
    assert.deepEqual(d.grad!.toArray(), [0.5, -0.5, -0.5, 0.5]);
  });

  it('fits, and each non-overlapping scoring window is a softmax (sums to 1)', async () => {
    const rng = new Rng(9);
    const T = 192, C = 2;
    const v = new Float32Array(T * C);
    for (let i = 0; i < v.length; i++) v[i] = rng.normal();
    const det = new CCLDetector({ formulation: 'published', window: 16, stride: 8, scoreStride: 16, epochs: 1, d: 8, heads: 2, layers: 1, ffn: 8 });
    const series = { name: 'p', timestamps: Float64Array.from({ length: T }, (_, i) => 1.7e12 + i * 60_000), channels: ['a', 'b'], values: v };
    await det.fit(series);
    const s = det.score(series);
    assert.equal(s.length, T);
    // non-overlapping windows: the scores of each full window sum to 1
    const w = Array.from(s.subarray(T - 16, T)).reduce((a, c) => a + c, 0);
    assert.ok(Math.abs(w - 1) < 1e-4, `window sum ${w}`);
  });
});

function assertCloseArr(a: number[], e: number[], tol: number): void {
  assert.equal(a.length, e.length);
  a.forEach((x, i) => assert.ok(Math.abs(x - e[i]) < tol, `[${i}] ${x} vs ${e[i]}`));
}

describe('CCL, memory of normal representations (option)', () => {
  it('k-th nearest distance and the memory built from kept rows only', async () => {
    const { knnDistance, buildMemory } = await import('../../../src/detectors/ccl/memory.js');
    const mem = Float32Array.of(0, 0, 1, 0, 0, 2); // (3, 2): (0,0) (1,0) (0,2)
    const q = Float32Array.of(0, 0, 3, 0); // (2, 2)
    assertCloseArr(Array.from(knnDistance(q, mem, 2, 1)), [0, 2], 1e-5);
    assertCloseArr(Array.from(knnDistance(q, mem, 2, 2)), [1, 3], 1e-5);
    assertCloseArr(Array.from(knnDistance(q, mem, 2, 9)), [2, Math.sqrt(13)], 1e-5); // k beyond M: the farthest
    const kept = buildMemory(Float32Array.of(1, 1, 2, 2, 3, 3, 4, 4), 2, (i) => i % 2 === 1, 10, new Rng(1));
    assert.deepEqual(Array.from(kept).sort(), [2, 2, 4, 4]);
  });

  it('a detector with memoryWeight > 0 saves and restores its memory', async () => {
    const rng = new Rng(2);
    const T = 300, C = 2;
    const v = new Float32Array(T * C);
    for (let i = 0; i < v.length; i++) v[i] = Math.sin(i / 7) + 0.1 * rng.normal();
    const series = { name: 'm', timestamps: Float64Array.from({ length: T }, (_, i) => 1.7e12 + i * 60_000), channels: ['a', 'b'], values: v };
    const det = new CCLDetector({ window: 16, epochs: 1, d: 8, heads: 2, ffn: 8, patchSizes: [4], negatives: 2, memoryWeight: 0.5, memorySize: 64 });
    await det.fit(series);
    const { mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const path = join(mkdtempSync(join(tmpdir(), 'ccl-mem-')), 'm.model');
    det.save(path);
    const back = new CCLDetector({ window: 16, epochs: 1, d: 8, heads: 2, ffn: 8, patchSizes: [4], negatives: 2, memoryWeight: 0.5, memorySize: 64 }).loadFrom(path);
    assert.deepEqual(back.score(series), det.score(series));
  });
});
