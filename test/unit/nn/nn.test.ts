// Layers, losses and the optimiser: values by hand, gradients by finite differences, and a tiny model that learns.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as t from '../../../src/tensor/index.js';
import { Rng, Tensor } from '../../../src/tensor/index.js';
import { Linear, LayerNorm, MultiHeadAttention, TransformerEncoderLayer, bandMask, attention, cosineSimilarity, infoNCE, mseLoss, sinusoidalPositions, Dropout } from '../../../src/nn/index.js';
import { Adam, clipGradNorm, warmupCosine } from '../../../src/optim/index.js';
import { gradCheck, randT, assertClose } from '../tensor/gradcheck.js';

for (const be of t.backendNames()) {
  describe(`nn + optim on backend '${be}'`, () => {
    it('Linear computes x·W + b and LayerNorm normalises rows', () => {
      t.setBackend(be);
      const rng = new Rng(1);
      const lin = new Linear(3, 2, rng);
      lin.weight.data.set([1, 2, 3, 4, 5, 6]);
      lin.bias!.data.set([0.5, -0.5]);
      assert.deepEqual(lin.forward(t.tensor([[1, 1, 1]])).toArray(), [9.5, 11.5]);
      const ln = new LayerNorm(4);
      const y = ln.forward(t.tensor([[1, 2, 3, 4]])).toArray();
      assert.ok(Math.abs(y.reduce((a, b) => a + b, 0)) < 1e-5);
      assert.equal(lin.numParameters(), 8);
    });

    it('attention: band mask keeps |i − j| ≤ w, rows sum to 1, gradients check', () => {
      t.setBackend(be);
      const rng = new Rng(2);
      const m = bandMask(5, 1);
      assert.deepEqual(Array.from(m.values().subarray(0, 5)), [0, 0, -Infinity, -Infinity, -Infinity]);
      const q = randT([2, 5, 4], rng);
      const { attn } = attention(q, q, q, m);
      const a = attn.values();
      for (let r = 0; r < 10; r++) {
        let s = 0;
        for (let j = 0; j < 5; j++) s += a[r * 5 + j];
        assert.ok(Math.abs(s - 1) < 1e-5);
      }
      assert.equal(a[3], 0, 'masked entry has zero weight');
      gradCheck('attention banded', (x, k, v) => attention(x, k, v, m).out, [q, randT([2, 5, 4], rng), randT([2, 5, 4], rng)]);
      const mha = new MultiHeadAttention(4, 2, rng);
      gradCheck('multi-head attention', (x) => mha.forward(x).out, [randT([1, 3, 4], rng)]);
      // the packed path (one q|k|v matmul, attentionQKV) = three projections and per-head attention, outputs and
      // every weight's gradient (with biases, and with a mask)
      for (const mask of [undefined, bandMask(5, 1)]) {
        const m2 = new MultiHeadAttention(8, 2, rng);
        const x = randT([2, 5, 8], rng);
        const w = randT([2, 5, 8], rng);
        const grads = (out: t.Tensor): Float32Array[] => {
          for (const p of m2.parameters()) p.grad = null;
          t.backward(t.sum(t.mul(out, w)));
          return m2.parameters().map((p) => new Float32Array(p.grad!.values()));
        };
        const packed = m2.forward(x, mask).out;
        const gp = grads(packed);
        const split = (y: t.Tensor): t.Tensor => t.permute(t.reshape(y, [2, 5, 2, 4]), [0, 2, 1, 3]);
        const ref = attention(split(m2.wq.forward(x)), split(m2.wk.forward(x)), split(m2.wv.forward(x)), mask).out;
        const composed = m2.wo.forward(t.reshape(t.permute(ref, [0, 2, 1, 3]), [2, 5, 8]));
        assertClose(packed.values(), composed.values(), 1e-5, 'packed MHA output');
        grads(composed).forEach((g, i) => assertClose(gp[i], g, 1e-4, `packed MHA gradient ${i}`));
      }
      const layer = new TransformerEncoderLayer(4, 2, rng, { ffn: 6 });
      gradCheck('encoder layer', (x) => layer.forward(x).out, [randT([1, 3, 4], rng)], { atol: 3e-2 });
      assert.throws(() => new MultiHeadAttention(6, 4, rng), /not divisible/);
    });

    it('an encoder layer asked for its last m positions gives the full layer\'s last m (with a mask, and under noGrad)', () => {
      t.setBackend(be);
      const rng = new Rng(4);
      const layer = new TransformerEncoderLayer(8, 2, rng, { ffn: 12, activation: 'gelu' });
      const x = randT([3, 6, 8], rng);
      for (const mask of [undefined, bandMask(6, 1)]) {
        const full = layer.forward(x, mask).out.values();
        for (const m of [1, 2, 6]) {
          const tail = t.noGrad(() => layer.forward(x, mask, { map: false, queries: m }).out);
          assert.deepEqual(tail.shape, [3, m, 8]);
          const want = new Float32Array(3 * m * 8);
          for (let b = 0; b < 3; b++) want.set(full.subarray((b * 6 + 6 - m) * 8, (b + 1) * 6 * 8), b * m * 8);
          assertClose(tail.values(), want, 1e-5, `last ${m} of 6${mask ? ', banded' : ''}`);
        }
      }
      gradCheck('encoder layer, last 2 positions', (y) => layer.forward(y, undefined, { queries: 2 }).out, [randT([1, 4, 8], rng)], { atol: 3e-2 });
      assert.throws(() => layer.forward(x, undefined, { queries: 0 }), /queries = 0 outside 1\.\.6/);
      assert.throws(() => layer.forward(x, undefined, { queries: 7 }), /outside 1\.\.6/);
    });

    it('cosine similarity, InfoNCE and MSE on known values', () => {
      t.setBackend(be);
      assertClose(cosineSimilarity(t.tensor([[1, 0], [1, 1]]), t.tensor([[0, 1], [2, 2]])).values(), [0, 1], 1e-5, 'cos');
      // logits [[s_pos, s_neg]] with τ = 1: −log(e^2 / (e^2 + e^0))
      assertClose([infoNCE(t.tensor([[2, 0]]), 1).item()], [-Math.log(Math.exp(2) / (Math.exp(2) + 1))], 1e-5, 'infoNCE');
      assertClose([mseLoss(t.tensor([1, 2]), t.tensor([0, 0])).item()], [2.5], 1e-6, 'mse');
      gradCheck('infoNCE', (l) => infoNCE(l, 0.5), [randT([3, 4], new Rng(3))]);
      gradCheck('cosine', (a, b) => cosineSimilarity(a, b), [randT([3, 4], new Rng(4)), randT([3, 4], new Rng(5))]);
    });

    it('Adam: the first step moves each weight by lr against the sign of its gradient', () => {
      t.setBackend(be);
      const p = new Tensor(Float32Array.of(1, -1, 0.5), [3], undefined, 0, true);
      const opt = new Adam([p], { lr: 0.1 });
      t.backward(t.sum(t.mul(p, t.tensor([2, -3, 0.001]))));
      opt.step();
      assertClose(p.values(), [0.9, -0.9, 0.4], 1e-4, 'adam');
      p.grad = t.tensor([3, 4, 0]);
      assert.equal(clipGradNorm([p], 1), 5);
      assertClose(p.grad.values(), [0.6, 0.8, 0], 1e-6, 'clipped');
      const s = warmupCosine(1, 10, 110);
      assert.equal(s(0), 0.1);
      assert.equal(s(10), 1);
      assert.ok(Math.abs(s(110)) < 1e-12);
    });

    it('dropout zeroes about p of entries in training only, positional encodings are bounded', () => {
      t.setBackend(be);
      const d = new Dropout(0.5, new Rng(9));
      const y = d.forward(t.ones([1000])).toArray();
      const zeros = y.filter((v) => v === 0).length;
      assert.ok(zeros > 400 && zeros < 600, `zeros ${zeros}`);
      assert.ok(y.every((v) => v === 0 || v === 2));
      d.eval();
      assert.deepEqual(d.forward(t.ones([3])).toArray(), [1, 1, 1]);
      const pe = sinusoidalPositions(10, 8).toArray();
      assert.ok(pe.every((v) => Math.abs(v) <= 1));
    });

    it('a tiny transformer learns a toy task: predict the running mean of its window (loss < 0.01)', () => {
      t.setBackend(be);
      const rng = new Rng(11);
      const emb = new Linear(1, 8, rng);
      const layer = new TransformerEncoderLayer(8, 2, rng, { ffn: 16 });
      const head = new Linear(8, 1, rng);
      const params = [...emb.parameters(), ...layer.parameters(), ...head.parameters()];
      const opt = new Adam(params, { lr: 0.01 });
      const B = 16;
      const T = 6;
      const batch = (): { x: Tensor; y: Tensor } => {
        const x = randT([B, T, 1], rng);
        const xv = x.values();
        const y = new Float32Array(B);
        for (let b = 0; b < B; b++) for (let i = 0; i < T; i++) y[b] += xv[b * T + i] / T;
        return { x, y: new Tensor(y, [B, 1]) };
      };
      const lossOf = (x: Tensor, y: Tensor): Tensor => {
        const h = layer.forward(emb.forward(x)).out; // (B, T, 8)
        return mseLoss(head.forward(t.mean(h, 1)), y); // (B, 1)
      };
      let last = Infinity;
      for (let step = 0; step < 300; step++) {
        const { x, y } = batch();
        opt.zeroGrad();
        const loss = lossOf(x, y);
        t.backward(loss);
        opt.step();
        last = loss.item();
      }
      const { x, y } = batch();
      const evalLoss = t.noGrad(() => lossOf(x, y).item());
      assert.ok(evalLoss < 0.01, `eval loss ${evalLoss} (last train ${last})`);
      // weights survive a state-dict round trip
      const sd = layer.stateDict();
      const fresh = new TransformerEncoderLayer(8, 2, new Rng(99), { ffn: 16 });
      fresh.loadStateDict(sd);
      const hx = t.noGrad(() => emb.forward(x));
      const a = t.noGrad(() => layer.forward(hx).out.toArray());
      const b2 = t.noGrad(() => fresh.forward(hx).out.toArray());
      assert.deepEqual(a, b2);
      assert.throws(() => new Linear(2, 2, rng).loadStateDict(sd), /do not match the architecture/);
    });
  });
}
