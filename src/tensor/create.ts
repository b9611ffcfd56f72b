// Tensor constructors: from values, filled, random (seeded).
import { ShapeError, fmt, sizeOf } from './shape.js';
import { Tensor } from './tensor.js';
import type { Rng } from './rng.js';

type Nested = number | Nested[];

/** A tensor from (nested) numbers or a flat array plus a shape. */
export function tensor(values: Nested | ArrayLike<number>, shape?: number[], requiresGrad = false): Tensor {
  if (shape) {
    const flat = Float32Array.from(values as ArrayLike<number>);
    if (flat.length !== sizeOf(shape)) throw new ShapeError(`tensor: ${flat.length} values do not fill shape ${fmt(shape)}`);
    return new Tensor(flat, shape, undefined, 0, requiresGrad);
  }
  if (typeof values === 'number') return new Tensor(Float32Array.of(values), [], undefined, 0, requiresGrad);
  const dims: number[] = [];
  let v: Nested = values as Nested;
  while (Array.isArray(v)) {
    dims.push(v.length);
    v = v[0];
  }
  const flat: number[] = [];
  const walk = (x: Nested): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else flat.push(x);
  };
  walk(values as Nested);
  if (flat.length !== sizeOf(dims)) throw new ShapeError('tensor: ragged nested array');
  return new Tensor(Float32Array.from(flat), dims, undefined, 0, requiresGrad);
}
export function full(shape: number[], value: number, requiresGrad = false): Tensor {
  return new Tensor(new Float32Array(sizeOf(shape)).fill(value), shape, undefined, 0, requiresGrad);
}
export const zeros = (shape: number[], requiresGrad = false): Tensor => full(shape, 0, requiresGrad);
export const ones = (shape: number[], requiresGrad = false): Tensor => full(shape, 1, requiresGrad);
export function randn(shape: number[], rng: Rng, std = 1, requiresGrad = false): Tensor {
  const d = new Float32Array(sizeOf(shape));
  for (let i = 0; i < d.length; i++) d[i] = rng.normal() * std;
  return new Tensor(d, shape, undefined, 0, requiresGrad);
}
export function uniform(shape: number[], rng: Rng, lo: number, hi: number, requiresGrad = false): Tensor {
  const d = new Float32Array(sizeOf(shape));
  for (let i = 0; i < d.length; i++) d[i] = lo + (hi - lo) * rng.next();
  return new Tensor(d, shape, undefined, 0, requiresGrad);
}
export function arange(n: number): Tensor {
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = i;
  return new Tensor(d, [n]);
}
