// The gradient table: for each primitive op, the vector-Jacobian product from the output gradient g to one gradient
// per input (null = no gradient). Rules run under noGrad and are written with the ops themselves.
import * as o from './ops.js';
import type { GradNode, Tensor } from './tensor.js';
import { Tensor as T } from './tensor.js';
import { backend } from './backend.js';
import { alloc } from './arena.js';

/**
 * A rule may write input j's gradient onto the gradient already pending for that input — into(j) hands it over when
 * backward owns it alone (else null) — and then returns that same tensor; backward then adds nothing.
 */
type Rule = (g: Tensor, node: GradNode, out: Tensor, into: (j: number) => Tensor | null) => (Tensor | null)[];

/** Sums g over the axes that broadcasting stretched, so it has `shape` again. */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  return o.reshape(o.sum(g, axes, false), [...shape]);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
function geluGrad(x: Tensor): Tensor {
  const v = o.vals(x);
  const out = alloc(v.length, false);
  for (let i = 0; i < v.length; i++) {
    const z = v[i];
    const u = SQRT_2_OVER_PI * (z + 0.044715 * z * z * z);
    const th = Math.tanh(u);
    out[i] = 0.5 * (1 + th) + 0.5 * z * (1 - th * th) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * z * z);
  }
  return new T(out, x.shape);
}

/** Gradients of a binary op; each side is computed only when that input needs one (constants, e.g. a scale, do not). */
const two = (g: Tensor, n: GradNode, ga: () => Tensor, gb: () => Tensor): (Tensor | null)[] => [
  n.inputs[0].requiresGrad ? sumTo(ga(), n.inputs[0].shape) : null,
  n.inputs[1].requiresGrad ? sumTo(gb(), n.inputs[1].shape) : null,
];

export const gradients: Record<string, Rule> = {
  neg: (g) => [o.neg(g)],
  exp: (g, _n, y) => [o.mul(g, y)],
  log: (g, n) => [o.div(g, n.inputs[0])],
  sqrt: (g, _n, y) => [o.div(g, o.mul(y, 2))],
  relu: (g, n) => {
    // fused g ⊙ [x > 0] in one kernel pass (no mask tensor)
    const xv = o.vals(n.inputs[0]);
    const out = alloc(xv.length, false);
    backend().binary('reluGrad', o.vals(g), xv, out);
    return [new T(out, n.inputs[0].shape)];
  },
  gelu: (g, n) => [o.mul(g, geluGrad(n.inputs[0]))],
  tanh: (g, _n, y) => [o.mul(g, o.sub(1, o.mul(y, y)))],
  sigmoid: (g, _n, y) => [o.mul(g, o.mul(y, o.sub(1, y)))],
  abs: (g, n) => [o.mul(g, o.sub(o.compare('gt', n.inputs[0], 0), o.compare('lt', n.inputs[0], 0)))],
  recip: (g, _n, y) => [o.neg(o.mul(g, o.mul(y, y)))],

  add: (g, n) => two(g, n, () => g, () => g),
  sub: (g, n) => two(g, n, () => g, () => o.neg(g)),
  mul: (g, n) => two(g, n, () => o.mul(g, n.inputs[1]), () => o.mul(g, n.inputs[0])),
  div: (g, n) => {
    const [a, b] = n.inputs;
    return two(g, n, () => o.div(g, b), () => o.neg(o.div(o.mul(g, a), o.mul(b, b))));
  },
  max: (g, n) => {
    // ties split the gradient evenly, as the subgradient of max(a, b) at a = b
    const [a, b] = n.inputs;
    const wa = o.add(o.compare('gt', a, b), o.mul(o.compare('eq', a, b), 0.5));
    return two(g, n, () => o.mul(g, wa), () => o.mul(g, o.sub(1, wa)));
  },
  pow: (g, n, y) => {
    const [a, b] = n.inputs;
    return two(g, n, () => o.mul(g, o.mul(b, o.pow(a, o.sub(b, 1)))), () => o.mul(g, o.mul(y, o.log(a))));
  },
  where: (g, n) => {
    const cond = n.ctx.cond as Tensor;
    return two(g, n, () => o.where(cond, g, 0), () => o.where(cond, 0, g));
  },

  sum: (g, n) => [o.expand(o.reshape(g, n.ctx.keptShape as number[]), [...n.inputs[0].shape])],
  amax: (g, n, y) => maxReduceGrad(g, n, y),

  reshape: (g, n) => [o.reshape(g, [...(n.ctx.shape as number[])])],
  permute: (g, n) => {
    const perm = n.ctx.perm as number[];
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [o.permute(g, inv)];
  },
  expand: (g, n) => [sumTo(g, n.ctx.shape as number[])],
  slice: (g, n) => {
    const { axis, start, end } = n.ctx as { axis: number; start: number; end: number };
    return [o.pad(g, axis, start, n.inputs[0].shape[axis] - end)];
  },
  pad: (g, n) => {
    const { axis, before } = n.ctx as { axis: number; before: number };
    return [o.slice(g, axis, before, before + n.inputs[0].shape[axis])];
  },
  concat: (g, n) => {
    const { axis, sizes } = n.ctx as { axis: number; sizes: number[] };
    let at = 0;
    return sizes.map((s) => o.slice(g, axis, at, (at += s)));
  },
  contiguous: (g) => [g],

  matmul: (g, n, _y, into) => {
    const [a, b] = n.inputs;
    const acc = a.requiresGrad && a.ndim === g.ndim ? into(0) : null; // same leading axes: no broadcast to sum out
    const ga = acc ? o.matmulAccumulate(g, o.transpose(b), acc) : a.requiresGrad ? sumTo(o.matmul(g, o.transpose(b)), a.shape) : null;
    let gb: Tensor | null = null;
    if (b.requiresGrad) {
      if (b.ndim === 2 && a.ndim > 2 && a.isContiguous) {
        // a weight shared over the batch: one GEMM over the flattened batch, (K, B·M) · (B·M, N), instead of a batched
        // GEMM and a sum over the batch
        const K = a.shape[a.ndim - 1];
        const N = g.shape[g.ndim - 1];
        gb = o.matmul(o.transpose(o.reshape(a.detach(), [-1, K])), o.reshape(g.isContiguous ? g : o.contiguous(g), [-1, N]));
      } else gb = sumTo(o.matmul(o.transpose(a), g), b.shape);
    }
    return [ga, gb];
  },
  linear: (g, n, y, into) => {
    // through the clamp (y > 0 exactly where the pre-activation was > 0), then the matmul rule and the bias's row sum
    let gy = g;
    if (n.ctx.relu) {
      const d = alloc(g.size, false);
      backend().binary('reluGrad', o.vals(g), n.ctx.y as Float32Array, d);
      gy = new T(d, g.shape);
    }
    const [gx, gw] = gradients.matmul(gy, n, y, into);
    const bias = n.inputs[2];
    return [gx, gw, bias?.requiresGrad ? sumTo(gy, bias.shape) : null];
  },
  softmax: (g, n) => {
    const y = n.ctx.y as Float32Array;
    const cols = n.inputs[0].shape[n.inputs[0].ndim - 1];
    const dx = alloc(y.length, false);
    backend().softmaxRowsBackward(y, o.vals(g), dx, y.length / Math.max(cols, 1), cols);
    return [new T(dx, n.inputs[0].shape)];
  },
  attention: (g, n) => {
    // p = softmax(s), s = scale · q kᵀ (+ mask), out = p v:
    // dv = pᵀ g, dp = g vᵀ, ds = p ⊙ (dp − rowsum(dp ⊙ p)), dq = scale · ds k, dk = scale · dsᵀ q
    const [q, k, v] = n.inputs;
    const { probs, scale, operands } = n.ctx as { probs: Tensor; scale: number; operands?: o.AttnOperands };
    const kern = backend().attentionBackward;
    if (kern && operands) return fusedAttentionBackward(kern, g, q, k, v, probs, scale, operands);
    const dv = v.requiresGrad ? o.matmul(o.transpose(probs), g) : null;
    if (!q.requiresGrad && !k.requiresGrad) return [null, null, dv];
    const dp = o.vals(o.matmul(g, o.transpose(v)));
    const S = probs.shape[3];
    const ds = alloc(dp.length, false);
    backend().softmaxRowsBackward(o.vals(probs), dp, ds, dp.length / Math.max(S, 1), S);
    const dsT = o.mul(new T(ds, probs.shape), scale);
    return [q.requiresGrad ? o.matmul(dsT, k) : null, k.requiresGrad ? o.matmul(o.transpose(dsT), q) : null, dv];
  },
  attentionQKV: (g, n) => packedAttentionBackward(g, n),
  layerNorm: (g, n) => {
    const { xhat, rstd } = n.ctx as { xhat: Float32Array; rstd: Float32Array };
    const cols = n.inputs[0].shape[n.inputs[0].ndim - 1];
    const dx = alloc(xhat.length, false);
    backend().layerNormRowsBackward(xhat, rstd, o.vals(g), dx, rstd.length, cols);
    const d = new T(dx, n.inputs[0].shape);
    return n.inputs.map(() => d); // addLayerNorm: x and the residual get the same gradient (backward counts the shared buffer)
  },
};

type AttnBackward = NonNullable<ReturnType<typeof backend>['attentionBackward']>;

/** The attention gradients by the backend's fused kernel: dq (B, T, H, dh) and dk, dv (B, S, H, dh) storage, returned as
 *  (B, H, ·, dh) views like the forward's output (so the caller's head split has a free gradient). */
function fusedAttentionBackward(
  kern: AttnBackward, g: Tensor, q: Tensor, k: Tensor, v: Tensor, probs: Tensor, scale: number, { qc, qv, kc, kv, vc, vv }: o.AttnOperands,
): (Tensor | null)[] {
  const [B, H, Tq, dh] = q.shape;
  const S = k.shape[2];
  const gc = o.attnView(g) ? g : new T(o.vals(g), g.shape);
  const grad = (need: boolean, rows: number): Tensor | null =>
    need ? new T(alloc(B * rows * H * dh, false), [B, H, rows, dh], [rows * H * dh, dh, H * dh, 1]) : null;
  const [dq, dk, dv] = [grad(q.requiresGrad, Tq), grad(k.requiresGrad, S), grad(v.requiresGrad, S)];
  const out = (d: Tensor | null) => (d ? { data: d.data, view: o.attnView(d)! } : null);
  kern(B, H, Tq, S, dh, qc.data, qv, kc.data, kv, vc.data, vv, gc.data, o.attnView(gc)!, o.vals(probs), scale, out(dq), out(dk), out(dv));
  return [dq, dk, dv];
}

/** The gradient of attentionQKV: one (B, T, 3·H·dh) tensor, the kernel writing dq, dk and dv straight into its parts. */
function packedAttentionBackward(g: Tensor, n: GradNode): (Tensor | null)[] {
  const qkv = n.inputs[0];
  const { probs, scale, heads, packed, mask } = n.ctx as { probs: Tensor; scale: number; heads: number; packed: Tensor; mask: Float32Array | null };
  const [B, Tq, D3] = qkv.shape;
  const dqkv = new T(alloc(B * Tq * D3, false), qkv.shape); // every element written: the three parts tile it
  const gc = o.attnView(g) ? g : new T(o.vals(g), g.shape);
  const [q, k, v] = [0, 1, 2].map((i) => o.packedView(packed, heads, i));
  const [dq, dk, dv] = [0, 1, 2].map((i) => ({ data: dqkv.data, view: o.packedView(dqkv, heads, i) }));
  backend().attentionBackward!(B, heads, Tq, Tq, D3 / 3 / heads, packed.data, q, packed.data, k, packed.data, v, gc.data, o.attnView(gc)!,
    o.vals(probs), scale, dq, dk, dv, mask);
  return [dqkv];
}

/** Gradient of the max reduction: to the arg-max entries, split evenly between ties. */
export function maxReduceGrad(g: Tensor, node: GradNode, y: Tensor): Tensor[] {
  const x = node.inputs[0];
  const kept = node.ctx.keptShape as number[];
  const yk = o.expand(o.reshape(y.detach(), kept), [...x.shape]);
  const mask = o.compare('eq', x, yk);
  const red = kept.map((d, i) => (d === 1 && x.shape[i] !== 1 ? i : -1)).filter((i) => i >= 0);
  const count = red.length ? o.sum(mask, red, true) : 1;
  const gk = o.expand(o.reshape(g, kept), [...x.shape]);
  return [o.div(o.mul(gk, mask), count)];
}

