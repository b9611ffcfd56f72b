// The range routes of a file store are read by a worker thread with its own read-only connection: the answers equal
// the in-process service's, errors keep their status, and what the owner commits later is seen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../../src/store/index.js';
import { InspectionService } from '../../../src/app/service.js';
import { buildApi } from '../../../src/server/api.js';
import { rangeReader } from '../../../src/server/reader.js';
import type { Sample } from '../../../src/core/sample.js';

const T0 = 1.7e12;

test('range reads in a worker thread answer like the service', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flinkscope-reader-'));
  const store = new SqliteStore(join(dir, 'store.db'));
  const samples: Sample[] = [];
  for (let i = 0; i < 3000; i++) for (const m of ['tm-a', 'tm-b']) samples.push({ ts: T0 + i * 10_000, machine: m, metric: 'cpu', value: (i % 50) + (m === 'tm-b' ? 10 : 0) });
  await store.insertSamples(samples);
  await store.commitStep({
    scores: ['tm-a', 'tm-b'].map((m) => ({ machine: m, points: Array.from({ length: 3000 }, (_, i) => ({ t: T0 + i * 10_000, score: (i % 70) / 10 })) })),
    modelId: null, scorerStates: [], incidents: [], alerts: [],
    status: ['tm-a', 'tm-b'].map((m) => ({ machine: m, lastTs: T0 + 2999 * 10_000, lastScore: 1, risk: 0.5, openIncidents: 0 })), meta: {},
  });
  const svc = new InspectionService(store);
  const reads = rangeReader(svc);
  const app = buildApi(svc);
  try {
    assert.notEqual(reads.metrics, svc.metrics, 'a file store gets a worker reader');
    const q = { from: T0, to: T0 + 2999 * 10_000, points: 200 };
    assert.deepEqual(await reads.metrics('tm-b', q), await svc.metrics('tm-b', q));
    const bulk = { ...q, points: 3000 }; // the bulk lane
    assert.deepEqual(await reads.metrics('tm-b', bulk), await svc.metrics('tm-b', bulk));
    assert.deepEqual(await reads.cluster({ buckets: 2000, limit: 100 }), await svc.cluster({ buckets: 2000, limit: 100 }));
    assert.deepEqual(await reads.scores('tm-a', q), await svc.scores('tm-a', q));
    assert.deepEqual(await reads.cluster({ buckets: 30 }), await svc.cluster({ buckets: 30 }));
    await assert.rejects(reads.metrics('nope', q), (e: Error & { status?: number }) => e.status === 404 && /unknown machine 'nope'/.test(e.message));
    const r = await app.inject({ url: `/api/machines/tm-b/metrics?from=${q.from}&to=${q.to}&points=200` });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.json().values, (await svc.metrics('tm-b', q)).values);
    assert.equal((await app.inject({ url: '/api/machines/nope/scores' })).statusCode, 404);
    // the owner writes more; the reader's next answer has it
    await store.insertSamples([{ ts: T0 + 3000 * 10_000, machine: 'tm-c', metric: 'cpu', value: 1 }]);
    assert.deepEqual((await reads.metrics('tm-c', { from: T0, to: T0 + 3001 * 10_000, points: 10 })).channels, ['cpu']);
  } finally {
    await reads.close();
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
