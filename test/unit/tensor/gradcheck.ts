// Test helper: checks an op's backward against float64 central finite differences of L = Σ f(x) ⊙ w.
import assert from 'node:assert/strict';
import { Tensor, backward, noGrad, Rng } from '../../../src/tensor/index.js';

export interface GradCheckOpts {
  eps?: number;
  atol?: number;
  rtol?: number;
}

function lossValue(out: Tensor, w: Float64Array): number {
  const v = out.values();
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * w[i];
  return s;
}

/** Inputs are fresh leaves (requiresGrad); f builds the op under test from them. */
export function gradCheck(name: string, f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradCheckOpts = {}): void {
  const eps = opts.eps ?? 1e-2;
  const atol = opts.atol ?? 2e-2;
  const rtol = opts.rtol ?? 2e-2;
  const leaves = inputs.map((t) => new Tensor(new Float32Array(t.values()), t.shape, undefined, 0, true));
  const out = f(...leaves);
  const rng = new Rng(7);
  const w = new Float64Array(out.size);
  for (let i = 0; i < w.length; i++) w[i] = rng.normal();
  const seed = new Tensor(Float32Array.from(w), out.shape);
  backward(out, seed);
  leaves.forEach((leaf, li) => {
    const analytic = leaf.grad ? leaf.grad.values() : new Float32Array(leaf.size);
    assert.deepEqual(leaf.grad?.shape ?? leaf.shape, leaf.shape, `${name}: grad shape of input ${li}`);
    for (let i = 0; i < leaf.size; i++) {
      const orig = leaf.data[i];
      const at = (d: number): number => {
        leaf.data[i] = orig + d;
        const v = noGrad(() => lossValue(f(...leaves), w));
        leaf.data[i] = orig;
        return v;
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      const a = analytic[i];
      const ok = Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric);
      assert.ok(ok, `${name}: d/dx${li}[${i}] analytic ${a} vs numeric ${numeric}`);
    }
  });
}

export function randT(shape: number[], rng: Rng, lo = -1, hi = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = lo + (hi - lo) * rng.next();
  return new Tensor(d, shape);
}

/** Values away from a kink/pole at 0 (for relu, abs, recip): magnitude in [0.2, 1.2], random sign. */
export function awayFromZero(shape: number[], rng: Rng): Tensor {
  const t = randT(shape, rng, 0.2, 1.2);
  for (let i = 0; i < t.data.length; i++) if (rng.next() < 0.5) t.data[i] = -t.data[i];
  return t;
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, msg: string): void {
  assert.equal(actual.length, expected.length, `${msg}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e)) {
      assert.ok(Number.isNaN(a), `${msg}[${i}]: expected NaN, got ${a}`);
      continue;
    }
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${msg}[${i}]: ${a} vs ${e}`);
  }
}
