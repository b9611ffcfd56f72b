// `npm run bench:detectors`: training time per epoch and scoring throughput of every deep detector on a
// 10 000 × 38 series (the active backend, native when built), one JSON line each; scoring throughput is the median of
// three passes after a warm-up. Not a test.
// Options: --T 10000 --C 38 --epochs 2 --quick
import * as t from '../src/tensor/index.js';
import { Rng } from '../src/tensor/index.js';
import { createDetector } from '../src/detectors/index.js';
import type { DeepDetector } from '../src/detectors/deep/template.js';
import type { Series } from '../src/core/series.js';

const args = process.argv.slice(2);
const opt = (n: string, d: number): number => (args.includes(n) ? Number(args[args.indexOf(n) + 1]) : d);
const quick = args.includes('--quick');
const T = opt('--T', quick ? 600 : 10000);
const C = opt('--C', 38);
const epochs = opt('--epochs', quick ? 1 : 2);
const rng = new Rng(1);
const values = new Float32Array(T * C);
for (let i = 0; i < T; i++) for (let c = 0; c < C; c++) values[i * C + c] = Math.sin(i / (10 + c)) + 0.1 * rng.normal();
const series: Series = { name: 'bench', timestamps: Float64Array.from({ length: T }, (_, i) => i * 60_000), channels: Array.from({ length: C }, (_, i) => `m${i}`), values };
const info = t.nativeInfo();
const cases: [string, string, Record<string, unknown>][] = [
  ['ccl', 'ccl', {}], ['ccl-published', 'ccl', { formulation: 'published' }],
  ...['dcdetector', 'anomaly-transformer', 'usad', 'transformer-ae'].map((k): [string, string, Record<string, unknown>] => [k, k, {}]),
];
for (const [name, kind, params] of cases) {
  const det = createDetector(kind, { ...params, epochs, patience: epochs, ...(quick ? { maxTrainWindows: 64 } : {}) });
  const t0 = performance.now();
  await det.fit(series);
  const fitMs = performance.now() - t0;
  const hist = (det as unknown as DeepDetector<never>).history;
  // scoring: one warm-up pass (first-touch of the arena's buffers), then the median of three
  det.score(series);
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t1 = performance.now();
    det.score(series);
    runs.push(performance.now() - t1);
  }
  const scoreMs = runs.sort((a, b) => a - b)[1];
  console.log(JSON.stringify({
    case: `detector-${name}`, impl: `flinkscope-${t.backend().name}${info ? `-${info.simd}-${info.threads}t` : ''}`, T, C,
    ms_per_epoch: Math.round(hist.reduce((a, h) => a + h.ms, 0) / Math.max(hist.length, 1)),
    windows_per_epoch: Math.min(quick ? 64 : 2048, Math.ceil((T - 64) / 4)), fit_ms_total: Math.round(fitMs),
    score_points_per_s: Math.round(T / (scoreMs / 1000)),
  }));
}
