// The CCL losses, one named function each. Shapes: B windows, L timestamps, d features, K negatives, C channels.
import { Tensor, concat, div, matmul, mean, mul, relu, reshape, slice, sqrt, sub, sum, add, transpose } from '../../tensor/index.js';
import { cosineSimilarity, infoNCE } from '../../nn/index.js';

function normalize(x: Tensor): Tensor {
  return div(x, sqrt(add(sum(mul(x, x), -1, true), 1e-8))); // (..., d) unit rows
}

/**
 * Cross-contrastive InfoNCE: the anchor a_t's positive is the other view at the next timestamp p_{t+1};
 * its negatives are the K local representations of injected anomalies in the same window. a, p (B, L, d); neg (B, K, d).
 */
export function crossViewInfoNCE(a: Tensor, p: Tensor, neg: Tensor, tau: number): Tensor {
  const [B, L] = a.shape;
  const an = normalize(slice(a, 1, 0, L - 1)); // (B, L−1, d)
  const pn = normalize(slice(p, 1, 1, L)); // (B, L−1, d)
  const pos = reshape(sum(mul(an, pn), -1), [B, L - 1, 1]); // (B, L−1, 1)
  const negSim = matmul(an, transpose(normalize(neg))); // (B, L−1, K)
  const logits = concat([pos, negSim], 2); // (B, L−1, 1+K)
  return infoNCE(reshape(logits, [B * (L - 1), -1]), tau);
}

/** Both directions: global → next local, and local → next global. */
export function crossContrastiveLoss(g: Tensor, l: Tensor, neg: Tensor, tau: number): Tensor {
  return mul(add(crossViewInfoNCE(g, l, neg, tau), crossViewInfoNCE(l, g, neg, tau)), 0.5);
}

/** Per-timestamp reconstruction residual ‖x̂_t − x_t‖ / √C: xhat, x (B, L, C) → (B, L). */
export function residual(xhat: Tensor, x: Tensor): Tensor {
  const C = x.shape[x.ndim - 1];
  const d = sub(xhat, x);
  return sqrt(add(div(sum(mul(d, d), -1), C), 1e-12));
}

/** Boundary loss: mean_t max(r_t − b_t, 0); zero (and zero gradient) for timestamps inside their boundary. */
export function boundaryLoss(r: Tensor, b: Tensor): Tensor {
  return mean(relu(sub(r, b)));
}

/**
 * Cross-view disagreement per timestamp along the pairs the contrastive loss trained:
 * 1 − ½ (cos(g_{t−1}, l_t) + cos(l_{t−1}, g_t)) → (B, L); the first timestamp repeats the second.
 */
export function viewDisagreement(g: Tensor, l: Tensor): Tensor {
  const L = g.shape[1];
  const a = cosineSimilarity(slice(g, 1, 0, L - 1), slice(l, 1, 1, L)); // (B, L−1)
  const b = cosineSimilarity(slice(l, 1, 0, L - 1), slice(g, 1, 1, L));
  const d = sub(1, mul(add(a, b), 0.5)); // (B, L−1): timestamps 1..L−1
  return concat([slice(d, 1, 0, 1), d], 1);
}
