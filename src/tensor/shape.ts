// Shape helpers: sizes, contiguous strides, broadcasting, axis normalisation, and the strided copy that turns a
// view (any strides, offset) into contiguous row-major data.
import { backend } from './backend.js';

export class ShapeError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'ShapeError';
  }
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function fmt(shape: readonly number[]): string {
  return `(${shape.join(', ')})`;
}

/** NumPy broadcasting of two shapes; throws ShapeError naming the op when they do not broadcast. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new ShapeError(`${op}: shapes ${fmt(a)} and ${fmt(b)} do not broadcast`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Maps a possibly negative axis into [0, ndim). */
export function normAxis(op: string, axis: number, ndim: number): number {
  const a = axis < 0 ? axis + ndim : axis;
  if (!Number.isInteger(a) || a < 0 || a >= ndim) throw new ShapeError(`${op}: axis ${axis} out of range for ${ndim}-d tensor`);
  return a;
}

export function checkShape(op: string, shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`${op}: invalid shape ${fmt(shape)}`);
  }
}

/** Copies the view (data, shape, strides, offset) into `out` in row-major order. */
export function gatherStrided(
  data: Float32Array, shape: readonly number[], strides: readonly number[], offset: number, out: Float32Array,
): void {
  const nd = shape.length;
  if (nd === 0) {
    out[0] = data[offset];
    return;
  }
  const n = sizeOf(shape);
  if (n === 0) return;
  const k = backend();
  if (k.gather && n >= 4096 && nd <= 8) return k.gather(data, offset, shape, strides, out); // native: threads, no per-row objects
  const inner = shape[nd - 1];
  const innerStride = strides[nd - 1];
  const idx = new Array<number>(nd).fill(0);
  let src = offset;
  let dst = 0;
  for (;;) {
    if (innerStride === 1 && inner >= 64) {
      out.set(data.subarray(src, src + inner), dst); // long rows: a native copy is worth the subarray object
      dst += inner;
    } else if (innerStride === 1) {
      for (let j = 0; j < inner; j++) out[dst++] = data[src + j];
    } else {
      for (let j = 0, s = src; j < inner; j++, s += innerStride) out[dst++] = data[s];
    }
    // advance the outer index (all axes but the last)
    let ax = nd - 2;
    for (; ax >= 0; ax--) {
      idx[ax]++;
      src += strides[ax];
      if (idx[ax] < shape[ax]) break;
      src -= strides[ax] * shape[ax];
      idx[ax] = 0;
    }
    if (ax < 0) return;
  }
}
