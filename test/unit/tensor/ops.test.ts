// Every primitive op: forward against plain loops and backward against finite differences, on every backend.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as t from '../../../src/tensor/index.js';
import { Rng, Tensor, ShapeError } from '../../../src/tensor/index.js';
import { gradCheck, randT, awayFromZero, assertClose } from './gradcheck.js';

for (const be of t.backendNames()) {
  describe(`ops on backend '${be}'`, () => {
    const rng = new Rng(42);
    const use = (): void => t.setBackend(be);

    it('unary ops: forward matches Math, backward matches finite differences', () => {
      use();
      const x = randT([3, 4], rng);
      const pos = randT([3, 4], rng, 0.3, 2);
      const nz = awayFromZero([3, 4], rng);
      const cases: [string, (a: Tensor) => Tensor, Tensor, (v: number) => number][] = [
        ['neg', t.neg, x, (v) => -v],
        ['exp', t.exp, x, Math.exp],
        ['log', t.log, pos, Math.log],
        ['sqrt', t.sqrt, pos, Math.sqrt],
        ['relu', t.relu, nz, (v) => Math.max(v, 0)],
        ['gelu', t.gelu, x, (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))],
        ['tanh', t.tanh, x, Math.tanh],
        ['sigmoid', t.sigmoid, x, (v) => 1 / (1 + Math.exp(-v))],
        ['abs', t.abs, nz, Math.abs],
        ['recip', t.recip, nz, (v) => 1 / v],
      ];
      for (const [name, f, input, ref] of cases) {
        assertClose(f(input).values(), Array.from(input.values(), ref), 1e-5, name);
        gradCheck(name, f, [input]);
      }
    });

    it('binary ops broadcast like NumPy, forward and backward', () => {
      use();
      const a = randT([2, 3, 4], rng);
      const b = randT([3, 1], rng);
      const ref = (f: (p: number, q: number) => number): number[] => {
        const out: number[] = [];
        for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) out.push(f(a.data[i * 12 + j * 4 + k], b.data[j]));
        return out;
      };
      assertClose(t.add(a, b).values(), ref((p, q) => p + q), 1e-6, 'add');
      assertClose(t.mul(a, b).values(), ref((p, q) => p * q), 1e-6, 'mul');
      assert.deepEqual(t.add(a, b).shape, [2, 3, 4]);
      gradCheck('add', t.add, [a, b]);
      // one tensor as both inputs: its gradient is the sum of both (a rule returning the same gradient object for two inputs
      // must not be taken for one that accumulated in place); and a sum over a fan-out with a matmul (which does add in place)
      gradCheck('add(x, x)', (p) => t.add(p, p), [a]);
      // relu(a @ b) with the clamp fused into the GEMM: bitwise the two-op result, batched and broadcast, and its gradient
      const xm = randT([2, 5, 4], rng), wm = randT([4, 6], rng), wb = randT([2, 4, 6], rng);
      assert.deepEqual(t.matmulRelu(xm, wm).values(), t.relu(t.matmul(xm, wm)).values());
      assert.deepEqual(t.matmulRelu(xm, wb).values(), t.relu(t.matmul(xm, wb)).values());
      gradCheck('matmulRelu', t.matmulRelu, [xm, wm]);
      gradCheck('matmulRelu (batched b)', t.matmulRelu, [xm, wb]);
      // x @ w + bias (and relu) with both in the GEMM's stores: bitwise the separate ops, gradients for x, w and bias
      // (own RNG: the later checks' inputs stay as they were; a bias that keeps every pre-activation clear of the ReLU's
      // kink, where a finite difference would straddle it)
      const lrng = new Rng(77);
      const pre = [...t.matmul(xm, wm).values(), ...t.matmul(xm, wb).values()];
      const bm = randT([6], lrng);
      for (let tries = 0; tries < 200 && pre.some((v, i) => Math.abs(v + bm.data[i % 6]) < 0.03); tries++) bm.data.set(randT([6], lrng).data);
      assert.ok(!pre.some((v, i) => Math.abs(v + bm.data[i % 6]) < 0.03), 'a bias clear of the kink');
      assert.deepEqual(t.linear(xm, wm, bm).values(), t.add(t.matmul(xm, wm), bm).values());
      assert.deepEqual(t.linear(xm, wm, bm, true).values(), t.relu(t.add(t.matmul(xm, wm), bm)).values());
      assert.deepEqual(t.linear(xm, wb, bm, true).values(), t.relu(t.add(t.matmul(xm, wb), bm)).values());
      gradCheck('linear', (p, q, r) => t.linear(p, q, r), [xm, wm, bm]);
      gradCheck('linear + relu', (p, q, r) => t.linear(p, q, r, true), [xm, wm, bm]);
      gradCheck('linear + relu (batched w)', (p, q, r) => t.linear(p, q, r, true), [xm, wb, bm]);
      gradCheck('linear, a (1, 6) bias (separate ops)', (p, q, r) => t.linear(p, q, r, true), [xm, wm, new Tensor(Float32Array.from(bm.data), [1, 6])]);
      gradCheck('x·W + x·W + x', (p, w) => t.add(t.add(t.matmul(p, w), t.matmul(p, w)), t.add(p, p)), [randT([3, 4], rng), randT([4, 4], rng)]);
      gradCheck('sub', t.sub, [a, b]);
      gradCheck('mul', t.mul, [a, b]);
      gradCheck('div', t.div, [a, awayFromZero([3, 1], rng)]);
      gradCheck('maximum', t.maximum, [a, b]);
      gradCheck('pow', t.pow, [randT([2, 3], rng, 0.5, 2), randT([3], rng, 0.5, 2)]);
      gradCheck('scalar rhs', (p) => t.mul(t.add(p, 2), 3), [a]);
    });

    it('where and compare', () => {
      use();
      const a = randT([4, 5], rng);
      const b = randT([5], rng);
      const c = t.compare('gt', a, 0);
      const w = t.where(c, a, b);
      const wv = w.values();
      for (let i = 0; i < 20; i++) assert.equal(wv[i], a.data[i] > 0 ? a.data[i] : b.data[i % 5]);
      gradCheck('where', (p, q) => t.where(c, p, q), [a, b]);
      assert.deepEqual(Array.from(t.compare('le', t.tensor([1, 2, 3]), 2).values()), [1, 1, 0]);
    });

    it('reductions sum / max / mean over axes, with keepdim', () => {
      use();
      const x = randT([2, 3, 4], rng);
      const s1 = t.sum(x, 1).values();
      for (let i = 0; i < 2; i++) {
        for (let k = 0; k < 4; k++) {
          let s = 0;
          for (let j = 0; j < 3; j++) s += x.data[i * 12 + j * 4 + k];
          assert.ok(Math.abs(s1[i * 4 + k] - s) < 1e-5);
        }
      }
      assert.deepEqual(t.sum(x, [0, 2], true).shape, [1, 3, 1]);
      assert.ok(Math.abs(t.sum(x).item() - x.toArray().reduce((p, q) => p + q, 0)) < 1e-4);
      assert.equal(t.max(x).item(), Math.max(...x.toArray()));
      gradCheck('sum axis', (p) => t.sum(p, 1), [x]);
      gradCheck('sum all keepdim', (p) => t.sum(p, [0, 2], true), [x]);
      gradCheck('mean', (p) => t.mean(p, -1), [x]);
      gradCheck('max', (p) => t.max(p, 2), [x]);
      // ties share the gradient
      const tie = new Tensor(Float32Array.of(1, 3, 3), [3], undefined, 0, true);
      t.backward(t.max(tie));
      assert.deepEqual(tie.grad!.toArray(), [0, 0.5, 0.5]);
    });

    it('movement ops are views with correct values and gradients', () => {
      use();
      const x = randT([2, 3, 4], rng);
      const p = t.permute(x, [2, 0, 1]);
      assert.deepEqual(p.shape, [4, 2, 3]);
      assert.equal(p.isContiguous, false);
      assert.equal(p.values()[1 * 6 + 1 * 3 + 2], x.data[1 * 12 + 2 * 4 + 1]);
      assert.equal(p.data, x.data, 'permute shares storage');
      gradCheck('permute', (q) => t.permute(q, [2, 0, 1]), [x]);
      gradCheck('reshape of a view', (q) => t.reshape(t.transpose(q, 0, 2), [4, 6]), [x]);
      gradCheck('expand', (q) => t.expand(q, [2, 3, 4]), [randT([3, 1], rng)]);
      gradCheck('slice', (q) => t.slice(q, 1, 1, 3), [x]);
      gradCheck('pad', (q) => t.pad(q, 0, 1, 2), [x]);
      gradCheck('concat', (q, r) => t.concat([q, r], 1), [x, randT([2, 2, 4], rng)]);
      gradCheck('contiguous', (q) => t.contiguous(t.transpose(q)), [x]);
      assert.deepEqual(t.slice(t.arange(10).reshape([2, 5]), 1, 2, 4).toArray(), [2, 3, 7, 8]);
      assert.deepEqual(t.reshape(x, [-1, 4]).shape, [6, 4]);
    });

    it('matmul: 2-d, batched, broadcast, transposed views, against a plain loop', () => {
      use();
      const naive = (a: Tensor, b: Tensor): number[] => {
        const [M, K] = a.shape.slice(-2);
        const N = b.shape[b.ndim - 1];
        const av = a.values();
        const bv = b.values();
        const out: number[] = [];
        for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += av[i * K + k] * bv[k * N + j];
          out.push(s);
        }
        return out;
      };
      const a = randT([5, 7], rng);
      const b = randT([7, 3], rng);
      assertClose(t.matmul(a, b).values(), naive(a, b), 1e-5, 'mm');
      const aT = t.transpose(randT([7, 5], rng));
      const bT = t.transpose(randT([3, 7], rng));
      assertClose(t.matmul(aT, bT).values(), naive(aT, bT), 1e-5, 'mm of transposed views');
      gradCheck('mm', t.matmul, [a, b]);
      gradCheck('mm transposed', (p, q) => t.matmul(t.transpose(p), t.transpose(q)), [randT([7, 5], rng), randT([3, 7], rng)]);
      gradCheck('bmm', t.matmul, [randT([2, 3, 4], rng), randT([2, 4, 5], rng)]);
      gradCheck('bmm broadcast weight', t.matmul, [randT([2, 3, 4], rng), randT([4, 5], rng)]);
      gradCheck('bmm broadcast lhs', t.matmul, [randT([3, 4], rng), randT([2, 4, 5], rng)]);
      gradCheck('bmm partial broadcast', t.matmul, [randT([2, 1, 3, 4], rng), randT([3, 4, 2], rng)]);
      const x1n = t.matmul(randT([1, 9], rng), randT([9, 1], rng));
      assert.deepEqual(x1n.shape, [1, 1]);
      assert.throws(() => t.matmul(randT([2, 3], rng), randT([4, 2], rng)), (e: Error) => e instanceof ShapeError && /inner dimensions/.test(e.message));
    });

    it('softmax, log-softmax and layer norm', () => {
      use();
      const x = randT([3, 6], rng, -3, 3);
      const sm = t.softmax(x).values();
      for (let r = 0; r < 3; r++) {
        const row = Array.from(x.data.subarray(r * 6, r * 6 + 6));
        const m = Math.max(...row);
        const e = row.map((v) => Math.exp(v - m));
        const z = e.reduce((p, q) => p + q, 0);
        assertClose(sm.subarray(r * 6, r * 6 + 6), e.map((v) => v / z), 1e-6, 'softmax');
      }
      gradCheck('softmax', (p) => t.softmax(p), [x]);
      gradCheck('softmax axis 0', (p) => t.softmax(p, 0), [x]);
      gradCheck('logSoftmax', (p) => t.logSoftmax(p), [x]);
      const ln = t.layerNorm(x).values();
      for (let r = 0; r < 3; r++) {
        const row = Array.from(x.data.subarray(r * 6, r * 6 + 6));
        const m = row.reduce((p, q) => p + q, 0) / 6;
        const v = row.reduce((p, q) => p + (q - m) ** 2, 0) / 6;
        assertClose(ln.subarray(r * 6, r * 6 + 6), row.map((q) => (q - m) / Math.sqrt(v + 1e-5)), 1e-5, 'layerNorm');
      }
      gradCheck('layerNorm', (p) => t.layerNorm(p), [x]);
      // layerNorm(x + r) in one pass: bitwise the two-op result, a gradient for each input (also when r is x itself, or a
      // non-contiguous view), and a broadcasting residual takes the two-op path
      const res = randT([3, 6], new Rng(12));
      assert.deepEqual(t.addLayerNorm(x, res).values(), t.layerNorm(t.add(x, res)).values());
      gradCheck('addLayerNorm', (p, q) => t.addLayerNorm(p, q), [x, res]);
      gradCheck('addLayerNorm (same input twice)', (p) => t.addLayerNorm(p, p), [x]);
      gradCheck('addLayerNorm (transposed residual)', (p, q) => t.addLayerNorm(p, t.transpose(q)), [x, randT([6, 3], new Rng(13))]);
      gradCheck('addLayerNorm (broadcast residual)', (p, q) => t.addLayerNorm(p, q), [x, randT([6], new Rng(14))]);
      // masked entries (−∞) get probability 0
      const masked = t.softmax(t.tensor([[0, -Infinity, 0]])).toArray();
      assert.deepEqual(masked, [0.5, 0, 0.5]);
    });

    it('NaN and Infinity propagate instead of being hidden', () => {
      use();
      const x = t.tensor([1, NaN, Infinity, -1]);
      assert.ok(Number.isNaN(t.exp(x).toArray()[1]));
      assert.equal(t.exp(x).toArray()[2], Infinity);
      assert.ok(Number.isNaN(t.relu(x).toArray()[1]));
      assert.ok(Number.isNaN(t.sum(x).item()));
      assert.ok(Number.isNaN(t.max(x).item()));
      const m = t.matmul(t.tensor([[1, NaN]]), t.tensor([[1], [1]]));
      assert.ok(Number.isNaN(m.item()));
      assert.ok(Number.isNaN(t.softmax(t.tensor([[0, NaN]])).toArray()[0]));
    });

    it('bad shapes give clear errors', () => {
      use();
      assert.throws(() => t.add(t.zeros([2, 3]), t.zeros([4])), /add: shapes \(2, 3\) and \(4\) do not broadcast/);
      assert.throws(() => t.reshape(t.zeros([2, 3]), [4, 2]), /reshape: cannot view \(2, 3\)/);
      assert.throws(() => t.permute(t.zeros([2, 3]), [0, 0]), /not a permutation/);
      assert.throws(() => t.slice(t.zeros([2, 3]), 1, 2, 5), /out of range/);
      assert.throws(() => t.sum(t.zeros([2, 3]), 2), /axis 2 out of range/);
      assert.throws(() => t.concat([t.zeros([2, 3]), t.zeros([3, 3])], 1), /differ outside axis/);
      assert.throws(() => t.backward(t.zeros([2], true).mul(2)), /pass a seed gradient/);
    });
  });
}

for (const be of t.backendNames()) {
  describe(`blockwise broadcasting on backend '${be}'`, () => {
    it('an operand repeating over leading axes (≥ 1024 per block) gives the same values as the materialised broadcast', () => {
      t.setBackend(be);
      const rng = new Rng(11);
      const big = randT([3, 40, 50], rng); // block of the small operand: 40 × 50 = 2000
      const small = randT([40, 50], rng, 0.5, 2);
      const small3 = randT([1, 40, 50], rng, 0.5, 2);
      const expandTo = (s: Tensor): Float32Array => t.contiguous(t.expand(s, [3, 40, 50])).values();
      const bv = big.values();
      const ops = { add: (x: number, y: number) => x + y, sub: (x: number, y: number) => x - y, mul: (x: number, y: number) => x * y, div: (x: number, y: number) => x / y, maximum: (x: number, y: number) => Math.max(x, y) };
      for (const [name, f] of Object.entries(ops)) {
        const op = (t as unknown as Record<string, (a: Tensor, b: Tensor) => Tensor>)[name];
        for (const s of [small, small3]) {
          const sv = expandTo(s);
          assertClose(op(big, s).values(), Array.from(bv, (v, i) => f(v, sv[i])), 1e-6, `${name}(big, small)`);
          assertClose(op(s, big).values(), Array.from(bv, (v, i) => f(sv[i], v)), 1e-6, `${name}(small, big)`);
        }
      }
      gradCheck('blockwise add', (a, b) => t.mul(t.add(a, b), a), [randT([2, 32, 33], rng), randT([32, 33], rng)]);
    });
  });
}
