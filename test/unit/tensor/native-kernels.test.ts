// The native kernels against the reference kernels on random shapes (odd sizes, 1×N, N×1, large K, batch with a
// broadcast operand, transposes, accumulate), at every SIMD level this CPU has (each forced in a child process).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as t from '../../../src/tensor/index.js';
import { referenceKernels } from '../../../src/tensor/backends/reference.js';
import type { Kernels } from '../../../src/tensor/index.js';
import { Rng } from '../../../src/tensor/index.js';
import { createHash } from 'node:crypto';
import { TransformerEncoderLayer } from '../../../src/nn/index.js';
import { Adam } from '../../../src/optim/index.js';

const rand = (n: number, rng: Rng): Float32Array => Float32Array.from({ length: n }, () => rng.normal());

function close(a: Float32Array, b: Float32Array, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(b[i])) {
      assert.ok(Number.isNaN(a[i]), `${what}[${i}]: expected NaN, got ${a[i]}`);
      continue;
    }
    assert.ok(Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(b[i])), `${what}[${i}]: native ${a[i]} vs reference ${b[i]}`);
  }
}

/** Throws on the first mismatch. */
function compareAll(nat: Kernels): void {
  const rng = new Rng(3);
  const shapes: [number, number, number, number][] = [
    [1, 1, 1, 1], [1, 7, 5, 3], [1, 1, 33, 17], [1, 33, 1, 17], [1, 13, 29, 1000], [1, 65, 70, 257], [3, 6, 16, 8], [5, 17, 31, 9], [1, 150, 200, 300],
    [1, 13, 29, 2100], [1, 40, 70, 3200], // long K, few blocks: the split-K path (uneven last range)
  ];
  for (const [batch, M, N, K] of shapes) {
    for (const tA of [false, true]) for (const tB of [false, true]) for (const broadcastB of [false, true]) for (const acc of [false, true]) {
      const A = rand(batch * M * K, rng);
      const B = rand((broadcastB ? 1 : batch) * K * N, rng);
      const C0 = rand(batch * M * N, rng);
      const cr = Float32Array.from(C0);
      const cn = Float32Array.from(C0);
      const sB = broadcastB ? 0 : K * N;
      referenceKernels.bmm(batch, M, N, K, A, M * K, tA, B, sB, tB, cr, acc);
      nat.bmm(batch, M, N, K, A, M * K, tA, B, sB, tB, cn, acc);
      close(cn, cr, 1e-4 * Math.sqrt(K), `bmm ${batch}×${M}×${N}×${K} tA=${tA} tB=${tB} bcast=${broadcastB} acc=${acc}`);
      if (tB || broadcastB) continue;
      // the fused ReLU epilogue = the product, then the relu op (bitwise: same GEMM, same clamp; NaN kept, −0 → +0)
      const cf = Float32Array.from(C0);
      nat.bmm(batch, M, N, K, A, M * K, tA, B, sB, tB, cf, acc, true);
      const cu = Float32Array.from(C0);
      nat.bmm(batch, M, N, K, A, M * K, tA, B, sB, tB, cu, acc);
      nat.unary('relu', cu, cu);
      cf.forEach((v, i) => assert.ok(Object.is(v, cu[i]), `bmm+relu ${batch}×${M}×${N}×${K} tA=${tA} acc=${acc} [${i}]: ${v} vs ${cu[i]}`));
      const rr = Float32Array.from(C0);
      referenceKernels.bmm(batch, M, N, K, A, M * K, tA, B, sB, tB, rr, acc, true);
      close(cf, rr, 1e-4 * Math.sqrt(K), `bmm+relu vs reference ${batch}×${M}×${N}×${K}`);
      // bias epilogue (+ relu): bitwise the product, then the add and relu kernels; and = reference
      const bias = rand(N, rng);
      for (const withRelu of [false, true]) {
        const cb = Float32Array.from(C0);
        nat.bmm(batch, M, N, K, A, M * K, tA, B, sB, tB, cb, acc, withRelu, bias);
        const cs = Float32Array.from(C0);
        nat.bmm(batch, M, N, K, A, M * K, tA, B, sB, tB, cs, acc);
        for (let r = 0; r < batch * M; r++) nat.binary('add', cs.subarray(r * N, (r + 1) * N), bias, cs.subarray(r * N, (r + 1) * N));
        if (withRelu) nat.unary('relu', cs, cs);
        cb.forEach((v, i) => assert.ok(Object.is(v, cs[i]), `bmm+bias${withRelu ? '+relu' : ''} ${batch}×${M}×${N}×${K} tA=${tA} acc=${acc} [${i}]: ${v} vs ${cs[i]}`));
        const rb = Float32Array.from(C0);
        referenceKernels.bmm(batch, M, N, K, A, M * K, tA, B, sB, tB, rb, acc, withRelu, bias);
        close(cb, rb, 1e-4 * Math.sqrt(K), `bmm+bias vs reference ${batch}×${M}×${N}×${K}`);
      }
    }
  }
  // the epilogue on special values: NaN stays NaN, −0 becomes +0 (K = 0: C is all +0 or the accumulated C)
  {
    const A = Float32Array.of(NaN, 0, 0, 0, 1, -1), B = Float32Array.of(1, -1, 0, 2, 0, 0), C = new Float32Array(4);
    nat.bmm(1, 2, 2, 3, A, 0, false, B, 0, false, C, false, true);
    const R = new Float32Array(4);
    referenceKernels.bmm(1, 2, 2, 3, A, 0, false, B, 0, false, R, false, true);
    C.forEach((v, i) => assert.ok(Object.is(v, R[i]), `bmm+relu specials [${i}]: ${v} vs ${R[i]}`));
    const Z = Float32Array.of(-1, 2, -0, NaN);
    nat.bmm(1, 2, 2, 0, new Float32Array(0), 0, false, new Float32Array(0), 0, false, Z, true, true);
    assert.deepEqual(Array.from(Z), [0, 2, 0, NaN]);
  }
  // strided gather (permuted, expanded, offset views) against the engine's own loop
  if (nat.gather) {
    const base = rand(5 * 7 * 9 * 4 + 11, rng);
    const views: [number[], number[], number][] = [
      [[5, 9, 7, 4], [252, 4, 36, 1], 3], // permute(0, 2, 1, 3) of (5, 7, 9, 4): the head split
      [[4, 315], [1, 4], 0], // a transpose
      [[6, 5, 63], [0, 252, 4], 2], // an expanded (broadcast) axis, inner stride 4
      [[1260], [1], 11], // plain contiguous with an offset
    ];
    for (const [shape, strides, offset] of views) {
      const n = shape.reduce((a, b) => a * b, 1);
      const a = new Float32Array(n);
      const b = new Float32Array(n);
      nat.gather(base, offset, shape, strides, a);
      let i = 0;
      const walk = (d: number, at: number): void => {
        if (d === shape.length) return void (b[i++] = base[at]);
        for (let k = 0; k < shape[d]; k++) walk(d + 1, at + k * strides[d]);
      };
      walk(0, offset);
      close(a, b, 0, `gather ${shape.join('×')}`);
    }
    assert.throws(() => nat.gather!(base, 0, [10_000], [1], new Float32Array(10_000)), /outside its storage/);
  }
  // robust scaling of rows (the online loop's windows into its batch): the very floats of JavaScript's loop
  if (nat.scaleColumns) {
    for (const [T, C] of [[1, 1], [64, 38], [7, 3], [130, 5]]) {
      const x = rand(T * C, rng).map((v) => v * 1e3);
      x[0] = NaN;
      const center = rand(C, rng);
      const scale = rand(C, rng).map((v) => Math.abs(v) + 1e-3);
      const a = new Float32Array(T * C + 9).fill(7);
      const b = new Float32Array(T * C + 9).fill(7);
      nat.scaleColumns(x, center, scale, a, 4);
      for (let i = 0; i < T * C; i++) b[4 + i] = (x[i] - center[i % C]) / scale[i % C];
      assert.ok(a.every((v, i) => Object.is(v, b[i])), `scaleColumns ${T}×${C}: bit for bit, the rest untouched`);
    }
    assert.throws(() => nat.scaleColumns!(new Float32Array(10), new Float32Array(5), new Float32Array(5), new Float32Array(10), 1), /too short/);
    assert.throws(() => nat.scaleColumns!(new Float32Array(10), new Float32Array(3), new Float32Array(3), new Float32Array(10), 0), /whole rows/);
  }
  if (nat.allFinite) {
    const x = rand(70001, rng);
    assert.equal(nat.allFinite(x), true);
    assert.equal(nat.allFinite(new Float32Array(0)), true);
    assert.equal(nat.allFinite(Float32Array.of(3.4028234663852886e38, -1e-45, -0)), true);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const y = x.slice();
      y[70000] = bad;
      assert.equal(nat.allFinite(y), false, String(bad));
      assert.equal(nat.allFinite(y.subarray(0, 70000)), true, 'a view ends where it says');
    }
  }
  const nanA = Float32Array.of(1, NaN, 3, 4);
  const outN = new Float32Array(4);
  nat.bmm(1, 2, 2, 2, nanA, 0, false, Float32Array.of(1, 0, 0, 1), 0, false, outN, false);
  assert.ok(Number.isNaN(outN[0]) && Number.isNaN(outN[1]) && outN[2] === 3, 'NaN propagates through GEMM');
  for (const n of [1, 7, 100, 70000]) {
    const x = rand(n, rng);
    const y = rand(n, rng);
    x[0] = NaN;
    for (const op of ['neg', 'exp', 'log', 'sqrt', 'relu', 'gelu', 'tanh', 'sigmoid', 'abs', 'recip'] as const) {
      const a = new Float32Array(n);
      const b = new Float32Array(n);
      nat.unary(op, x, a);
      referenceKernels.unary(op, x, b);
      close(a, b, 2e-6, `unary ${op} n=${n}`);
    }
    for (const op of ['add', 'sub', 'mul', 'div', 'max', 'pow', 'reluGrad'] as const) {
      const a = new Float32Array(n);
      const b = new Float32Array(n);
      nat.binary(op, x, y, a);
      referenceKernels.binary(op, x, y, b);
      close(a, b, 2e-6, `binary ${op} n=${n}`);
    }
  }
  // sums over the middle axis of (outer, R, inner): against a double loop — many small slabs (patch means), one wide
  // slab split over its columns (bias gradients), a single column, NaN
  for (const [outer, R, inner] of [[1, 1, 1], [3, 5, 7], [2000, 8, 64], [1, 3200, 384], [1, 50, 1000], [4, 9, 1]]) {
    const x = rand(outer * R * inner, rng);
    if (outer === 3) x[4] = NaN;
    const out = new Float32Array(outer * inner);
    nat.sumMid!(x, out, outer, R, inner);
    for (let o = 0; o < outer; o += Math.max(1, outer >> 3)) {
      for (let i = 0; i < inner; i++) {
        let s = 0;
        for (let r = 0; r < R; r++) s += x[(o * R + r) * inner + i];
        if (Number.isNaN(s)) assert.ok(Number.isNaN(out[o * inner + i]), 'sumMid NaN');
        else assert.ok(Math.abs(out[o * inner + i] - s) <= 1e-5 * (1 + Math.abs(s)), `sumMid ${outer}×${R}×${inner} [${o}][${i}]: ${out[o * inner + i]} vs ${s}`);
      }
    }
  }
  // row sums: against a double loop, including one long row (split over the pool) and NaN
  for (const [rows, cols] of [[1, 1], [3, 7], [1000, 64], [1, 300001], [2, 70000]]) {
    const x = rand(rows * cols, rng);
    if (rows === 2) x[5] = NaN;
    const out = new Float32Array(rows);
    nat.sumRows!(x, out, rows, cols);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += x[r * cols + j];
      if (Number.isNaN(s)) assert.ok(Number.isNaN(out[r]), 'sumRows NaN');
      else assert.ok(Math.abs(out[r] - s) <= 1e-5 * (1 + Math.abs(s)), `sumRows ${rows}×${cols} row ${r}: ${out[r]} vs ${s}`);
    }
  }
  for (const [rows, cols] of [[1, 1], [3, 7], [1000, 64], [7, 1000], [5, 100], [4, 17]]) {
    const x = rand(rows * cols, rng);
    const dy = rand(rows * cols, rng);
    const [ya, yb, da, db] = [0, 0, 0, 0].map(() => new Float32Array(rows * cols));
    nat.softmaxRows(x, ya, rows, cols);
    referenceKernels.softmaxRows(x, yb, rows, cols);
    close(ya, yb, 1e-6, 'softmax');
    nat.softmaxRowsBackward(yb, dy, da, rows, cols);
    referenceKernels.softmaxRowsBackward(yb, dy, db, rows, cols);
    close(da, db, 1e-5, 'softmax backward');
    if (cols > 1) {
      // a NaN row, a fully masked row (all −∞: probabilities 0), a partly masked row, a row of +∞ and finite values
      const sp = Float32Array.from(x);
      sp[0] = NaN;
      if (rows > 3) {
        sp.fill(-Infinity, cols, 2 * cols);
        for (let j = 0; j < cols; j += 3) sp[2 * cols + j] = -Infinity;
        sp[3 * cols + cols - 1] = Infinity;
      }
      nat.softmaxRows(sp, ya, rows, cols);
      referenceKernels.softmaxRows(sp, yb, rows, cols);
      close(ya, yb, 1e-6, `softmax ${rows}×${cols} with NaN / −∞ / +∞`);
    }
    const [ma, mb, ra, rb] = [0, 0, 0, 0].map(() => new Float32Array(rows));
    nat.layerNormRows(x, ya, ma, ra, rows, cols, 1e-5);
    referenceKernels.layerNormRows(x, yb, mb, rb, rows, cols, 1e-5);
    close(ya, yb, 1e-4, 'layerNorm');
    const res = rand(rows * cols, rng);
    nat.layerNormRows(x, ya, ma, ra, rows, cols, 1e-5, res);
    referenceKernels.layerNormRows(x, yb, mb, rb, rows, cols, 1e-5, res);
    close(ya, yb, 1e-4, 'layerNorm with residual');
    close(ra, rb, 1e-4, 'layerNorm with residual: rstd');
    nat.layerNormRowsBackward(yb, rb, dy, da, rows, cols);
    referenceKernels.layerNormRowsBackward(yb, rb, dy, db, rows, cols);
    close(da, db, 1e-4, 'layerNorm backward');
  }
  const p1 = rand(5000, rng), g = rand(5000, rng);
  const p2 = Float32Array.from(p1);
  const [m1, v1, m2, v2] = [0, 0, 0, 0].map(() => new Float32Array(5000));
  for (let s = 1; s <= 3; s++) {
    nat.adamStep(p1, g, m1, v1, 0.01, 0.9, 0.999, 1e-8, 0.01, s);
    referenceKernels.adamStep(p2, g, m2, v2, 0.01, 0.9, 0.999, 1e-8, 0.01, s);
  }
  close(p1, p2, 1e-6, 'adam');
  sameWhereverStored(nat);
}

/**
 * A kernel's result must not depend on where its arrays sit in memory. The auto-vectoriser guards a loop over several
 * arrays with a run-time overlap check and runs a scalar copy when they are close (small arrays packed next to each
 * other, as V8 and the arena place them); had the compiler fused a·b + c into an FMA in one copy and not in the other,
 * training would differ run to run by an ulp here and there (it did, for Adam on 8-element biases). Every kernel is
 * run on arrays far apart and on arrays packed into one buffer; the results must be bitwise equal.
 */
function sameWhereverStored(nat: Kernels): void {
  for (let n = 1; n <= 40; n++) {
    const run = (fill: (x: Float32Array[]) => void, sizes: number[], packed: boolean): Float32Array[] => {
      const init = sizes.map((k) => rand(k, new Rng(n * 7 + k)));
      const buf = new Float32Array(sizes.reduce((a, b) => a + b, 0));
      let at = 0;
      const arrays = init.map((x) => {
        const a = packed ? buf.subarray(at, at + x.length) : new Float32Array(x.length + 64).subarray(32, 32 + x.length);
        at += x.length;
        a.set(x);
        return a;
      });
      fill(arrays);
      return arrays.map((a) => Float32Array.from(a));
    };
    const cases: [string, number[], (x: Float32Array[]) => void][] = [
      ['adam', [n, n, n, n], ([p, g, m, v]) => {
        for (let i = 0; i < n; i++) v[i] = Math.abs(v[i]) * 1e-5;
        nat.adamStep(p, g, m, v, 3e-4, 0.9, 0.999, 1e-8, 0.01, 2);
      }],
      ['layerNormRows', [3 * n, 3 * n, 3, 3], ([x, o, m, r]) => nat.layerNormRows(x, o, m, r, 3, n, 1e-5)],
      ['layerNormRows + residual', [3 * n, 3 * n, 3, 3, 3 * n], ([x, o, m, r, res]) => nat.layerNormRows(x, o, m, r, 3, n, 1e-5, res)],
      ['softmaxRows', [3 * n, 3 * n], ([x, o]) => nat.softmaxRows(x, o, 3, n)],
      ['sumMid', [3 * n * 5, 3 * n], ([x, o]) => nat.sumMid!(x, o, 3, 5, n)],
      ['layerNormRowsBackward', [3, 3 * n, 3 * n, 3 * n], ([r, x, dy, dx]) => nat.layerNormRowsBackward(x, r.map(Math.abs), dy, dx, 3, n)],
      ['softmaxRowsBackward', [3 * n, 3 * n, 3 * n], ([y, dy, dx]) => nat.softmaxRowsBackward(y, dy, dx, 3, n)],
      ['gelu', [n, n], ([x, o]) => nat.unary('gelu', x, o)],
      ['pow', [n, n, n], ([a, b, o]) => nat.binary('pow', a.map(Math.abs), b, o)],
    ];
    for (const [name, sizes, fill] of cases) {
      const apart = run(fill, sizes, false);
      const packed = run(fill, sizes, true);
      apart.forEach((a, k) => a.forEach((v, i) => assert.ok(Object.is(v, packed[k][i]), `${name} n=${n}: array ${k}[${i}] ${v} (apart) vs ${packed[k][i]} (packed)`)));
    }
  }
}

/**
 * A digest of results whose arithmetic could follow the thread count: a split-K weight-gradient GEMM, a long row sum,
 * and three training steps of an encoder layer (every kernel of a step). Must be the same on any number of threads.
 */
function threadProbe(): string {
  t.setBackend('native');
  const nat = t.getBackend('native');
  const rng = new Rng(21);
  const h = createHash('sha256');
  const A = rand(3200 * 128, rng), B = rand(3200 * 384, rng), C = new Float32Array(128 * 384);
  nat.bmm(1, 128, 384, 3200, A, 0, true, B, 0, false, C, false);
  h.update(new Uint8Array(C.buffer));
  const x = rand(300000, rng), s = new Float32Array(1);
  nat.sumRows!(x, s, 1, 300000);
  h.update(new Uint8Array(s.buffer));
  const layer = new TransformerEncoderLayer(32, 2, rng, { ffn: 64 });
  const opt = new Adam(layer.parameters(), { lr: 1e-2 });
  const input = t.randn([16, 40, 32], rng);
  for (let i = 0; i < 3; i++) {
    t.arena(() => {
      opt.zeroGrad();
      const y = layer.forward(input).out;
      t.backward(t.mean(t.mul(y, y)));
      opt.step();
    });
  }
  for (const p of layer.parameters()) h.update(new Uint8Array(Float32Array.from(p.values()).buffer));
  return h.digest('hex');
}

if (process.env.FLS_THREADS_CHILD) {
  process.stdout.write(threadProbe());
} else if (process.env.FLS_KERNEL_CHILD) {
  compareAll(t.getBackend('native'));
} else {
  const have = t.backendNames().includes('native');
  describe('native backend vs reference', { skip: !have && `native addon not built: ${t.nativeUnavailableReason()}` }, () => {
    it(`at the CPU's own SIMD level (${t.nativeInfo()?.simd})`, () => compareAll(t.getBackend('native')));
    it('bad arguments are JS errors, not crashes', () => {
      const nat = t.getBackend('native');
      assert.throws(() => nat.bmm(1, 4, 4, 4, new Float32Array(3), 0, false, new Float32Array(16), 0, false, new Float32Array(16), false), /too short/);
      assert.throws(() => nat.unary('exp', new Float32Array(4), new Float32Array(2)), /shorter/);
    });
    it('JavaScript threads sharing the addon (worker_threads) get correct products, split-K included', async () => {
      // every worker and the main thread run GEMMs at once through the one native pool: jobs must not interleave
      const mod = new URL('../../../src/tensor/index.js', import.meta.url).href;
      const code = `
        const { parentPort, workerData } = require('node:worker_threads');
        import(workerData.mod).then((t) => {
          const nat = t.getBackend('native');
          const rng = new t.Rng(workerData.seed);
          let worst = 0;
          for (let r = 0; r < 12; r++) {
            for (const [M, N, K] of [[40, 70, 3200], [150, 96, 64], [6, 16, 5]]) {
              const A = Float32Array.from({ length: M * K }, () => rng.normal());
              const B = Float32Array.from({ length: K * N }, () => rng.normal());
              const C = new Float32Array(M * N);
              nat.bmm(1, M, N, K, A, 0, false, B, 0, false, C, false);
              for (let i = 0; i < M; i += 7) for (let j = 0; j < N; j += 5) {
                let s = 0;
                for (let k = 0; k < K; k++) s += A[i * K + k] * B[k * N + j];
                worst = Math.max(worst, Math.abs(C[i * N + j] - s) / (1 + Math.abs(s)));
              }
            }
          }
          parentPort.postMessage(worst);
        });`;
      const { Worker } = await import('node:worker_threads');
      const runs = [1, 2, 3].map((seed) => new Promise<number>((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: { mod, seed } });
        w.once('message', (m: number) => void w.terminate().then(() => resolve(m)));
        w.once('error', reject);
      }));
      const nat = t.getBackend('native');
      const rng = new Rng(9);
      for (let r = 0; r < 20; r++) {
        const A = rand(64 * 2048, rng), B = rand(2048 * 64, rng), C = new Float32Array(64 * 64), R = new Float32Array(64 * 64);
        nat.bmm(1, 64, 64, 2048, A, 0, false, B, 0, false, C, false);
        referenceKernels.bmm(1, 64, 64, 2048, A, 0, false, B, 0, false, R, false);
        close(C, R, 1e-4 * Math.sqrt(2048), 'main thread during workers');
        await new Promise((res) => setImmediate(res));
      }
      for (const worst of await Promise.all(runs)) assert.ok(worst < 1e-3, `worker products off by ${worst}`);
    });
    it('results do not depend on the thread count (1 and 3 threads in child processes, and this one)', () => {
      const prev = t.backend().name;
      let here: string;
      try {
        here = threadProbe();
      } finally {
        t.setBackend(prev);
      }
      for (const threads of ['1', '3']) {
        const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], { env: { ...process.env, FLS_THREADS_CHILD: '1', FLINKSCOPE_THREADS: threads }, encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, here, `${threads} thread(s) vs ${t.nativeInfo()?.threads} here`);
      }
    });
    for (const level of ['scalar', 'avx2']) {
      it(`forced ${level} path (child process)`, () => {
        const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], { env: { ...process.env, FLS_KERNEL_CHILD: '1', FLINKSCOPE_SIMD: level }, encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
      });
    }
  });
}
