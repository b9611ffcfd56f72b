// Sliding windows over a (T, C) matrix and the fold back of per-window scores to per-timestamp scores.

/** Start offsets of windows of length L with the given stride; the last window always ends at T. */
export function windowStarts(T: number, L: number, stride: number): number[] {
  if (T < L) return [];
  const starts: number[] = [];
  for (let s = 0; s + L <= T; s += stride) starts.push(s);
  if (starts[starts.length - 1] !== T - L) starts.push(T - L);
  return starts;
}

/** Gathers windows into one (B, L, C) buffer. */
export function gatherWindows(x: Float32Array, C: number, L: number, starts: number[]): Float32Array {
  const out = new Float32Array(starts.length * L * C);
  starts.forEach((s, b) => out.set(x.subarray(s * C, (s + L) * C), b * L * C));
  return out;
}

/** Pads a series shorter than L at the front by repeating its first row, so it fills one window. */
export function padFront(x: Float32Array, T: number, C: number, L: number): Float32Array {
  if (T >= L) return x;
  const out = new Float32Array(L * C);
  for (let t = 0; t < L - T; t++) out.set(x.subarray(0, C), t * C);
  out.set(x, (L - T) * C);
  return out;
}

/** Accumulates (B, L) window scores at their start offsets and returns the per-timestamp mean (T,). */
export class ScoreFolder {
  private sum: Float64Array;
  private count: Uint32Array;
  constructor(readonly T: number) {
    this.sum = new Float64Array(T);
    this.count = new Uint32Array(T);
  }
  add(scores: Float32Array, starts: number[], L: number): void {
    starts.forEach((s, b) => {
      for (let i = 0; i < L; i++) {
        this.sum[s + i] += scores[b * L + i];
        this.count[s + i]++;
      }
    });
  }
  result(): Float32Array {
    const out = new Float32Array(this.T);
    for (let t = 0; t < this.T; t++) out[t] = this.count[t] ? this.sum[t] / this.count[t] : 0;
    return out;
  }
}
