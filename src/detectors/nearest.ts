// k-th nearest neighbour by squared Euclidean distance through a precomputed dot-product row:
// ‖q − r_j‖² = ‖q‖² + ‖r_j‖² − 2 q·r_j. Shared by the k-NN baseline and CCL's memory of normal representations.

/**
 * The k-th smallest ‖q − r_j‖² over j < M outside [skipLo, skipHi), given dots[off + j] = q·r_j, qSq = ‖q‖²,
 * refSq[j] = ‖r_j‖², and a scratch array `best` of length k (1 ≤ k ≤ M). Infinity if fewer than k rows are left.
 * May be slightly negative from rounding; callers clamp.
 */
export function kthNearestSq(dots: Float32Array, off: number, M: number, qSq: number, refSq: ArrayLike<number>, best: Float64Array, skipLo = M, skipHi = M): number {
  const k = best.length;
  best.fill(Infinity);
  const lo = skipHi > skipLo ? skipLo : M; // an empty skip range skips nothing
  for (let j = 0; j < M; j++) {
    if (j === lo) {
      j = skipHi - 1; // the skipped rows (the query's own neighbourhood)
      continue;
    }
    const d2 = qSq + refSq[j] - 2 * dots[off + j];
    if (d2 < best[k - 1]) {
      // insert into the sorted list of the k smallest
      let p = k - 1;
      while (p > 0 && best[p - 1] > d2) {
        best[p] = best[p - 1];
        p--;
      }
      best[p] = d2;
    }
  }
  return best[k - 1];
}
