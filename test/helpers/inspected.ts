// A store as the product leaves it: six machines' samples (with per-job samples and placement), a z-score model
// artifact recorded as a version, a drift check on it, and the real watcher run over everything — tm-2 carries a
// sustained hotspot, so it has an incident, enriched (explanation, jobs, movers) and alerted (outbox).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/index.js';
import { Watcher } from '../../src/app/watch.js';
import { createDetector } from '../../src/detectors/index.js';
import type { Sample } from '../../src/core/sample.js';

export const T0 = 1.7e12;
export const STEP = 10_000;
export const at = (i: number): number => T0 + i * STEP;

/** `hotUntil`: the step where tm-2's hotspot ends (default 160; 200 = still hot at the newest sample). */
export async function inspectedStore(o: { hotUntil?: number } = {}): Promise<{ store: SqliteStore; modelPath: string }> {
  const hotUntil = o.hotUntil ?? 160;
  const store = new SqliteStore(':memory:');
  const s: Sample[] = [];
  for (let m = 0; m < 6; m++) {
    for (let i = 0; i < 200; i++) {
      const cpu = 50 + ((i * 7 + m) % 5) - 2 + (m === 2 && i >= 120 && i < hotUntil ? 30 : 0);
      s.push({ ts: at(i), machine: `tm-${m}`, metric: 'cpu', value: cpu }, { ts: at(i), machine: `tm-${m}`, metric: 'latency_ms', value: 20 + cpu / 2 });
      if (m === 2) {
        s.push({ ts: at(i), machine: 'tm-2', metric: 'busy_ms_per_s', job: 'orders-enrich', operator: 'enrich', value: 300 + (i % 3) * 5 + (i >= 120 && i < hotUntil ? 400 : 0) });
        s.push({ ts: at(i), machine: 'tm-2', metric: 'busy_ms_per_s', job: 'orders-enrich', operator: 'source', value: 100 + (i % 3) * 5 });
      }
    }
  }
  await store.insertSamples(s);
  await store.recordPlacement({ 'tm-2': ['orders-enrich'], 'tm-1': ['orders-enrich'] }, at(0));
  const det = createDetector('zscore');
  await det.fit(await store.series('tm-0', ['cpu', 'latency_ms'], at(0), at(99)), { threshold: { rule: 'fixed:3', of: () => 3 } });
  det.setProvenance({ source: 'test fixture' });
  const modelPath = join(mkdtempSync(join(tmpdir(), 'flinkscope-fixture-')), 'zscore.model');
  det.save(modelPath);
  const id = await store.addModel('zscore', modelPath, { reason: 'drift' });
  await store.updateModelReport(id, { drift: { ks: 0.4, critical: 0.1, drifted: true, trainMedian: 0.5, recentMedian: 1.5, checkedAt: T0 } });
  const w = await Watcher.open(store, det, 3, id, { window: 32 });
  while ((await w.step()).progressed);
  return { store, modelPath };
}
