// The published CCL encoder layer: rotary embedding keeps norms and makes q·k depend on the offset only, SiLU and the
// gated GEGLU layer check against finite differences.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as t from '../../../src/tensor/index.js';
import { Rng } from '../../../src/tensor/index.js';
import { GatedEncoderLayer, applyRotary, rotaryTables, silu } from '../../../src/nn/gated.js';
import { gradCheck, randT, assertClose } from '../tensor/gradcheck.js';

for (const be of t.backendNames()) {
  describe(`gated rotary encoder layer on backend '${be}'`, () => {
    it('rotary embedding keeps row norms and makes q·k a function of the position offset', () => {
      t.setBackend(be);
      const T = 6, dh = 4;
      const { cos, sin } = rotaryTables(T, dh);
      // the same vector at every position
      const v = [0.3, -1.2, 0.8, 0.5];
      const x = t.tensor(Array.from({ length: T }, () => v)); // (T, dh)
      const r = applyRotary(x, cos, sin).toArray();
      const norm = (i: number): number => Math.hypot(...r.slice(i * dh, (i + 1) * dh));
      for (let i = 0; i < T; i++) assert.ok(Math.abs(norm(i) - Math.hypot(...v)) < 1e-5);
      const dot = (i: number, j: number): number => r.slice(i * dh, (i + 1) * dh).reduce((s, a, k) => s + a * r[j * dh + k], 0);
      assert.ok(Math.abs(dot(0, 2) - dot(3, 5)) < 1e-5, 'same offset, same product');
      assert.ok(Math.abs(dot(0, 1) - dot(0, 3)) > 1e-3, 'different offsets differ');
      assert.throws(() => rotaryTables(4, 3), /even/);
    });

    it('silu on known values; gradients of rotary, silu and the whole layer check', () => {
      t.setBackend(be);
      assertClose(silu(t.tensor([0, 1, -2])).toArray(), [0, 1 / (1 + Math.exp(-1)), -2 / (1 + Math.exp(2))], 1e-6, 'silu');
      const rng = new Rng(4);
      const { cos, sin } = rotaryTables(3, 4);
      gradCheck('rotary', (x) => applyRotary(x, cos, sin), [randT([2, 3, 4], rng)]);
      gradCheck('silu', (x) => silu(x), [randT([5], rng, -3, 3)]);
      const layer = new GatedEncoderLayer(4, 2, rng, { ffn: 6 });
      gradCheck('gated encoder layer', (x) => layer.forward(x), [randT([1, 3, 4], rng)], { atol: 3e-2 });
      const names = layer.namedParameters().map(([n]) => n);
      assert.ok(!names.includes('wq.bias') && names.includes('wg.bias'), `bias-free q/k/v, biased gate: ${names}`);
    });
  });
}
