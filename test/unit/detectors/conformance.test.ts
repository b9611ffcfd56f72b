// One conformance suite over every registered detector (PyOD-style): fitted state, score shape and finiteness, an
// obvious injected anomaly found (AUC floor), save → load gives identical scores, fit twice = fit once, bad input
// (channel mismatch, NaN, ±Inf, constant channel, short series, a model file of another kind) handled clearly.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectorKinds, createDetector, loadDetector, NotFittedError } from '../../../src/detectors/index.js';
import type { Series } from '../../../src/core/series.js';
import { ModelFileError } from '../../../src/tensor/modelfile.js';
import { Rng, setArenaCheck, setArenaEnabled } from '../../../src/tensor/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'flinkscope-conf-'));
const deepSmall = { window: 16, stride: 4, scoreStride: 8, epochs: 2, maxTrainWindows: 96, batchSize: 16 };
/** Small, fast settings per kind (defaults are for real data). */
const FAST: Record<string, Record<string, unknown>> = {
  ccl: { ...deepSmall, d: 8, heads: 2, ffn: 16, patchSizes: [4, 8], negatives: 4 },
  dcdetector: { ...deepSmall, d: 8, heads: 2, patchSizes: [4] },
  'anomaly-transformer': { ...deepSmall, d: 8, heads: 2, layers: 1 },
  usad: { ...deepSmall, window: 8, hidden: 16, latent: 4, epochs: 4 },
  'transformer-ae': { ...deepSmall, d: 8, heads: 2 },
  iforest: { trees: 50 },
  knn: { maxTrain: 500 },
  'matrix-profile': { m: 16, maxTrain: 400 },
};

function series(T: number, C: number, seed: number, anomaly: boolean): Series {
  const rng = new Rng(seed);
  const values = new Float32Array(T * C);
  const labels = new Uint8Array(T);
  for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) values[t * C + c] = Math.sin(t / 8 + c) + 0.1 * rng.normal();
  if (anomaly) {
    for (let t = 200; t < 215; t++) { for (let c = 0; c < C; c++) values[t * C + c] += 6; labels[t] = 1; } // spike block
    for (let t = 300; t < 340; t++) { values[t * C] = Math.sin(t / 8) * 0.1 + 4; labels[t] = 1; } // level shift on one channel
  }
  return { name: 'conf', timestamps: Float64Array.from({ length: T }, (_, i) => 1.7e12 + i * 60_000), channels: Array.from({ length: C }, (_, i) => `c${i}`), values, labels: anomaly ? labels : undefined };
}

function assertNear(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-4 * Math.max(1, Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

function auc(scores: Float32Array, labels: Uint8Array): number {
  const idx = Array.from(scores.keys()).sort((a, b) => scores[a] - scores[b]);
  let pos = 0, rs = 0;
  idx.forEach((i, k) => { if (labels[i]) { pos++; rs += k + 1; } });
  return (rs - (pos * (pos + 1)) / 2) / (pos * (labels.length - pos));
}

const train = series(400, 3, 1, false);
const test = series(400, 3, 2, true);

/** Every registered kind with its fast settings, plus CCL's published formulation (a non-default option). */
const CASES: { name: string; kind: string; params: Record<string, unknown> }[] = [
  ...detectorKinds().map((kind) => ({ name: kind, kind, params: FAST[kind] ?? {} })),
  // a window-relative score needs a window well beyond the 15-point block: the default window (64), a short run
  { name: 'ccl (published formulation)', kind: 'ccl', params: { formulation: 'published', epochs: 3, maxTrainWindows: 128, batchSize: 16 } },
  // the co-movement correction (not the default): its fitted state is saved, and the online tail scores with it
  { name: 'ccl (co-movement)', kind: 'ccl', params: { ...FAST.ccl, coMove: 'spread' } },
];
/** Scores only comparable within a window (z-scored discrepancy, window softmax; matrix profile: z-normalised
 * subsequences) are blind to the 40-point level shift by design: those are judged on the spike block. */
const BLOCK_ONLY = new Set(['matrix-profile', 'ccl (published formulation)']);

for (const { name, kind, params } of CASES) {
  describe(`detector conformance: ${name}`, () => {
    const make = () => createDetector(kind, params);
    it('fits, scores one finite value per timestamp, finds an obvious anomaly (AUC > 0.8)', async () => {
      const d = make();
      assert.throws(() => d.score(test), NotFittedError);
      await d.fit(train);
      assert.ok(d.isFitted && Number.isFinite(d.threshold));
      const s = d.score(test);
      assert.equal(s.length, 400);
      assert.ok(s.every(Number.isFinite), 'finite scores');
      const labels = BLOCK_ONLY.has(name) ? test.labels!.map((v, t) => (t < 250 ? v : 0)) : test.labels!;
      const a = auc(s, labels);
      assert.ok(a > 0.8, `${name} AUC ${a.toFixed(3)}`);
      const p = d.predict(test);
      assert.equal(p.length, 400);
      // scoreMany (the online loop's batched path) agrees with score, for windows of the model's length and others
      const w = Number(params.window ?? 64);
      const cut = (a: number, n: number) => ({ ...test, timestamps: test.timestamps.slice(a, a + n), values: test.values.slice(a * 3, (a + n) * 3), labels: undefined });
      const parts = [cut(0, w), cut(190, w), cut(300, w + 7), cut(50, w)];
      const many = d.scoreMany(parts);
      parts.forEach((x, i) => assertNear(many[i], d.score(x), `${name}: scoreMany[${i}]`));
      // scoreTrailing (what the watcher scores): each row at the end of its own window = score of that window's last
      // point; peer groups change nothing for a detector without a peer view
      const x = cut(150, w + 6);
      const tr = d.scoreTrailing([x, cut(0, w)], [6], [[0, 1]], 1)[0];
      for (let j = 0; j < 6; j++) {
        const r = w + j; // row index in x
        const win = cut(150 + Math.max(0, r - w + 1), Math.min(w, r + 1));
        const s = d.score(win);
        assertNear(tr.subarray(j, j + 1), s.subarray(s.length - 1), `${name}: scoreTrailing[${j}]`);
      }
      if (!d.peerAware) assertNear(d.scoreMany(parts, [[0, 1, 2, 3]])[1], many[1], `${name}: groups ignored`);
    });
    it('save → load gives identical scores; fit twice = fit once (same seed)', async () => {
      const d = make();
      await d.fit(train);
      const s1 = d.score(test);
      const path = join(tmp, `${name.replace(/\W+/g, '-')}.model`);
      d.save(path);
      const back = loadDetector(path);
      assert.deepEqual(back.score(test), s1);
      await d.fit(train);
      assert.deepEqual(d.score(test), s1);
      const other = detectorKinds().find((k) => k !== kind)!;
      assert.throws(() => createDetector(other, FAST[other] ?? {}).loadFrom(path), (e: Error) => e instanceof ModelFileError && /holds a/.test(e.message));
    });
    it('arena buffer reuse changes nothing: fit and score with arenas (use-after-release → NaN) = without', async () => {
      setArenaCheck(true);
      try {
        const a = make();
        await a.fit(train);
        const withArena = a.score(test);
        setArenaEnabled(false);
        const b = make();
        await b.fit(train);
        assert.deepEqual(withArena, b.score(test));
        assert.ok(withArena.every(Number.isFinite));
      } finally {
        setArenaEnabled(true);
        setArenaCheck(false);
      }
    });
    it('bad input: channel mismatch, ±Inf, NaN repaired, constant channel, short series', async () => {
      const d = make();
      await d.fit(train);
      const renamed = { ...test, channels: ['c0', 'c1', 'x9'] };
      assert.throws(() => d.score(renamed), /x9|c2|channel/);
      const inf = { ...test, values: Float32Array.from(test.values) };
      inf.values[5] = Infinity;
      assert.throws(() => d.score(inf), /Infinity|infinite/i);
      const nan = { ...test, values: Float32Array.from(test.values) };
      for (let i = 0; i < 30; i += 3) nan.values[i] = NaN;
      assert.ok(d.score(nan).every(Number.isFinite));
      const flat = { ...train, values: Float32Array.from(train.values) };
      for (let t = 0; t < 400; t++) flat.values[t * 3 + 2] = 5;
      const d2 = make();
      await d2.fit(flat);
      assert.ok(d2.score(test).every(Number.isFinite), 'constant training channel');
      const short = { ...test, timestamps: test.timestamps.slice(0, 5), values: test.values.slice(0, 15), labels: undefined };
      assert.equal(d.score(short).length, 5);
    });
  });
}
