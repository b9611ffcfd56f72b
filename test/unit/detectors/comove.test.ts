// The co-movement correction of CCL's residual (src/detectors/ccl/comove.ts): a GC pause explained by the heap's drop.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/tensor/index.js';
import { applyCoMove, deviations, fitCoMove, fitCoMoveModel, rowRms } from '../../../src/detectors/ccl/comove.js';

/** Rows of 3 channels (heap, gc, cpu): the heap drops by ~2 every 50 rows and gc jumps by 10·|drop| ± 20 %; a heap
 *  read badly (×2 for one row, then right again) every 800 rows explains nothing; small noise everywhere. */
function gcRows(N: number, rng: Rng): { d: Float32Array; dx: Float32Array } {
  const C = 3;
  const d = new Float32Array(N * C);
  const dx = new Float32Array(N * C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      d[n * C + c] = 0.1 * rng.normal();
      dx[n * C + c] = 0.05 * rng.normal();
    }
    if (n % 50 === 7) {
      const drop = 1.8 + 0.4 * rng.next();
      dx[n * C] = -drop;
      d[n * C + 1] += 10 * drop * (0.8 + 0.4 * rng.next());
    }
    if (n % 800 === 123) dx[n * C] = 4; // the bad read …
    if (n % 800 === 124) dx[n * C] = -4; // … and back: no GC
  }
  return { d, dx };
}

describe('co-movement', () => {
  it('fits the slope of the heap drops despite bad reads, and never explains a channel by its own step', () => {
    const { d, dx } = gcRows(8000, new Rng(3));
    const w = fitCoMove(d, dx, 3);
    const P = 4;
    assert.ok(Math.abs(w[1 * P + 0] + 10) < 2, `gc on Δheap: ${w[1 * P + 0]}`);
    for (let c = 0; c < 3; c++) assert.equal(w[c * P + c], 0);
    // least squares alone (no reweighting) is pulled towards 0 by the bad reads: the robust fit is what makes it work
    const ls = fitCoMove(d, dx, 3, { iters: 0 });
    assert.ok(Math.abs(ls[1 * P + 0] + 10) > 3, `least squares: ${ls[1 * P + 0]}`);
  });

  it('takes a GC pause out of the residual, leaves a lone jump of gc (no heap step) in it', () => {
    const { d, dx } = gcRows(8000, new Rng(5));
    for (const spread of [false, true]) {
      const m = fitCoMoveModel(d, dx, 3, spread);
      // a pause with its drop, and the same jump with no drop
      const pause = { d: Float32Array.of(0, 20, 0), dx: Float32Array.of(-2, 20, 0) };
      const lone = { d: Float32Array.of(0, 20, 0), dx: Float32Array.of(0, 20, 0) };
      const before = rowRms(pause.d, 3)[0];
      applyCoMove(m, pause.d, pause.dx);
      applyCoMove(m, lone.d, lone.dx);
      const [rp, rl] = [rowRms(pause.d, 3)[0], rowRms(lone.d, 3)[0]];
      assert.ok(rp < 0.25 * before, `spread ${spread}: pause ${rp} vs ${before}`);
      assert.ok(rl > 0.9 * before, `spread ${spread}: lone jump ${rl} vs ${before}`);
    }
  });

  it('deviations: signed x − x̂ and steps of the last K positions', () => {
    // B = 1, L = 3, C = 2, K = 2
    const x = Float32Array.of(1, 10, 2, 12, 4, 11);
    const xhat = Float32Array.of(2, 12, 3, 10); // positions 1, 2
    const { d, dx } = deviations(x, xhat, 1, 3, 2, 2);
    assert.deepEqual(Array.from(d), [0, 0, 1, 1]);
    assert.deepEqual(Array.from(dx), [1, 2, 2, -1]);
  });
});
