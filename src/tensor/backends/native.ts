// The native backend: the C++ addon in native/ (built by node-gyp during `npm ci`), wrapped as a Kernels object.
// SIMD level (AVX-512 / AVX2+FMA / scalar) is chosen by the addon at load time (FLINKSCOPE_SIMD=scalar|avx2 forces a
// lower one), its thread pool uses every core (FLINKSCOPE_THREADS overrides). If the addon is missing the engine
// stays on `reference` and says why once.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AttnOut, AttnStrides, BinaryKernel, Kernels, UnaryKernel } from '../backend.js';

interface Addon {
  bmm(batch: number, M: number, N: number, K: number, A: Float32Array, sA: number, tA: boolean, B: Float32Array, sB: number, tB: boolean, C: Float32Array, acc: boolean, relu?: boolean, bias?: Float32Array | null): void;
  unary(op: number, x: Float32Array, out: Float32Array): void;
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array): void;
  softmaxRows(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  sumRows?(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  sumMid?(x: Float32Array, out: Float32Array, outer: number, R: number, inner: number): void;
  softmaxRowsBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void;
  layerNormRows(x: Float32Array, out: Float32Array, mean: Float32Array, rstd: Float32Array, rows: number, cols: number, eps: number, residual?: Float32Array | null): void;
  layerNormRowsBackward(xhat: Float32Array, rstd: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void;
  adamStep(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number, b1: number, b2: number, eps: number, wd: number, step: number): void;
  attention?(B: number, H: number, T: number, S: number, dh: number,
    q: Float32Array, qo: number, qsb: number, qsh: number, qst: number, k: Float32Array, ko: number, ksb: number, ksh: number, kst: number,
    v: Float32Array, vo: number, vsb: number, vsh: number, vst: number, mask: Float32Array | null, scale: number, out: Float32Array, probs: Float32Array | null): void;
  attentionBackward?(B: number, H: number, T: number, S: number, dh: number,
    q: Float32Array, qo: number, qsb: number, qsh: number, qst: number, k: Float32Array, ko: number, ksb: number, ksh: number, kst: number,
    v: Float32Array, vo: number, vsb: number, vsh: number, vst: number, g: Float32Array, go: number, gsb: number, gsh: number, gst: number,
    probs: Float32Array, scale: number, ...outs: (Float32Array | number | null)[]): void;
  gather?(x: Float32Array, offset: number, shape: readonly number[], strides: readonly number[], out: Float32Array): void;
  scaleColumns?(x: Float32Array, center: Float32Array, scale: Float32Array, out: Float32Array, at: number): void;
  allFinite?(x: Float32Array): boolean;
  info(): { simd: 'avx512' | 'avx2' | 'scalar'; threads: number };
}

const UNARY: Record<UnaryKernel, number> = { neg: 0, exp: 1, log: 2, sqrt: 3, relu: 4, gelu: 5, tanh: 6, sigmoid: 7, abs: 8, recip: 9 };
const BINARY: Record<BinaryKernel, number> = { add: 0, sub: 1, mul: 2, div: 3, max: 4, pow: 5, reluGrad: 6 };

let reason: string | null = null;
let addon: Addon | null = null;

/** The project root: the nearest ancestor with native/ and package.json (works from src/ and from dist/src/). */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'native'))) return dir;
    dir = dirname(dir);
  }
  return dir;
}

export function nativeUnavailableReason(): string | null {
  return reason;
}

export function nativeInfo(): { simd: string; threads: number } | null {
  return addon ? addon.info() : null;
}

export function loadNativeBackend(): Kernels | null {
  if (addon) return wrap(addon);
  const path = join(projectRoot(), 'native', 'build', 'Release', 'flinkscope_native.node');
  if (!existsSync(path)) {
    reason = `native addon not built (${path} missing; run \`npm ci\` or \`node scripts/build-native.mjs\`)`;
    return null;
  }
  try {
    addon = createRequire(import.meta.url)(path) as Addon;
  } catch (e) {
    reason = `native addon failed to load: ${(e as Error).message}`;
    return null;
  }
  return wrap(addon);
}

function wrap(a: Addon): Kernels {
  return {
    name: 'native',
    bmm: (batch, M, N, K, A, sA, tA, B, sB, tB, C, acc, relu, bias) => a.bmm(batch, M, N, K, A, sA, tA, B, sB, tB, C, acc, relu === true, bias ?? null),
    unary: (op, x, out) => a.unary(UNARY[op], x, out),
    binary: (op, x, y, out) => a.binary(BINARY[op], x, y, out),
    softmaxRows: (x, out, r, c) => a.softmaxRows(x, out, r, c),
    softmaxRowsBackward: (y, dy, dx, r, c) => a.softmaxRowsBackward(y, dy, dx, r, c),
    layerNormRows: (x, out, m, rs, r, c, eps, res) => a.layerNormRows(x, out, m, rs, r, c, eps, res ?? null),
    layerNormRowsBackward: (xh, rs, dy, dx, r, c) => a.layerNormRowsBackward(xh, rs, dy, dx, r, c),
    adamStep: (p, g, m, v, lr, b1, b2, eps, wd, step) => a.adamStep(p, g, m, v, lr, b1, b2, eps, wd, step),
    ...(a.attention
      ? {
          attention: (B: number, H: number, T: number, S: number, dh: number, q: Float32Array, qv: AttnStrides, k: Float32Array, kv: AttnStrides, v: Float32Array, vv: AttnStrides, mask: Float32Array | null, scale: number, out: Float32Array, probs: Float32Array | null) =>
            a.attention!(B, H, T, S, dh, q, qv.offset, qv.sb, qv.sh, qv.st, k, kv.offset, kv.sb, kv.sh, kv.st, v, vv.offset, vv.sb, vv.sh, vv.st, mask, scale, out, probs),
        }
      : {}),
    ...(a.attentionBackward
      ? {
          attentionBackward: (B: number, H: number, T: number, S: number, dh: number, q: Float32Array, qv: AttnStrides, k: Float32Array, kv: AttnStrides, v: Float32Array, vv: AttnStrides, g: Float32Array, gv: AttnStrides, probs: Float32Array, scale: number, dq: AttnOut | null, dk: AttnOut | null, dv: AttnOut | null, mask?: Float32Array | null) => {
            const out = (o: AttnOut | null): (Float32Array | number | null)[] => (o ? [o.data, o.view.offset, o.view.sb, o.view.sh, o.view.st] : [null, 0, 0, 0, 0]);
            a.attentionBackward!(B, H, T, S, dh, q, qv.offset, qv.sb, qv.sh, qv.st, k, kv.offset, kv.sb, kv.sh, kv.st, v, vv.offset, vv.sb, vv.sh, vv.st, g, gv.offset, gv.sb, gv.sh, gv.st, probs, scale, ...out(dq), ...out(dk), ...out(dv), mask ?? null);
          },
        }
      : {}),
    ...(a.sumRows ? { sumRows: (x: Float32Array, out: Float32Array, r: number, c: number) => a.sumRows!(x, out, r, c) } : {}),
    ...(a.sumMid ? { sumMid: (x: Float32Array, out: Float32Array, o: number, r: number, i: number) => a.sumMid!(x, out, o, r, i) } : {}),
    // an addon built before `gather` existed still loads; the engine then copies views itself
    ...(a.gather ? { gather: (x: Float32Array, off: number, shape: readonly number[], strides: readonly number[], out: Float32Array) => a.gather!(x, off, shape, strides, out) } : {}),
    ...(a.scaleColumns ? { scaleColumns: (x: Float32Array, c: Float32Array, s: Float32Array, out: Float32Array, at: number) => a.scaleColumns!(x, c, s, out, at) } : {}),
    ...(a.allFinite ? { allFinite: (x: Float32Array) => a.allFinite!(x) } : {}),
  };
}
