// The watch loop as `flinkscope watch` runs it (src/app/run.ts), on a real store: one tick catches up on the history in
// committed steps, applies retention by data time (old samples deleted, older-than-raw ones rolled up), and a
// re-threshold rule is applied to the training-score sample kept in the model artifact.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../../src/store/index.js';
import { runWatch } from '../../../src/app/run.js';
import { trainModel } from '../../../src/app/train.js';
import type { Sample } from '../../../src/core/sample.js';

const H = 3_600_000;
const at = (i: number): number => 1.7e12 + i * 60_000;

describe('watch loop', () => {
  it('catches up, keeps retention by data time, and re-thresholds from the artifact', async () => {
    const store = new SqliteStore(':memory:');
    const s: Sample[] = [];
    for (let i = 0; i < 3 * 24 * 60; i++) for (const m of ['tm-1', 'tm-2']) s.push({ ts: at(i), machine: m, metric: 'cpu', value: Math.sin(i / 30) + (i % 7) * 0.01 }, { ts: at(i), machine: m, metric: 'lat', value: 10 + Math.cos(i / 40) });
    await store.insertSamples(s);
    const model = await trainModel({ history: [await store.series('tm-1', ['cpu', 'lat'], at(0), at(600))], kind: 'zscore' });
    const path = join(mkdtempSync(join(tmpdir(), 'flinkscope-run-')), 'z.model');
    model.detector.save(path);
    const lines: string[] = [];
    const sum = await runWatch({
      store, modelPath: path, threshold: { kind: 'percentile', q: 0.999 }, intervalMs: 10, ticks: 1, log: (l) => lines.push(l),
      watch: { maxRowsPerStep: 500 }, retention: { retainMs: 2 * 24 * H, rawMs: 24 * H, bucketMs: 5 * 60_000, everyMs: H },
    });
    assert.equal(sum.scored, 2 * 3 * 24 * 60, 'all history scored in one tick (steps of 500 rows)');
    assert.match(lines[0], /threshold \S+ \(p99\.9\)/, `the rule applied: ${lines[0]}`);
    const kept = await store.series('tm-1', ['cpu'], -Infinity, Infinity);
    const newest = at(3 * 24 * 60 - 1);
    assert.ok(kept.timestamps[0] >= newest - 2 * 24 * H - 5 * 60_000, 'older than 2 days (data time) is gone');
    const rolled = Array.from(kept.timestamps).filter((t) => t < newest - 24 * H);
    assert.ok(rolled.length > 0 && rolled.every((t) => t % (5 * 60_000) === 0), 'older than a day: one row per 5 minutes');
    assert.ok(lines.some((l) => l.startsWith('RETAIN')), lines.join('\n'));
    await store.close();
  });
  it('logs an update when a paged incident rises again while open, and counts it', async () => {
    const { createDetector } = await import('../../../src/detectors/index.js');
    const store = new SqliteStore(':memory:');
    const s: Sample[] = [];
    // hot 310-319, quiet 320-323, hot again 324-333: one incident (quiet period 5 min), renewed once
    const hot = (i: number): number => ((i >= 310 && i < 320) || (i >= 324 && i < 334) ? 8 : 0);
    for (let i = 0; i < 360; i++) s.push({ ts: at(i), machine: 'tm-1', metric: 'cpu', value: Math.sin(i / 9) + ((i * 7) % 5) * 0.05 + hot(i) }, { ts: at(i), machine: 'tm-1', metric: 'lat', value: 50 + Math.cos(i / 7) + hot(i) * 10 });
    await store.insertSamples(s);
    const det = createDetector('zscore');
    await det.fit(await store.series('tm-1', ['cpu', 'lat'], 0, at(299)), { threshold: { rule: 'fixed:6', of: () => 6 } });
    const path = join(mkdtempSync(join(tmpdir(), 'flinkscope-run-')), 'z.model');
    det.save(path);
    const lines: string[] = [];
    const sum = await runWatch({ store, modelPath: path, intervalMs: 10, ticks: 1, log: (l) => lines.push(l), watch: { resolveAfterMs: 5 * 60_000, window: 32 } });
    assert.deepEqual([sum.paged, sum.updates, sum.resolved], [1, 1, 1]);
    assert.ok(lines.some((l) => /^UPDATE {3}inc-1 tm-1 \S+ rose again while open/.test(l)), lines.join('\n'));
    await store.close();
  });
});
