// The rows of an anomalous run that the online scorer keeps for typing and explaining its incident — bounded. An
// incident lasting hours would otherwise keep every row (its scorer state, rewritten at every step, grew by one row of
// C values per point) and re-type over all of them at every point. Past MAX_KEPT_ROWS rows every other row is dropped
// and from then on only every stride-th new row is kept: a fixed-size, evenly spaced sample of the whole run, which
// is what typing (median, linear fit, share of high points) and the explanation (mean deviation per metric) read.

/** Rows kept per run at most (then halved): 4 hours of 10-s points before the first halving is 1 440; 240 is 40 min. */
export const MAX_KEPT_ROWS = 240;

/** (n, C) rows, each the stride-th of the run's points since the last halving; `seen` counts the points offered. */
export interface KeptRows {
  rows: number[];
  /** Every stride-th point is kept (absent: 1, as in states saved before the bound). */
  stride?: number;
  /** Points offered so far (absent: the rows held, stride 1). */
  seen?: number;
}

/** Offers the run's next point's row (C,): kept when it falls on the stride; halves the rows past the bound. */
export function keepRow(k: KeptRows, row: ArrayLike<number>, C: number): void {
  const stride = k.stride ?? 1;
  const seen = k.seen ?? k.rows.length / C;
  k.seen = seen + 1;
  if (seen % stride !== 0) return;
  for (let c = 0; c < C; c++) k.rows.push(row[c]);
  if (k.rows.length > MAX_KEPT_ROWS * C) halve(k, C);
}

/** Rows of two runs of one incident (a, then b), under the same bound; b's rows are taken at a's stride. */
export function joinRows(a: KeptRows, b: KeptRows, C: number): KeptRows {
  const out: KeptRows = { rows: a.rows.slice(), stride: a.stride ?? 1, seen: a.seen ?? a.rows.length / C };
  const n = b.rows.length / C;
  for (let i = 0; i < n; i++) keepRow(out, b.rows.slice(i * C, i * C + C), C);
  return out;
}

/** Keeps rows 0, 2, 4, … and doubles the stride; `seen` stays, so the next kept point falls on the new stride. */
function halve(k: KeptRows, C: number): void {
  const n = k.rows.length / C;
  const rows: number[] = [];
  for (let i = 0; i < n; i += 2) for (let c = 0; c < C; c++) rows.push(k.rows[i * C + c]);
  k.rows = rows;
  k.stride = (k.stride ?? 1) * 2;
}
