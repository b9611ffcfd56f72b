// Threshold-free metrics: AUC-ROC (Mann–Whitney with tied ranks) and AUC-PR as average precision.
import { checkPair } from './events.js';

export function aucRoc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkPair('aucRoc', scores, labels);
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[idx[k]]) {
      pos++;
      rankSum += avgRank;
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Tie groups in descending score order: for each group, the points ranked so far (`seen`) and its positives (`tp`);
 *  `P` = all positives (0: no group is visited). */
function descendingGroups(scores: ArrayLike<number>, labels: ArrayLike<number>, visit: (seen: number, tpGroup: number, P: number) => void): number {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let P = 0;
  for (let i = 0; i < n; i++) if (labels[i]) P++;
  if (P === 0) return 0;
  for (let i = 0; i < n; ) {
    let j = i;
    let tpGroup = 0;
    while (j < n && scores[idx[j]] === scores[idx[i]]) {
      if (labels[idx[j]]) tpGroup++;
      j++;
    }
    visit(j, tpGroup, P);
    i = j;
  }
  return P;
}

/** Average precision: Σ over positives (in descending score order, ties grouped) of precision × Δrecall. */
export function aucPr(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkPair('aucPr', scores, labels);
  let tp = 0;
  let ap = 0;
  const P = descendingGroups(scores, labels, (seen, tpGroup, all) => {
    tp += tpGroup;
    ap += (tp / seen) * (tpGroup / all);
  });
  return P === 0 ? NaN : ap;
}

/**
 * The best point-wise F1 any threshold could reach on these scores: an ORACLE that reads the test labels to pick the
 * threshold — an upper bound on what a threshold rule can get out of the scores, never a result.
 * F1 at a cut keeping the top n points = 2·tp / (n + P); ties are cut together.
 */
export function oracleBestF1(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkPair('oracleBestF1', scores, labels);
  let tp = 0;
  let best = 0;
  const P = descendingGroups(scores, labels, (seen, tpGroup, all) => {
    tp += tpGroup;
    best = Math.max(best, (2 * tp) / (seen + all));
  });
  return P === 0 ? NaN : best;
}
