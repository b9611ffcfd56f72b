// The fused attention op: on the native backend one kernel (strided q/k/v, padded register tiles, (B, T, H, dh)
// output); on reference the matmul → softmax → matmul composition. The two must agree on odd shapes, masks, strided
// views and NaN; the fused op's gradient rule is checked against finite differences.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as t from '../../../src/tensor/index.js';
import { bandMask } from '../../../src/nn/index.js';
import { gradCheck } from './gradcheck.js';

const randT = (shape: number[], rng: t.Rng): t.Tensor => t.randn(shape, rng);
/** q, k, v as the head-split views MultiHeadAttention makes: (B, T, H·dh) → (B, H, T, dh) permuted, not copied. */
function heads(B: number, T: number, S: number, H: number, dh: number, rng: t.Rng): t.Tensor[] {
  const split = (x: t.Tensor, R: number): t.Tensor => t.permute(t.reshape(x, [B, R, H, dh]), [0, 2, 1, 3]);
  return [split(randT([B, T, H * dh], rng), T), split(randT([B, S, H * dh], rng), S), split(randT([B, S, H * dh], rng), S)];
}
function run(backend: string, f: () => { out: t.Tensor; attn: t.Tensor }): { out: Float32Array; attn: Float32Array } {
  const prev = t.backend().name;
  t.setBackend(backend);
  try {
    const r = t.noGrad(f);
    return { out: new Float32Array(r.out.values()), attn: new Float32Array(r.attn.values()) };
  } finally {
    t.setBackend(prev);
  }
}
function close(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(b[i])) assert.ok(Number.isNaN(a[i]), `${what}[${i}]: ${a[i]} vs NaN`);
    else assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 + 1e-4 * Math.abs(b[i]), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
}

describe('fused attention', () => {
  const native = t.backendNames().includes('native');
  it('native kernel = reference composition on odd shapes, masks and strided views', { skip: !native && 'native backend not built' }, () => {
    const rng = new t.Rng(11);
    for (const [B, T, S, H, dh] of [[2, 7, 13, 3, 5], [1, 1, 1, 1, 1], [3, 17, 17, 2, 16], [2, 33, 20, 4, 8], [1, 100, 100, 4, 32]]) {
      const [q, k, v] = heads(B, T, S, H, dh, rng);
      const masks = [undefined, T === S ? bandMask(T, 2) : undefined, randT([T, S], rng)];
      for (const mask of masks) {
        const scale = 1 / Math.sqrt(dh);
        const a = run('native', () => t.fusedAttention(q, k, v, scale, mask));
        const b = run('reference', () => t.fusedAttention(q, k, v, scale, mask));
        close(a.out, b.out, `out ${[B, T, S, H, dh]}`);
        close(a.attn, b.attn, `attn ${[B, T, S, H, dh]}`);
      }
      // contiguous (B, H, T, dh) operands too
      const [qc, kc, vc] = [q, k, v].map((x) => t.contiguous(x));
      close(run('native', () => t.fusedAttention(qc, kc, vc, 0.5)).out, run('reference', () => t.fusedAttention(qc, kc, vc, 0.5)).out, 'contiguous');
    }
  });

  it('a NaN in a key propagates as in the composition (masked or not, its score is NaN)', { skip: !native && 'native backend not built' }, () => {
    const rng = new t.Rng(5);
    const [q, k0, v] = heads(1, 6, 6, 1, 4, rng);
    const kd = new Float32Array(k0.values());
    kd[3 * 4 + 1] = NaN; // key 3
    const k = new t.Tensor(kd, [1, 1, 6, 4]);
    const mask = bandMask(6, 1); // −∞ + NaN is NaN: every row's score for key 3 is NaN, as in matmul → add → softmax
    const a = run('native', () => t.fusedAttention(q, k, v, 0.5, mask));
    const b = run('reference', () => t.fusedAttention(q, k, v, 0.5, mask));
    close(a.out, b.out, 'out');
    assert.ok(Number.isNaN(a.out[2 * 4]), 'a row that sees the key is NaN');
  });

  for (const name of t.backendNames()) {
    it(`gradients of q, k and v check on '${name}' (with and without a mask)`, () => {
      const prev = t.backend().name;
      t.setBackend(name);
      try {
        const rng = new t.Rng(2);
        const [q, k, v] = [randT([2, 2, 5, 3], rng), randT([2, 2, 5, 3], rng), randT([2, 2, 5, 3], rng)];
        gradCheck('attention', (a, b, c) => t.fusedAttention(a, b, c, 0.6).out, [q, k, v]);
        gradCheck('attention banded', (a, b, c) => t.fusedAttention(a, b, c, 0.6, bandMask(5, 1)).out, [q, k, v]);
        // through the head-split views, as in MultiHeadAttention
        gradCheck('attention strided', (x) => {
          const s = t.permute(t.reshape(x, [1, 4, 2, 3]), [0, 2, 1, 3]);
          return t.fusedAttention(s, s, s, 0.6).out;
        }, [randT([1, 4, 6], rng)]);
      } finally {
        t.setBackend(prev);
      }
    });
  }

  it('native fused backward = reference gradients (odd shapes, T ≠ S, masks, strided views, some inputs frozen)', { skip: !native && 'native backend not built' }, () => {
    const rng = new t.Rng(21);
    const grads = (backend: string, q: t.Tensor, k: t.Tensor, v: t.Tensor, mask: t.Tensor | undefined, w: t.Tensor): (Float32Array | null)[] => {
      const prev = t.backend().name;
      t.setBackend(backend);
      try {
        const leaves = [q, k, v].map((x) => (x.requiresGrad ? t.tensor(x.values(), [...x.shape], true) : x.detach()));
        const split = leaves.map((x) => (x.ndim === 3 ? t.permute(t.reshape(x, [x.shape[0], x.shape[1], 2, -1]), [0, 2, 1, 3]) : x));
        const { out } = t.fusedAttention(split[0], split[1], split[2], 0.37, mask);
        t.backward(t.sum(t.mul(out, w))); // a weighted sum: every output element has its own gradient
        return leaves.map((x) => (x.grad ? new Float32Array(x.grad.values()) : null));
      } finally {
        t.setBackend(prev);
      }
    };
    for (const [B, T, S, H, dh, viaViews] of [[2, 7, 13, 2, 5, 1], [1, 1, 1, 2, 1, 1], [3, 17, 17, 2, 16, 0], [2, 33, 20, 2, 40, 1], [1, 100, 100, 2, 32, 1]]) {
      const mk = (R: number): t.Tensor => (viaViews ? t.randn([B, R, 2 * dh], rng, 1, true) : t.randn([B, H, R, dh], rng, 1, true));
      const [q, k, v] = [mk(T), mk(S), mk(S)];
      const w = t.randn([B, 2, T, dh], rng);
      for (const mask of [undefined, t.randn([T, S], rng)]) {
        for (const frozen of [-1, 0, 1, 2]) {
          const ins = [q, k, v].map((x, i) => (i === frozen ? x.detach() : x));
          const a = grads('native', ins[0], ins[1], ins[2], mask, w);
          const b = grads('reference', ins[0], ins[1], ins[2], mask, w);
          a.forEach((g, i) => {
            if (i === frozen) assert.equal(g, null);
            else close(g!, b[i]!, `d${'qkv'[i]} ${[B, T, S, H, dh]} frozen ${frozen}`);
          });
        }
      }
    }
  });

  it('attentionQKV (packed q|k|v): native = reference, forward and the one packed gradient', { skip: !native && 'native backend not built' }, () => {
    const rng = new t.Rng(31);
    for (const [B, T, H, dh] of [[2, 7, 3, 5], [1, 1, 1, 1], [2, 100, 4, 32], [3, 9, 2, 16]]) {
      const qkv = t.randn([B, T, 3 * H * dh], rng, 1, true);
      const w = t.randn([B, H, T, dh], rng);
      for (const mask of [undefined, bandMask(T, 2)]) {
        const run2 = (backend: string): Float32Array[] => {
          const prev = t.backend().name;
          t.setBackend(backend);
          try {
            const leaf = t.tensor(qkv.values(), [...qkv.shape], true);
            const { out, attn } = t.attentionQKV(leaf, H, 0.3, mask);
            t.backward(t.sum(t.mul(out, w)));
            return [out.values(), attn.values(), leaf.grad!.values()].map((v) => new Float32Array(v));
          } finally {
            t.setBackend(prev);
          }
        };
        const a = run2('native');
        const b = run2('reference');
        ['out', 'attn', 'dqkv'].forEach((what, i) => close(a[i], b[i], `${what} ${[B, T, H, dh]}`));
        // inference without the map: bitwise the same output, no map; with a gradient recorded the map is still made
        const full = t.noGrad(() => t.attentionQKV(qkv, H, 0.3, mask));
        const lean = t.noGrad(() => t.attentionQKV(qkv, H, 0.3, mask, false));
        assert.equal(lean.attn, null);
        assert.deepEqual(lean.out.values(), full.out.values());
        assert.ok(t.attentionQKV(t.tensor(qkv.values(), [...qkv.shape], true), H, 0.3, mask, false).attn);
      }
    }
  });

  for (const name of t.backendNames()) {
    it(`attentionQKV gradient checks on '${name}' (a non-contiguous packed input too)`, () => {
      const prev = t.backend().name;
      t.setBackend(name);
      try {
        const rng = new t.Rng(4);
        gradCheck('attentionQKV', (x) => t.attentionQKV(x, 2, 0.6).out, [randT([2, 4, 12], rng)]);
        gradCheck('attentionQKV masked', (x) => t.attentionQKV(x, 2, 0.6, bandMask(4, 1)).out, [randT([1, 4, 6], rng)]);
        // a narrow band over 13 steps: the native kernels' banded forward and backward (row blocks over their keys)
        gradCheck('attentionQKV banded', (x) => t.attentionQKV(x, 2, 0.6, bandMask(13, 1)).out, [randT([2, 13, 12], rng)]);
        gradCheck('attentionQKV of a view', (x) => t.attentionQKV(t.permute(x, [1, 0, 2]), 1, 0.6).out, [randT([3, 2, 6], rng)]);
      } finally {
        t.setBackend(prev);
      }
    });
  }

  it('bad shapes give clear errors', () => {
    assert.throws(() => t.attentionQKV(t.zeros([2, 3, 10]), 2, 1), /qkv must be \(B, T, 3·2·dh\)/);
    assert.throws(() => t.attentionQKV(t.zeros([2, 3, 12]), 2, 1, t.zeros([3, 4])), /mask must be \(3, 3\)/);
    const rng = new t.Rng(1);
    assert.throws(() => t.fusedAttention(randT([2, 3, 4], rng), randT([2, 3, 4], rng), randT([2, 3, 4], rng), 1), /must be \(B, H, T, dh\)/);
    assert.throws(() => t.fusedAttention(randT([1, 1, 3, 4], rng), randT([1, 1, 5, 2], rng), randT([1, 1, 5, 4], rng), 1), /k and v must be/);
    assert.throws(() => t.fusedAttention(randT([1, 1, 3, 4], rng), randT([1, 1, 5, 4], rng), randT([1, 1, 5, 4], rng), 1, randT([3, 4], rng)), /mask must be \(3, 5\)/);
  });
});
