// The backend contract: the few hot kernels a backend may provide, on contiguous row-major Float32Arrays.
// The engine (ops.ts) validates shapes and dispatches here; it never imports a backend directly.
// Backends register by name; `reference` (plain TypeScript, obviously correct) is always present,
// `native` (C++ addon, SIMD + threads) registers itself when its addon loads.

export type UnaryKernel = 'neg' | 'exp' | 'log' | 'sqrt' | 'relu' | 'gelu' | 'tanh' | 'sigmoid' | 'abs' | 'recip';
/** reluGrad(g, x) = x > 0 ? g : 0 (the ReLU backward; not an op of its own). */
export type BinaryKernel = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'pow' | 'reluGrad';

/** Offset and (batch, head, row) strides of an attention operand; the last axis has stride 1. */
export interface AttnStrides {
  offset: number;
  sb: number;
  sh: number;
  st: number;
}

/** Where an attention gradient goes: its storage and the (B, H, rows, dh) view into it. */
export interface AttnOut {
  data: Float32Array;
  view: AttnStrides;
}

export interface Kernels {
  readonly name: string;
  /**
   * Batched SGEMM: for b in [0, batch): C_b (M, N) = op(A_b) (M, K) · op(B_b) (K, N) + (accumulate ? C_b : 0).
   * A_b starts at b * strideA (strideA = 0 broadcasts one A over the batch; same for B); C_b at b * M * N.
   * op(A_b) = A_b stored (M, K) if !transA, else A_b stored (K, M) and transposed. Same for B: (K, N) or (N, K).
   * Fused epilogue, in the GEMM's stores: bias (N values, or null) added to every row of C_b, then relu: clamped as the
   * relu op does (x > 0 or NaN kept, else +0).
   */
  bmm(
    batch: number, M: number, N: number, K: number,
    A: Float32Array, strideA: number, transA: boolean,
    B: Float32Array, strideB: number, transB: boolean,
    C: Float32Array, accumulate: boolean, relu?: boolean, bias?: Float32Array | null,
  ): void;
  /** out[i] = f(x[i]) for every i; out may alias x. */
  unary(op: UnaryKernel, x: Float32Array, out: Float32Array): void;
  /** out[i] = a[i] ∘ b[i], same length (broadcasting is done by the engine); out may alias a or b. */
  binary(op: BinaryKernel, a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** Optional: out[r] = Σ_j x[r·cols + j], accumulated in double (the engine sums in JavaScript when a backend has none). */
  sumRows?(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  /** Optional: out[o·inner + i] = Σ_r x[(o·R + r)·inner + i] — a sum over the middle axis of (outer, R, inner), in double. */
  sumMid?(x: Float32Array, out: Float32Array, outer: number, R: number, inner: number): void;
  /** Row softmax over the last axis of a (rows, cols) matrix; -Infinity entries get probability 0. */
  softmaxRows(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  /** dx = y ⊙ (dy − Σ_j dy_j y_j) per row (the softmax backward). */
  softmaxRowsBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void;
  /**
   * Layer norm over rows without affine: out = (x − mean) · rstd; writes mean (rows) and rstd (rows). With `residual`
   * (rows × cols) the rows of x + residual (summed in float32, as the add op) are normalised instead.
   */
  layerNormRows(x: Float32Array, out: Float32Array, mean: Float32Array, rstd: Float32Array, rows: number, cols: number, eps: number, residual?: Float32Array | null): void;
  /** Backward of layerNormRows given its output xhat: dx = rstd · (dy − mean(dy) − xhat · mean(dy ⊙ xhat)). */
  layerNormRowsBackward(xhat: Float32Array, rstd: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void;
  /** Optional: out = row-major values of the strided view (x, offset, shape, strides ≥ 0). The engine falls back to
   *  its own loop when a backend has none. */
  gather?(x: Float32Array, offset: number, shape: readonly number[], strides: readonly number[], out: Float32Array): void;
  /** Optional: out[at + i] = (x[i] − center[i mod C]) / scale[i mod C] computed in double, C = center.length (a robust
   *  scaling of (n, C) rows). Callers fall back to their own loop when a backend has none. */
  scaleColumns?(x: Float32Array, center: Float32Array, scale: Float32Array, out: Float32Array, at: number): void;
  /** Optional: whether every value of x is finite (callers loop themselves when a backend has none). */
  allFinite?(x: Float32Array): boolean;
  /**
   * Optional fused attention forward over B·H heads. q, k, v are strided views: element (b, h, t, d) of q at
   * q[qv.offset + b·qv.sb + h·qv.sh + t·qv.st + d] (same for k, v with S rows). Per head: p = softmax(scale · q kᵀ + mask)
   * (mask (T, S) additive or null; −∞ → 0), out (B, T, H, dh) = p v; probs (B, H, T, S) receives p when not null.
   * The engine composes matmul/softmax itself when a backend has none.
   */
  attention?(
    B: number, H: number, T: number, S: number, dh: number,
    q: Float32Array, qv: AttnStrides, k: Float32Array, kv: AttnStrides, v: Float32Array, vv: AttnStrides,
    mask: Float32Array | null, scale: number, out: Float32Array, probs: Float32Array | null,
  ): void;
  /**
   * Optional backward of `attention` from its probabilities p (B, H, T, S) and the output gradient g (a strided
   * (B, H, T, dh) view): dv = pᵀ g, ds = scale · p ⊙ (g vᵀ − rowsum(g vᵀ ⊙ p)), dq = ds k, dk = dsᵀ q, each written
   * through its output view (dq (B, H, T, dh), dk and dv (B, H, S, dh)); a null output is not computed. mask: the
   * forward's (T, S) mask, if any — a band mask lets the kernel skip the keys outside each row's band.
   */
  attentionBackward?(
    B: number, H: number, T: number, S: number, dh: number,
    q: Float32Array, qv: AttnStrides, k: Float32Array, kv: AttnStrides, v: Float32Array, vv: AttnStrides,
    g: Float32Array, gv: AttnStrides, probs: Float32Array, scale: number,
    dq: AttnOut | null, dk: AttnOut | null, dv: AttnOut | null, mask?: Float32Array | null,
  ): void;
  /**
   * One AdamW step in place (step is 1-based): m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
   * p −= lr · ( (m / (1−β1^step)) / (sqrt(v / (1−β2^step)) + eps) + weightDecay · p ).
   */
  adamStep(
    p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number,
  ): void;
}

const registry = new Map<string, Kernels>();
let active: Kernels | null = null;

export function registerBackend(k: Kernels): void {
  registry.set(k.name, k);
}
export function backendNames(): string[] {
  return [...registry.keys()];
}
export function getBackend(name: string): Kernels {
  const k = registry.get(name);
  if (!k) throw new Error(`tensor backend '${name}' is not registered (have: ${backendNames().join(', ') || 'none'})`);
  return k;
}
/** Makes `name` the backend all ops dispatch to. */
export function setBackend(name: string): void {
  active = getBackend(name);
}
export function backend(): Kernels {
  if (!active) throw new Error('no tensor backend is active: import src/tensor/index.js, which registers them');
  return active;
}
