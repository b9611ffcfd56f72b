// Composite functions (no gradient code of their own): cosine similarity, InfoNCE, MSE.
import { Tensor, mul, sum, sqrt, add, div, logSoftmax, mean, sub, neg, slice, reshape } from '../tensor/index.js';

/** Cosine similarity along the last axis: a, b (..., d) → (...). */
export function cosineSimilarity(a: Tensor, b: Tensor, eps = 1e-8): Tensor {
  const dot = sum(mul(a, b), -1);
  const na = sqrt(add(sum(mul(a, a), -1), eps));
  const nb = sqrt(add(sum(mul(b, b), -1), eps));
  return div(dot, mul(na, nb));
}

/**
 * InfoNCE (van den Oord et al. 2018): logits (N, 1 + K) with the positive in column 0 → mean over N of
 * −log softmax(logits / τ)[0].
 */
export function infoNCE(logits: Tensor, temperature = 0.1): Tensor {
  const ls = logSoftmax(div(logits, temperature), -1); // (N, 1 + K)
  const [N] = ls.shape;
  return neg(mean(reshape(slice(ls, 1, 0, 1), [N])));
}

export function mseLoss(pred: Tensor, target: Tensor): Tensor {
  const d = sub(pred, target);
  return mean(mul(d, d));
}
