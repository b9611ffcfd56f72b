// The reference backend: the Kernels contract in plain TypeScript loops, written to be obviously correct.
// Every other backend is tested against this one. Accumulations run in float64.
import type { BinaryKernel, Kernels, UnaryKernel } from '../backend.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** GELU, tanh approximation (Hendrycks & Gimpel 2016), as PyTorch's approximate='tanh'. */
export function geluScalar(x: number): number {
  return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
}

const unaryFns: Record<UnaryKernel, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  relu: (x) => (x > 0 ? x : x === x ? 0 : x), // NaN stays NaN
  gelu: geluScalar,
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  abs: Math.abs,
  recip: (x) => 1 / x,
};

const binaryFns: Record<BinaryKernel, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  max: (a, b) => (a !== a || b !== b ? NaN : a > b ? a : b),
  pow: Math.pow,
  reluGrad: (g, x) => (x > 0 ? g : 0),
};

function bmm(
  batch: number, M: number, N: number, K: number,
  A: Float32Array, strideA: number, transA: boolean,
  B: Float32Array, strideB: number, transB: boolean,
  C: Float32Array, accumulate: boolean, relu = false, bias: Float32Array | null = null,
): void {
  const row = new Float64Array(N); // one output row, accumulated in float64 (i-k-j order: B rows stream)
  const bT = transB ? new Float32Array(K * N) : null;
  for (let b = 0; b < batch; b++) {
    const a0 = b * strideA;
    const b0 = b * strideB;
    const c0 = b * M * N;
    let Bm: Float32Array = B;
    let bo = b0;
    if (bT) {
      // materialise op(B) = B_bᵀ as (K, N) once per batch entry
      for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) bT[k * N + j] = B[b0 + j * K + k];
      Bm = bT;
      bo = 0;
    }
    for (let i = 0; i < M; i++) {
      row.fill(0);
      for (let k = 0; k < K; k++) {
        const av = transA ? A[a0 + k * M + i] : A[a0 + i * K + k];
        const off = bo + k * N;
        for (let j = 0; j < N; j++) row[j] += av * Bm[off + j];
      }
      const co = c0 + i * N;
      for (let j = 0; j < N; j++) C[co + j] = accumulate ? C[co + j] + row[j] : row[j];
      if (bias) for (let j = 0; j < N; j++) C[co + j] += bias[j];
      if (relu) for (let j = 0; j < N; j++) C[co + j] = unaryFns.relu(C[co + j]);
    }
  }
}

function softmaxRows(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let mx = -Infinity;
    for (let j = 0; j < cols; j++) if (x[o + j] > mx || x[o + j] !== x[o + j]) mx = x[o + j];
    if (mx === -Infinity) mx = 0; // a fully masked row gives NaN below (0/0), as PyTorch does
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(x[o + j] - mx);
      out[o + j] = e;
      s += e;
    }
    for (let j = 0; j < cols; j++) out[o + j] = out[o + j] / s;
  }
}

function softmaxRowsBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += dy[o + j] * y[o + j];
    for (let j = 0; j < cols; j++) dx[o + j] = y[o + j] * (dy[o + j] - dot);
  }
}

function layerNormRows(x: Float32Array, out: Float32Array, mean: Float32Array, rstd: Float32Array, rows: number, cols: number, eps: number, residual?: Float32Array | null): void {
  const row = new Float32Array(cols); // x (+ residual, rounded to float32 as the add op's output is)
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) row[j] = residual ? x[o + j] + residual[o + j] : x[o + j];
    let m = 0;
    for (let j = 0; j < cols; j++) m += row[j];
    m /= cols;
    let v = 0;
    for (let j = 0; j < cols; j++) v += (row[j] - m) ** 2;
    const rs = 1 / Math.sqrt(v / cols + eps);
    mean[r] = m;
    rstd[r] = rs;
    for (let j = 0; j < cols; j++) out[o + j] = (row[j] - m) * rs;
  }
}

function layerNormRowsBackward(xhat: Float32Array, rstd: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let mdy = 0;
    let mdyx = 0;
    for (let j = 0; j < cols; j++) {
      mdy += dy[o + j];
      mdyx += dy[o + j] * xhat[o + j];
    }
    mdy /= cols;
    mdyx /= cols;
    for (let j = 0; j < cols; j++) dx[o + j] = rstd[r] * (dy[o + j] - mdy - xhat[o + j] * mdyx);
  }
}

function adamStep(
  p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array,
  lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number,
): void {
  const bc1 = 1 - Math.pow(beta1, step);
  const bc2 = 1 - Math.pow(beta2, step);
  for (let i = 0; i < p.length; i++) {
    m[i] = beta1 * m[i] + (1 - beta1) * g[i];
    v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
    const upd = m[i] / bc1 / (Math.sqrt(v[i] / bc2) + eps);
    p[i] = p[i] - lr * (upd + weightDecay * p[i]);
  }
}

export const referenceKernels: Kernels = {
  name: 'reference',
  bmm,
  unary(op, x, out) {
    const f = unaryFns[op];
    for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
  },
  binary(op, a, b, out) {
    const f = binaryFns[op];
    for (let i = 0; i < out.length; i++) out[i] = f(a[i], b[i]);
  },
  softmaxRows,
  softmaxRowsBackward,
  layerNormRows,
  layerNormRowsBackward,
  adamStep,
};
