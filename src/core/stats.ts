// Order statistics shared by every layer: one median, one quantile. NaN-free input is the caller's business unless a
// function says it filters.

/** Median of a (not necessarily sorted) array: the mean of the two middle values for an even length; NaN if empty. */
export function median(a: ArrayLike<number>): number {
  if (a.length === 0) return NaN;
  const s = Float64Array.from(a as ArrayLike<number>).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** q-quantile (0..1) of sorted values, linear interpolation between neighbours; NaN if empty. */
export function quantileSorted(v: ArrayLike<number>, q: number): number {
  if (v.length === 0) return NaN;
  const pos = Math.min(Math.max(q, 0), 1) * (v.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

/** The finite values of a, sorted ascending (float64). */
export function sortedFinite(a: ArrayLike<number>): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i])) out.push(a[i]);
  return Float64Array.from(out).sort();
}

/** q-quantile (0..1) of the finite values, linear interpolation; NaN if none is finite. */
export function quantile(values: ArrayLike<number>, q: number): number {
  return quantileSorted(sortedFinite(values), q);
}

/** Median absolute deviation about `level`, scaled by 1.4826 to estimate a normal sigma. */
export function madSigma(a: ArrayLike<number>, level = median(a)): number {
  return median(Array.from(a as ArrayLike<number>, (v) => Math.abs(v - level))) * 1.4826;
}

/** The spread of a baseline about `level`, for z-scores of deviations from it: madSigma; where most values sit on
 *  one value (MAD 0: a GC rate, back-pressure at 0) the standard deviation; floored at 1e-6 · max(1, |level|) so a
 *  flat baseline does not divide by zero. Explanations and typing read the same spread. */
export function robustSpread(a: ArrayLike<number>, level = median(a)): number {
  const mad = madSigma(a, level);
  let spread = mad;
  if (!(mad > 0) && a.length > 0) {
    let mean = 0;
    for (let i = 0; i < a.length; i++) mean += a[i];
    mean /= a.length;
    let ss = 0;
    for (let i = 0; i < a.length; i++) ss += (a[i] - mean) ** 2;
    spread = Math.sqrt(ss / Math.max(a.length - 1, 1));
  }
  return Math.max(spread, 1e-6 * Math.max(1, Math.abs(level)));
}

/** The arrays one after another in one Float32Array. */
export function concatF32(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The level each point held: the lowest of its last k values (fewer at the start), so one high sample among lower
 *  ones does not count and a run of k high samples does. NaN in the window gives NaN. k = 1 copies. Written into
 *  `out` (default: a Float32Array, as scores are; a Float64Array keeps float64 values exact). */
export function heldLevel<T extends Float32Array | Float64Array = Float32Array>(a: ArrayLike<number>, k: number, out?: T): T {
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`hold must be an integer ≥ 1 (got ${k})`);
  out ??= new Float32Array(a.length) as T;
  if (out.length !== a.length) throw new RangeError(`heldLevel: out holds ${out.length} values, not ${a.length}`);
  for (let i = 0; i < a.length; i++) {
    let m = a[i];
    for (let j = Math.max(0, i - k + 1); j < i; j++) m = Math.min(m, a[j]);
    out[i] = m;
  }
  return out;
}
