// Shared pieces of the association-based baselines: row-wise KL divergence between attention maps.
import { Tensor, add, log, mul, sub, sum } from '../../tensor/index.js';

/** KL(p ‖ q) along the last axis: p, q (..., L) rows of distributions → (...). */
export function rowKL(p: Tensor, q: Tensor, eps = 1e-6): Tensor {
  return sum(mul(p, sub(log(add(p, eps)), log(add(q, eps)))), -1);
}

/** Symmetric KL per row. */
export function symKL(p: Tensor, q: Tensor): Tensor {
  return add(rowKL(p, q), rowKL(q, p));
}
