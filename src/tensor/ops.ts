// The primitive ops: validate shapes, compute through the active backend's kernels, and record the autograd node.
// Their gradient rules live in one table (gradients.ts). Movement ops (reshape, permute, expand, slice) return views.
import { backend, type AttnStrides, type BinaryKernel, type UnaryKernel } from './backend.js';
import { ShapeError, broadcastShapes, contiguousStrides, fmt, gatherStrided, normAxis, sizeOf } from './shape.js';
import { Tensor, isGradEnabled } from './tensor.js';
import { alloc, recycle } from './arena.js';

/**
 * Row-major values of x for a kernel to read: its storage when contiguous, else a copy in an arena buffer. With
 * `copy`, always a buffer of its own (to become a new tensor's storage).
 */
export function vals(x: Tensor, copy = false): Float32Array {
  if (x.isContiguous && !copy) return x.data.subarray(x.offset, x.offset + x.size);
  const out = alloc(x.size, false);
  if (x.isContiguous) out.set(x.data.subarray(x.offset, x.offset + x.size));
  else gatherStrided(x.data, x.shape, x.strides, x.offset, out);
  return out;
}

/** Hands v back to the arena when it is a temporary copy made for a kernel (not a view of x's own storage). */
function done(v: Float32Array, x: Tensor): void {
  if (v.buffer !== x.data.buffer) recycle(v);
}

function record(out: Tensor, op: string, inputs: Tensor[], ctx: Record<string, unknown> = {}): Tensor {
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { op, inputs, ctx };
  }
  return out;
}

export function scalar(v: number): Tensor {
  return new Tensor(Float32Array.of(v), []);
}
function lift(x: Tensor | number): Tensor {
  return typeof x === 'number' ? scalar(x) : x;
}

// ---------------------------------------------------------------- elementwise
function unary(op: UnaryKernel, x: Tensor): Tensor {
  const out = alloc(x.size, false);
  const xv = vals(x);
  backend().unary(op, xv, out);
  done(xv, x);
  return record(new Tensor(out, x.shape), op, [x]);
}
export const neg = (x: Tensor): Tensor => unary('neg', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const relu = (x: Tensor): Tensor => unary('relu', x);
export const gelu = (x: Tensor): Tensor => unary('gelu', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
export const abs = (x: Tensor): Tensor => unary('abs', x);
export const recip = (x: Tensor): Tensor => unary('recip', x);

/** Values of x broadcast to `shape`, row-major (a view's values() when no broadcasting is needed). */
function valuesAs(x: Tensor, shape: readonly number[]): Float32Array {
  if (x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i])) return vals(x);
  if (x.size === 1) return alloc(sizeOf(shape), false).fill(x.data[x.offset]); // a scalar: one native fill
  return vals(expand(x.detach(), [...shape]));
}

/** Size of the block `small` repeats over when its shape (leading 1s dropped) is a suffix of `full`, else 0. */
function suffixBlock(small: Tensor, full: readonly number[]): number {
  let k = 0;
  while (k < small.ndim - 1 && small.shape[k] === 1) k++;
  const tail = small.shape.slice(k);
  if (tail.length > full.length || !tail.every((d, i) => d === full[full.length - tail.length + i])) return 0;
  return sizeOf(tail);
}

function binary(op: BinaryKernel, a0: Tensor | number, b0: Tensor | number): Tensor {
  const a = lift(a0);
  const b = lift(b0);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const n = sizeOf(shape);
  const out = alloc(n, false); // every element written below
  const k = backend();
  // one operand repeating over the leading axes of the other (a mask over (B, h, T, T), positions over (B, T, d)):
  // run the kernel block by block instead of materialising the broadcast copy
  for (const [small, big, swap] of [[b, a, false], [a, b, true]] as const) {
    const blk = big.size === n && small.size < n ? suffixBlock(small, shape) : 0;
    if (blk >= 1024 && op !== 'pow') {
      const bv = valuesAs(big, shape);
      const sv = vals(small);
      for (let o = 0; o < n; o += blk) {
        const seg = bv.subarray(o, o + blk);
        if (swap) k.binary(op, sv, seg, out.subarray(o, o + blk));
        else k.binary(op, seg, sv, out.subarray(o, o + blk));
      }
      done(bv, big);
      done(sv, small);
      return record(new Tensor(out, shape), op, [a, b]);
    }
  }
  const av = valuesAs(a, shape);
  const bv = valuesAs(b, shape);
  k.binary(op, av, bv, out);
  done(av, a);
  done(bv, b);
  return record(new Tensor(out, shape), op, [a, b]);
}
export const add = (a: Tensor | number, b: Tensor | number): Tensor => binary('add', a, b);
export const sub = (a: Tensor | number, b: Tensor | number): Tensor => binary('sub', a, b);
export const mul = (a: Tensor | number, b: Tensor | number): Tensor => binary('mul', a, b);
export const div = (a: Tensor | number, b: Tensor | number): Tensor => binary('div', a, b);
/** Elementwise maximum (NaN if either is NaN). */
export const maximum = (a: Tensor | number, b: Tensor | number): Tensor => binary('max', a, b);
export const pow = (a: Tensor | number, b: Tensor | number): Tensor => binary('pow', a, b);
export const powScalar = (a: Tensor, e: number): Tensor => binary('pow', a, e);

export type CompareOp = 'lt' | 'le' | 'gt' | 'ge' | 'eq';
const cmpFns: Record<CompareOp, (a: number, b: number) => boolean> = {
  lt: (a, b) => a < b, le: (a, b) => a <= b, gt: (a, b) => a > b, ge: (a, b) => a >= b, eq: (a, b) => a === b,
};
/** 1 where the comparison holds, else 0 (NaN compares false). Not differentiable. */
export function compare(op: CompareOp, a0: Tensor | number, b0: Tensor | number): Tensor {
  const a = lift(a0);
  const b = lift(b0);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const av = valuesAs(a, shape);
  const bv = valuesAs(b, shape);
  const out = alloc(av.length);
  const f = cmpFns[op];
  for (let i = 0; i < out.length; i++) out[i] = f(av[i], bv[i]) ? 1 : 0;
  return new Tensor(out, shape);
}

/** cond ? a : b elementwise, with broadcasting (cond is read as non-zero = true). */
export function where(cond: Tensor, a0: Tensor | number, b0: Tensor | number): Tensor {
  const a = lift(a0);
  const b = lift(b0);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, a.shape), b.shape);
  const cv = valuesAs(cond, shape);
  const av = valuesAs(a, shape);
  const bv = valuesAs(b, shape);
  const out = alloc(cv.length);
  for (let i = 0; i < out.length; i++) out[i] = cv[i] !== 0 ? av[i] : bv[i];
  return record(new Tensor(out, shape), 'where', [a, b], { cond });
}

// ---------------------------------------------------------------- reductions
function reduceAxes(op: string, x: Tensor, axes: number | number[] | undefined): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  const list = (Array.isArray(axes) ? axes : [axes]).map((a) => normAxis(op, a, x.ndim));
  return [...new Set(list)].sort((p, q) => p - q);
}

function reduce(kind: 'sum' | 'max', x: Tensor, axes: number | number[] | undefined, keepdim: boolean): Tensor {
  const red = reduceAxes(kind, x, axes);
  const kept = x.shape.map((_, i) => i).filter((i) => !red.includes(i));
  const rows = sizeOf(kept.map((i) => x.shape[i]));
  const R = sizeOf(red.map((i) => x.shape[i]));
  const out = alloc(rows);
  // the reduced axes kept as 1s (what the gradient broadcasts back over), and the result's shape
  const keptShape = x.shape.map((d, i) => (red.includes(i) ? 1 : d));
  const result = (op: 'sum' | 'amax'): Tensor => record(new Tensor(out, keepdim ? keptShape : kept.map((i) => x.shape[i])), op, [x], { keptShape });
  const block = red.length > 0 && red.every((a, i) => a === red[0] + i); // one run of adjacent axes
  if (kind === 'sum' && block && x.isContiguous && !red.every((a, i) => a === i)) {
    // (outer, R, inner) view of a contiguous tensor: sums over a middle or trailing run of axes without a copy
    const outer = sizeOf(x.shape.slice(0, red[0]));
    const inner = sizeOf(x.shape.slice(red[red.length - 1] + 1));
    const v = vals(x);
    const rowSums = backend().sumRows;
    if (inner === 1 && rowSums) {
      rowSums(v, out, outer, R);
      return result('sum');
    }
    if (inner > 1 && backend().sumMid) {
      backend().sumMid!(v, out, outer, R, inner);
      return result('sum');
    }
    const acc = new Float64Array(outer * inner);
    if (inner === 1) {
      for (let o = 0; o < outer; o++) {
        let s = 0;
        const base = o * R;
        for (let r = 0; r < R; r++) s += v[base + r];
        acc[o] = s;
      }
    } else {
      for (let o = 0; o < outer; o++) {
        const ao = o * inner;
        for (let r = 0; r < R; r++) {
          const base = (o * R + r) * inner;
          for (let i = 0; i < inner; i++) acc[ao + i] += v[base + i];
        }
      }
    }
    out.set(acc);
    return result('sum');
  }
  const leading = red.every((a, i) => a === i);
  if (kind === 'sum' && leading && red.length > 0 && x.isContiguous && rows === 1 && backend().sumRows) {
    // the whole tensor (a loss): one long row for the native kernel
    backend().sumRows!(vals(x), out, 1, R);
    const keptAll = x.shape.map(() => 1);
    return record(new Tensor(out, keepdim ? keptAll : []), 'sum', [x], { keptShape: keptAll });
  }
  if (kind === 'sum' && leading && red.length > 0 && x.isContiguous) {
    // sum over leading axes of a contiguous tensor (bias gradients, broadcasting): column sums, no copy
    const v = vals(x); // (R, rows)
    if (backend().sumMid) {
      backend().sumMid!(v, out, 1, R, rows);
      return result('sum');
    }
    const acc = new Float64Array(rows);
    for (let r = 0; r < R; r++) {
      const o = r * rows;
      for (let j = 0; j < rows; j++) acc[j] += v[o + j];
    }
    out.set(acc);
    return result('sum');
  }
  const v = red.length === 0 ? vals(x) : vals(permute(x.detach(), [...kept, ...red])); // (rows, R)
  for (let r = 0; r < rows; r++) {
    const o = r * R;
    if (kind === 'sum') {
      let s = 0;
      for (let j = 0; j < R; j++) s += v[o + j];
      out[r] = s;
    } else {
      let m = -Infinity;
      for (let j = 0; j < R; j++) {
        const e = v[o + j];
        if (e > m || e !== e) m = e;
        if (m !== m) break;
      }
      out[r] = m;
    }
  }
  return result(kind === 'sum' ? 'sum' : 'amax');
}
export const sum = (x: Tensor, axes?: number | number[], keepdim = false): Tensor => reduce('sum', x, axes, keepdim);
export const max = (x: Tensor, axes?: number | number[], keepdim = false): Tensor => reduce('max', x, axes, keepdim);
export function mean(x: Tensor, axes?: number | number[], keepdim = false): Tensor {
  const red = reduceAxes('mean', x, axes);
  const n = sizeOf(red.map((i) => x.shape[i]));
  return div(sum(x, red, keepdim), n);
}

// ---------------------------------------------------------------- movement (views)
export function reshape(x: Tensor, shape0: number[]): Tensor {
  const shape = [...shape0];
  const infer = shape.indexOf(-1);
  if (infer >= 0) shape[infer] = x.size / sizeOf(shape.filter((_, i) => i !== infer));
  if (sizeOf(shape) !== x.size || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(`reshape: cannot view ${fmt(x.shape)} (${x.size} elements) as ${fmt(shape0)}`);
  }
  const src = x.isContiguous ? x : contiguous(x);
  const out = new Tensor(src.data, shape, contiguousStrides(shape), src.offset);
  return record(out, 'reshape', [src], { shape: x.shape });
}

export function permute(x: Tensor, perm: number[]): Tensor {
  const p = perm.map((a) => normAxis('permute', a, x.ndim));
  if (p.length !== x.ndim || new Set(p).size !== p.length) {
    throw new ShapeError(`permute: ${JSON.stringify(perm)} is not a permutation of ${x.ndim} axes`);
  }
  const out = new Tensor(x.data, p.map((i) => x.shape[i]), p.map((i) => x.strides[i]), x.offset);
  return record(out, 'permute', [x], { perm: p });
}
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const perm = x.shape.map((_, i) => i);
  const i = normAxis('transpose', a, x.ndim);
  const j = normAxis('transpose', b, x.ndim);
  [perm[i], perm[j]] = [perm[j], perm[i]];
  return permute(x, perm);
}

/** Broadcasts x to `shape` (new leading axes, or size-1 axes stretched) without copying. */
export function expand(x: Tensor, shape: number[]): Tensor {
  if (shape.length < x.ndim) throw new ShapeError(`expand: cannot expand ${fmt(x.shape)} to fewer axes ${fmt(shape)}`);
  const lead = shape.length - x.ndim;
  const strides = shape.map((d, i) => {
    if (i < lead) return 0;
    const xd = x.shape[i - lead];
    if (xd === d) return x.strides[i - lead];
    if (xd === 1) return 0;
    throw new ShapeError(`expand: cannot expand ${fmt(x.shape)} to ${fmt(shape)}`);
  });
  return record(new Tensor(x.data, shape, strides, x.offset), 'expand', [x], { shape: x.shape });
}

/** x[..., start:end, ...] along `axis` (a view). */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const ax = normAxis('slice', axis, x.ndim);
  const d = x.shape[ax];
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > d || start > end) {
    throw new ShapeError(`slice: [${start}, ${end}) out of range for axis ${axis} of size ${d}`);
  }
  const shape = [...x.shape];
  shape[ax] = end - start;
  const out = new Tensor(x.data, shape, x.strides, x.offset + start * x.strides[ax]);
  return record(out, 'slice', [x], { axis: ax, start, end });
}

/** Zero padding along one axis (the gradient of slice). */
export function pad(x: Tensor, axis: number, before: number, after: number): Tensor {
  const ax = normAxis('pad', axis, x.ndim);
  const shape = [...x.shape];
  shape[ax] += before + after;
  const out = alloc(sizeOf(shape));
  const outer = sizeOf(x.shape.slice(0, ax));
  const inner = sizeOf(x.shape.slice(ax + 1));
  const v = vals(x);
  const rowIn = x.shape[ax] * inner;
  const rowOut = shape[ax] * inner;
  for (let o = 0; o < outer; o++) out.set(v.subarray(o * rowIn, (o + 1) * rowIn), o * rowOut + before * inner);
  return record(new Tensor(out, shape), 'pad', [x], { axis: ax, before, after });
}

export function concat(xs: Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new ShapeError('concat: no tensors');
  const ax = normAxis('concat', axis, xs[0].ndim);
  for (const t of xs) {
    if (t.ndim !== xs[0].ndim || t.shape.some((d, i) => i !== ax && d !== xs[0].shape[i])) {
      throw new ShapeError(`concat: shapes ${xs.map((q) => fmt(q.shape)).join(', ')} differ outside axis ${axis}`);
    }
  }
  const shape = [...xs[0].shape];
  shape[ax] = xs.reduce((s, t) => s + t.shape[ax], 0);
  const outer = sizeOf(shape.slice(0, ax));
  const inner = sizeOf(shape.slice(ax + 1));
  const out = alloc(sizeOf(shape));
  let at = 0;
  const sizes: number[] = [];
  for (const t of xs) {
    const v = vals(t);
    const w = t.shape[ax] * inner;
    for (let o = 0; o < outer; o++) out.set(v.subarray(o * w, (o + 1) * w), o * shape[ax] * inner + at * inner);
    at += t.shape[ax];
    sizes.push(t.shape[ax]);
  }
  return record(new Tensor(out, shape), 'concat', xs, { axis: ax, sizes });
}

export function contiguous(x: Tensor): Tensor {
  return record(new Tensor(vals(x, true), x.shape), 'contiguous', [x]);
}

// ---------------------------------------------------------------- matmul
/** How a (..., R, S) operand can be fed to bmm without copying: its data, batch stride and transpose flag. */
function gemmOperand(t: Tensor, batch: number): { data: Float32Array; stride: number; trans: boolean } {
  const n = t.ndim;
  const R = t.shape[n - 2];
  const S = t.shape[n - 1];
  const lead = t.shape.slice(0, n - 2);
  const leadStrides = t.strides.slice(0, n - 2);
  const broadcastAll = lead.every((d, i) => d === 1 || leadStrides[i] === 0);
  const rowMajor = t.strides[n - 1] === 1 || S === 1;
  const colMajor = (t.strides[n - 2] === 1 || R === 1) && (t.strides[n - 1] === R || S === 1);
  const leadContig = (inner: number): boolean => {
    let acc = inner;
    for (let i = lead.length - 1; i >= 0; i--) {
      if (lead[i] !== 1 && leadStrides[i] !== acc) return false;
      acc *= lead[i];
    }
    return true;
  };
  if (rowMajor && (t.strides[n - 2] === S || R === 1)) {
    if (batch === 1 || broadcastAll) return { data: t.data.subarray(t.offset), stride: 0, trans: false };
    if (leadContig(R * S)) return { data: t.data.subarray(t.offset), stride: R * S, trans: false };
  }
  if (colMajor && !(rowMajor && t.strides[n - 2] === S)) {
    if (batch === 1 || broadcastAll) return { data: t.data.subarray(t.offset), stride: 0, trans: true };
    if (leadContig(R * S)) return { data: t.data.subarray(t.offset), stride: R * S, trans: true };
  }
  return { data: vals(t), stride: batch === 1 || broadcastAll ? 0 : R * S, trans: false };
}

/** (..., M, K) @ (..., K, N) → (..., M, N), leading axes broadcast; 1-d operands are not accepted. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const shape = matmulShape(a, b);
  const n = sizeOf(shape);
  const out = alloc(n, a.shape[a.ndim - 1] === 0); // the product overwrites every element (K = 0: zeros)
  gemmInto(a, b, shape, out, false);
  return record(new Tensor(out, shape), 'matmul', [a, b]);
}

/**
 * x @ w + bias, then relu when asked — the bias add and the clamp fused into the GEMM's stores (one pass over the output
 * instead of up to three; bitwise the separate ops' result). bias: (N) for an (…, N) output, or null; another bias
 * shape takes the separate ops.
 */
export function linear(x: Tensor, w: Tensor, bias: Tensor | null = null, relu = false): Tensor {
  const shape = matmulShape(x, w);
  const N = shape[shape.length - 1];
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== N)) {
    const y = add(matmul(x, w), bias);
    return relu ? unary('relu', y) : y;
  }
  const out = alloc(sizeOf(shape), x.shape[x.ndim - 1] === 0);
  const bv = bias ? vals(bias) : null;
  gemmInto(x, w, shape, out, false, relu, bv);
  if (bias && bv) done(bv, bias);
  return record(new Tensor(out, shape), 'linear', bias ? [x, w, bias] : [x, w], { y: out, relu });
}

/** relu(a @ b) with the clamp fused into the GEMM's stores. */
export const matmulRelu = (a: Tensor, b: Tensor): Tensor => linear(a, b, null, true);

/**
 * into += a @ b in place, without recording (gradient accumulation: a GEMM that adds onto the gradient already there
 * instead of a product and a separate sum). into must be contiguous with its own storage and the product's shape.
 */
export function matmulAccumulate(a: Tensor, b: Tensor, into: Tensor): Tensor {
  const shape = matmulShape(a, b);
  if (shape.length !== into.ndim || shape.some((d, i) => d !== into.shape[i]) || !into.isContiguous) {
    throw new ShapeError(`matmulAccumulate: target ${fmt(into.shape)} is not a contiguous ${fmt(shape)}`);
  }
  gemmInto(a, b, shape, into.data.subarray(into.offset, into.offset + into.size), true);
  return into;
}

function matmulShape(a: Tensor, b: Tensor): number[] {
  if (a.ndim < 2 || b.ndim < 2) throw new ShapeError(`matmul: operands must be at least 2-d, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  const K = a.shape[a.ndim - 1];
  if (K !== b.shape[b.ndim - 2]) throw new ShapeError(`matmul: inner dimensions differ: ${fmt(a.shape)} @ ${fmt(b.shape)}`);
  const lead = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  return [...lead, a.shape[a.ndim - 2], b.shape[b.ndim - 1]];
}

function gemmInto(a: Tensor, b: Tensor, shape: readonly number[], out: Float32Array, accumulate: boolean, relu = false, bias: Float32Array | null = null): void {
  const lead = shape.slice(0, -2);
  const [M, N] = shape.slice(-2);
  const K = a.shape[a.ndim - 1];
  const batch = sizeOf(lead);
  // a (B..., M, K) with b 2-d: fold the batch into M when a's rows are contiguous.
  if (b.ndim === 2 && a.isContiguous && batch > 1) {
    const B = gemmOperand(b, 1);
    backend().bmm(1, batch * M, N, K, a.data.subarray(a.offset), 0, false, B.data, 0, B.trans, out, accumulate, relu, bias);
    done(B.data, b);
  } else {
    const sameLead = (t: Tensor): boolean => t.ndim - 2 === lead.length && t.shape.slice(0, -2).every((d, i) => d === lead[i]);
    const ax = sameLead(a) ? a : expand(a.detach(), [...lead, M, K]); // broadcast axes get stride 0
    const bx = sameLead(b) ? b : expand(b.detach(), [...lead, K, N]);
    const A = gemmOperand(ax, batch);
    const B = gemmOperand(bx, batch);
    backend().bmm(batch, M, N, K, A.data, A.stride, A.trans, B.data, B.stride, B.trans, out, accumulate, relu, bias);
    done(A.data, a);
    done(B.data, b);
  }
}

// ---------------------------------------------------------------- fused row ops
/** Softmax along `axis` (fused kernel on the last axis; other axes go through a permuted view). */
export function softmax(x: Tensor, axis = -1): Tensor {
  const ax = normAxis('softmax', axis, x.ndim);
  if (ax !== x.ndim - 1) return transpose(softmax(transpose(x, ax, -1), -1), ax, -1);
  const cols = x.shape[ax];
  const out = alloc(x.size, false);
  const xv = vals(x);
  backend().softmaxRows(xv, out, x.size / Math.max(cols, 1), cols);
  done(xv, x);
  const y = new Tensor(out, x.shape);
  return record(y, 'softmax', [x], { y: out });
}

/** log(softmax(x)) along `axis`, computed stably as x − max − log Σ exp(x − max). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const m = max(x.detach(), axis, true);
  const shifted = sub(x, m);
  return sub(shifted, log(sum(exp(shifted), axis, true)));
}

/** Layer norm over the last axis without affine parameters: (x − mean) / sqrt(var + eps). */
export function layerNorm(x: Tensor, eps = 1e-5): Tensor {
  return normRows(x, null, eps);
}

/**
 * layerNorm(x + r) in one pass (a post-norm residual block): the sum is never stored; the same gradient flows to both
 * inputs. Shapes must match (a broadcasting residual takes the two-op path).
 */
export function addLayerNorm(x: Tensor, r: Tensor, eps = 1e-5): Tensor {
  if (x.ndim !== r.ndim || x.shape.some((d, i) => d !== r.shape[i])) return layerNorm(add(x, r), eps);
  return normRows(x, r, eps);
}

/** The rows of x (+ r) normalised by the backend's kernel; recorded as one 'layerNorm' node over x (and r). */
function normRows(x: Tensor, r: Tensor | null, eps: number): Tensor {
  const cols = x.shape[x.ndim - 1];
  const rows = x.size / Math.max(cols, 1);
  const out = alloc(x.size, false);
  const mu = alloc(rows, false);
  const rstd = alloc(rows, false);
  const xv = vals(x);
  const rv = r ? vals(r) : null;
  backend().layerNormRows(xv, out, mu, rstd, rows, cols, eps, rv);
  done(xv, x);
  if (r && rv) done(rv, r);
  return record(new Tensor(out, x.shape), 'layerNorm', r ? [x, r] : [x], { xhat: out, rstd });
}

// ---------------------------------------------------------------- fused attention
/** The operands of a fused attention as its kernel read them (the inputs, or contiguous copies of them). */
export interface AttnOperands {
  qc: Tensor; qv: AttnStrides; kc: Tensor; kv: AttnStrides; vc: Tensor; vv: AttnStrides;
}

/** How an attention operand (B, H, R, dh) is read in place: offset and strides, if its last axis is contiguous. */
export function attnView(x: Tensor): AttnStrides | null {
  if (x.ndim !== 4 || (x.strides[3] !== 1 && x.shape[3] > 1)) return null;
  return { offset: x.offset, sb: x.strides[0], sh: x.strides[1], st: x.strides[2] };
}

/** softmax(scale · q kᵀ + mask) v from primitive ops, for q (..., T, dh), k and v (..., S, dh), any broadcastable mask. */
export function composedAttention(q: Tensor, k: Tensor, v: Tensor, scale: number, mask?: Tensor): { out: Tensor; attn: Tensor } {
  let scores = matmul(mul(q, scale), transpose(k)); // (..., T, S); scaling q is S/dh times cheaper than the scores
  if (mask) scores = add(scores, mask);
  const attn = softmax(scores, -1);
  return { out: matmul(attn, v), attn };
}

/**
 * softmax(scale · q kᵀ + mask) v for q (B, H, T, dh), k and v (B, H, S, dh), mask (T, S) additive or none →
 * { out (B, H, T, dh), attn (B, H, T, S) }. One fused kernel when the backend has one (q, k, v read through their
 * strides, out stored (B, T, H, dh) so merging heads back is a free view), else matmul → softmax → matmul.
 */
export function fusedAttention(q: Tensor, k: Tensor, v: Tensor, scale: number, mask?: Tensor): { out: Tensor; attn: Tensor } {
  if (q.ndim !== 4 || k.ndim !== 4 || v.ndim !== 4) throw new ShapeError(`fusedAttention: q, k, v must be (B, H, T, dh), got ${fmt(q.shape)}, ${fmt(k.shape)}, ${fmt(v.shape)}`);
  const [B, H, T, dh] = q.shape;
  const S = k.shape[2];
  const same = (x: Tensor, r: number): boolean => x.shape[0] === B && x.shape[1] === H && x.shape[2] === r && x.shape[3] === dh;
  if (!same(k, S) || !same(v, S)) throw new ShapeError(`fusedAttention: k and v must be (${B}, ${H}, S, ${dh}), got ${fmt(k.shape)} and ${fmt(v.shape)}`);
  if (mask && (mask.ndim !== 2 || mask.shape[0] !== T || mask.shape[1] !== S)) throw new ShapeError(`fusedAttention: mask must be (${T}, ${S}), got ${fmt(mask.shape)}`);
  const kern = backend().attention;
  if (!kern) return composedAttention(q, k, v, scale, mask);
  const operand = (x: Tensor): [Tensor, AttnStrides] => {
    const view = attnView(x);
    if (view) return [x, view];
    const c = new Tensor(vals(x), x.shape);
    return [c, attnView(c)!];
  };
  const [qc, qv] = operand(q);
  const [kc, kv] = operand(k);
  const [vc, vv] = operand(v);
  const out = alloc(B * T * H * dh, false);
  const probs = alloc(B * H * T * S, false);
  kern(B, H, T, S, dh, qc.data, qv, kc.data, kv, vc.data, vv, mask ? vals(mask) : null, scale, out, probs);
  const attn = new Tensor(probs, [B, H, T, S]);
  const o = new Tensor(out, [B, H, T, dh], [T * H * dh, dh, H * dh, 1]); // a (B, H, T, dh) view of (B, T, H, dh)
  // the operands as the kernel read them, for a fused backward
  const operands: AttnOperands = { qc, qv, kc, kv, vc, vv };
  return { out: record(o, 'attention', [q, k, v], { probs: attn, scale, operands }), attn };
}

/** Head i (0 = q, 1 = k, 2 = v) of a contiguous packed projection (B, T, 3·H·dh) as a (B, H, T, dh) attention view. */
export function packedView(x: Tensor, heads: number, i: number): AttnStrides {
  const [, T, D3] = x.shape;
  const d = D3 / 3;
  return { offset: x.offset + i * d, sb: T * D3, sh: d / heads, st: D3 };
}

/**
 * Multi-head self-attention over a packed projection qkv (B, T, 3·H·dh) — q, k and v side by side on the last axis, as
 * one matmul with the three projection weights concatenated produces them — with an optional (T, T) additive mask →
 * { out (B, H, T, dh), attn (B, H, T, T) }. With the backend's fused kernels the heads are read in place and the
 * gradient is one (B, T, 3·H·dh) tensor written by one kernel (no split, no per-part accumulation); otherwise it is
 * the head split of views and fusedAttention. With `map` false and no gradient recorded (inference) the attention map
 * is not written at all — attn is null — which saves a (B, H, T, T) store per layer, 40 % of the kernel's memory traffic.
 */
export function attentionQKV(qkv: Tensor, heads: number, scale: number, mask?: Tensor): { out: Tensor; attn: Tensor };
export function attentionQKV(qkv: Tensor, heads: number, scale: number, mask: Tensor | undefined, map: boolean): { out: Tensor; attn: Tensor | null };
export function attentionQKV(qkv: Tensor, heads: number, scale: number, mask?: Tensor, map = true): { out: Tensor; attn: Tensor | null } {
  if (qkv.ndim !== 3 || qkv.shape[2] % (3 * heads) !== 0) throw new ShapeError(`attentionQKV: qkv must be (B, T, 3·${heads}·dh), got ${fmt(qkv.shape)}`);
  const [B, T, D3] = qkv.shape;
  const d = D3 / 3;
  const dh = d / heads;
  if (mask && (mask.ndim !== 2 || mask.shape[0] !== T || mask.shape[1] !== T)) throw new ShapeError(`attentionQKV: mask must be (${T}, ${T}), got ${fmt(mask.shape)}`);
  const k = backend();
  if (!k.attention || !k.attentionBackward) {
    const head = (i: number): Tensor => permute(reshape(slice(qkv, 2, i * d, (i + 1) * d), [B, T, heads, dh]), [0, 2, 1, 3]);
    const r = fusedAttention(head(0), head(1), head(2), scale, mask);
    return map || isGradEnabled() ? r : { out: r.out, attn: null }; // the same contract on every backend
  }
  const packed = qkv.isContiguous ? qkv : new Tensor(vals(qkv), qkv.shape);
  const out = alloc(B * T * d, false);
  const probs = map || isGradEnabled() ? alloc(B * heads * T * T, false) : null;
  const mv = mask ? vals(mask) : null;
  k.attention(B, heads, T, T, dh, packed.data, packedView(packed, heads, 0), packed.data, packedView(packed, heads, 1), packed.data,
    packedView(packed, heads, 2), mv, scale, out, probs);
  const o = new Tensor(out, [B, heads, T, dh], [T * d, dh, d, 1]); // a (B, H, T, dh) view of (B, T, H, dh)
  if (!probs) return { out: o, attn: null };
  const attn = new Tensor(probs, [B, heads, T, T]);
  return { out: record(o, 'attentionQKV', [qkv], { probs: attn, scale, heads, packed, mask: mv }), attn };
}
