// The Tensor: float32 storage viewed through a shape, strides and an offset, plus the autograd record of the op that
// made it. Methods are thin sugar over the functions in ops.ts (x.matmul(w) === matmul(x, w)).
import { contiguousStrides, fmt, gatherStrided, sizeOf, checkShape } from './shape.js';
import * as ops from './ops.js';

/** How a tensor was computed: enough for its gradient rule (see gradients.ts). */
export interface GradNode {
  op: string;
  inputs: Tensor[];
  ctx: Record<string, unknown>;
}

let gradEnabled = true;
export function isGradEnabled(): boolean {
  return gradEnabled;
}
/** Runs fn without recording autograd history (inference, optimiser steps, gradient rules). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export class Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  requiresGrad: boolean;
  grad: Tensor | null = null;
  node: GradNode | null = null;
  /** Optional name (parameters), used in error messages and model files. */
  name?: string;

  constructor(data: Float32Array, shape: readonly number[], strides?: readonly number[], offset = 0, requiresGrad = false) {
    checkShape('tensor', shape);
    this.data = data;
    this.shape = [...shape];
    this.strides = strides ? [...strides] : contiguousStrides(shape);
    this.offset = offset;
    this.requiresGrad = requiresGrad;
    if (!strides && offset + sizeOf(shape) > data.length) {
      throw new RangeError(`tensor: ${data.length} values cannot hold shape ${fmt(shape)}`);
    }
  }

  get ndim(): number {
    return this.shape.length;
  }
  get size(): number {
    return sizeOf(this.shape);
  }
  /** True when the elements are laid out row-major without gaps (offset may be non-zero). */
  get isContiguous(): boolean {
    let acc = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.strides[i] !== acc) return false;
      acc *= this.shape[i];
    }
    return true;
  }
  /** Row-major values as a Float32Array: the storage itself when possible (do not mutate), else a copy. */
  values(): Float32Array {
    const n = this.size;
    if (this.isContiguous) return this.data.subarray(this.offset, this.offset + n);
    const out = new Float32Array(n);
    gatherStrided(this.data, this.shape, this.strides, this.offset, out);
    return out;
  }
  toArray(): number[] {
    return Array.from(this.values());
  }
  item(): number {
    if (this.size !== 1) throw new RangeError(`item(): tensor of shape ${fmt(this.shape)} has ${this.size} elements, not 1`);
    return this.values()[0];
  }
  /** A tensor sharing nothing with the graph (no history, no grad). */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, this.strides, this.offset, false);
  }
  toString(): string {
    return `Tensor${fmt(this.shape)}${this.requiresGrad ? ' requiresGrad' : ''}`;
  }

  // ---- sugar over ops.ts ----
  add(o: Tensor | number): Tensor { return ops.add(this, o); }
  sub(o: Tensor | number): Tensor { return ops.sub(this, o); }
  mul(o: Tensor | number): Tensor { return ops.mul(this, o); }
  div(o: Tensor | number): Tensor { return ops.div(this, o); }
  neg(): Tensor { return ops.neg(this); }
  exp(): Tensor { return ops.exp(this); }
  log(): Tensor { return ops.log(this); }
  sqrt(): Tensor { return ops.sqrt(this); }
  relu(): Tensor { return ops.relu(this); }
  gelu(): Tensor { return ops.gelu(this); }
  tanh(): Tensor { return ops.tanh(this); }
  sigmoid(): Tensor { return ops.sigmoid(this); }
  abs(): Tensor { return ops.abs(this); }
  square(): Tensor { return ops.mul(this, this); }
  pow(e: number): Tensor { return ops.powScalar(this, e); }
  sum(axes?: number | number[], keepdim = false): Tensor { return ops.sum(this, axes, keepdim); }
  mean(axes?: number | number[], keepdim = false): Tensor { return ops.mean(this, axes, keepdim); }
  max(axes?: number | number[], keepdim = false): Tensor { return ops.max(this, axes, keepdim); }
  matmul(o: Tensor): Tensor { return ops.matmul(this, o); }
  reshape(shape: number[]): Tensor { return ops.reshape(this, shape); }
  permute(perm: number[]): Tensor { return ops.permute(this, perm); }
  transpose(a = -2, b = -1): Tensor { return ops.transpose(this, a, b); }
  expand(shape: number[]): Tensor { return ops.expand(this, shape); }
  slice(axis: number, start: number, end: number): Tensor { return ops.slice(this, axis, start, end); }
  contiguous(): Tensor { return ops.contiguous(this); }
  softmax(axis = -1): Tensor { return ops.softmax(this, axis); }
  logSoftmax(axis = -1): Tensor { return ops.logSoftmax(this, axis); }
}
