// `npm run bench:engine`: flinkscope's engine against PyTorch (../shared/bench/torch_reference.py) in the same run,
// alternating the two, one JSON line per case and implementation (see ../shared/design/benchmarks.md):
//   sgemm-MxKxN      GFLOP/s of the native SGEMM vs torch.mm (OpenBLAS)
//   train-step-d128  ms per training step of the reference transformer (B 32, L 100, C 38, d 128, 2 layers, 4 heads,
//                    FFN 256, no biases, post-norm LN without affine, ReLU, loss mean(h²), Adam)
//   forward-d128     ms per forward pass of the same model vs onnxruntime-node running its ONNX export
// Options: --steps N (default 20), --rounds N (alternations, default 2), --quick (tiny sizes, a smoke run).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as t from '../src/tensor/index.js';
import { Rng, Tensor } from '../src/tensor/index.js';
import { Linear, TransformerEncoderLayer } from '../src/nn/index.js';
import { Adam } from '../src/optim/index.js';

const args = process.argv.slice(2);
const opt = (name: string, d: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const quick = args.includes('--quick');
const steps = opt('--steps', quick ? 3 : 20);
const rounds = opt('--rounds', quick ? 1 : 2);
const TORCH = process.env.FLINKSCOPE_TORCH_REFERENCE ?? new URL('../../../shared/bench/torch_reference.py', import.meta.url).pathname;

// Debian's python3-torch lives in the system Python, not in a pyenv/venv that may shadow `python3` on PATH
const PY = process.env.FLINKSCOPE_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1];
const emit = (o: Record<string, unknown>): void => console.log(JSON.stringify(o));

function torchAvailable(): string | null {
  if (!existsSync(TORCH)) return `reference script not found at ${TORCH} (set FLINKSCOPE_TORCH_REFERENCE)`;
  const ok = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' });
  if (ok.status === 0) return null;
  if (process.getuid?.() === 0 && !quick) {
    console.error('[bench] installing Debian python3-torch and libopenblas0-pthread (PyTorch reference) …');
    const r = spawnSync('apt-get', ['install', '-y', '-q', 'python3-torch', 'libopenblas0-pthread'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status === 0 && spawnSync(PY, ['-c', 'import torch']).status === 0) return null;
  }
  return 'python3-torch is not installed (apt-get install python3-torch libopenblas0-pthread)';
}

function runTorch(kase: 'train' | 'gemm'): Record<string, number>[] {
  const r = spawnSync(PY, [TORCH, '--case', kase, '--steps', String(steps), '--threads', String(t.nativeInfo()?.threads ?? 2)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`torch_reference.py failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

function sgemm(M: number, K: number, N: number): number {
  const k = t.backend();
  const rng = new Rng(1);
  const A = Float32Array.from({ length: M * K }, () => rng.normal());
  const B = Float32Array.from({ length: K * N }, () => rng.normal());
  const C = new Float32Array(M * N);
  for (let i = 0; i < 3; i++) k.bmm(1, M, N, K, A, 0, false, B, 0, false, C, false);
  const it = M * N * K < 1e8 ? (quick ? 20 : 200) : quick ? 2 : 20;
  const t0 = performance.now();
  for (let i = 0; i < it; i++) k.bmm(1, M, N, K, A, 0, false, B, 0, false, C, false);
  return (2 * M * N * K) / ((performance.now() - t0) / 1000 / it) / 1e9;
}

function referenceModel(rng: Rng): { params: Tensor[]; forward: (x: Tensor) => Tensor } {
  const D = 128;
  const embed = new Linear(38, D, rng, { bias: false });
  const layers = [0, 1].map(() => new TransformerEncoderLayer(D, 4, rng, { ffn: 256, bias: false, affineNorm: false, activation: 'relu', dropout: 0 }));
  return {
    params: [...embed.parameters(), ...layers.flatMap((l) => l.parameters())],
    forward: (x) => layers.reduce((h, l) => l.forward(h, undefined, { map: false }).out, embed.forward(x)),
  };
}

/** Memory of the train step: RSS after warm-up and after the timed steps (no growth = no leak), and the peak. */
let memory: Record<string, number> = {};
const mb = (b: number): number => Number((b / 2 ** 20).toFixed(1));

function trainStep(): { ms: number; fwd: number } {
  const rng = new Rng(0);
  const B = quick ? 4 : 32;
  const x = t.randn([B, 100, 38], rng);
  const m = referenceModel(rng);
  const adam = new Adam(m.params, { lr: 1e-3 });
  // each step in an arena: after the first, activations and gradients reuse the previous step's buffers
  const step = (): void =>
    t.arena(() => {
      adam.zeroGrad();
      const h = m.forward(x);
      t.backward(t.mean(t.mul(h, h)));
      adam.step();
    });
  for (let i = 0; i < 3; i++) step();
  const rssWarm = process.memoryUsage().rss;
  const arenaWarm = t.arenaStats();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  const arenaEnd = t.arenaStats();
  memory = {
    rss_mb_after_warmup: mb(rssWarm), rss_mb_after_steps: mb(process.memoryUsage().rss), peak_rss_mb: mb(process.resourceUsage().maxRSS * 1024),
    // buffers ≥ 1 KiB newly allocated per timed step (0 = the step runs entirely on reused buffers), and the arena's size
    fresh_buffers_per_step: Number(((arenaEnd.fresh - arenaWarm.fresh) / steps).toFixed(2)),
    reused_buffers_per_step: Number(((arenaEnd.reused - arenaWarm.reused) / steps).toFixed(1)),
    arena_mb: mb(arenaEnd.pooledBytes),
  };
  const fw: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    t.arena(() => t.noGrad(() => void m.forward(x)));
    fw.push(performance.now() - t0);
  }
  return { ms: median(times), fwd: median(fw) };
}

/** The forward peer: the same model exported by the PyTorch reference as ONNX, run by onnxruntime-node (a benchmark
 *  dev dependency; its CPU binary ships in the package). Returns ms per batch, or why it could not run. */
async function onnxForward(): Promise<number[] | string> {
  if (torchMissing) return `needs the PyTorch reference to export the model (${torchMissing})`;
  let ort: typeof import('onnxruntime-node');
  try {
    ort = await import('onnxruntime-node');
  } catch (e) {
    return `onnxruntime-node did not load: ${(e as Error).message.split('\n')[0]}`;
  }
  const threads = t.nativeInfo()?.threads ?? 2;
  const path = join(tmpdir(), `flinkscope-forward-${process.pid}.onnx`);
  const r = spawnSync(PY, [TORCH, '--case', 'train', '--steps', '1', '--threads', String(threads), '--export-onnx', path], { encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(path)) return `ONNX export failed: ${r.stderr.split('\n').slice(-3).join(' ')}`;
  try {
    const sess = await ort.InferenceSession.create(path, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    const rng = new Rng(5);
    const x = new ort.Tensor('float32', Float32Array.from({ length: 32 * 100 * 38 }, () => rng.normal()), [32, 100, 38]);
    for (let i = 0; i < 3; i++) await sess.run({ x });
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      await sess.run({ x });
      times.push(performance.now() - t0);
    }
    await sess.release();
    return times;
  } finally {
    rmSync(path, { force: true });
  }
}

const info = t.nativeInfo();
const impl = `flinkscope-${t.backend().name}${info ? `-${info.simd}-${info.threads}t` : ''}`;
const torchMissing = quick ? 'skipped in --quick' : torchAvailable();
const shapes: [number, number, number][] = quick ? [[64, 64, 64]] : [[3200, 128, 128], [256, 256, 256], [1024, 1024, 1024]];
const ours: Record<string, number[]> = {};
const theirs: Record<string, number[]> = {};
const push = (m: Record<string, number[]>, k: string, v: number): void => void (m[k] ??= []).push(v);
let onnxMissing = quick ? 'skipped in --quick' : '';
for (let r = 0; r < rounds; r++) {
  for (const [M, K, N] of shapes) push(ours, `sgemm-${M}x${K}x${N}`, sgemm(M, K, N));
  const s = trainStep();
  push(ours, 'train-step-d128', s.ms);
  push(ours, 'forward-d128', s.fwd);
  if (!torchMissing) {
    for (const o of runTorch('gemm')) push(theirs, String(o.case), o.gflops);
    for (const o of runTorch('train')) push(theirs, 'train-step-d128', o.ms_per_step);
  }
  if (!quick) {
    const o = await onnxForward();
    if (typeof o === 'string') onnxMissing = o;
    else push(theirs, 'forward-d128', median(o));
  }
}
for (const [kase, v] of Object.entries(ours)) {
  const isGemm = kase.startsWith('sgemm');
  const mine = median(v);
  const ref = theirs[kase] ? median(theirs[kase]) : undefined;
  const row: Record<string, unknown> = { case: kase, impl, [isGemm ? 'gflops' : 'ms_per_step']: Number(mine.toFixed(2)) };
  if (ref !== undefined) {
    row.reference = isGemm ? 'pytorch-openblas' : kase === 'forward-d128' ? 'onnxruntime-node' : 'pytorch';
    row[isGemm ? 'reference_gflops' : 'reference_ms_per_step'] = Number(ref.toFixed(2));
    row.ratio_vs_reference = Number((isGemm ? ref / mine : mine / ref).toFixed(3)); // < 1: flinkscope faster
  } else row.reference_skipped = kase === 'forward-d128' ? onnxMissing : torchMissing ?? 'no reference case';
  if (kase === 'train-step-d128') Object.assign(row, memory);
  emit(row);
}
