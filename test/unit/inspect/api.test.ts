import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { buildApi, metricColumns, type InspectionSource } from '../../../src/server/api.js';
import { IncidentTracker } from '../../../src/inspect/incidents.js';

function source(): InspectionSource {
  const tracker = new IncidentTracker();
  tracker.addSegment({ machine: 'tm-1', type: 'trend', onset: 1000, end: 5000, peak: 4 });
  return {
    threshold: 1,
    tracker,
    explanations: new Map([['inc-1', [{ name: 'cpu', share: 1, meanZ: 4 }]]]),
    scores: new Map([['tm-1', { t: [1000, 2000, 3000], score: [0.5, 2, 3] }], ['tm-2', { t: [1000], score: [0.1] }]]),
    // tm-1 reports cpu (with a gap) and latency; 'heap' is never reported in range and is left out
    metrics: (m, from, to) => (m === 'tm-1'
      ? metricColumns({ name: m, timestamps: Float64Array.of(1000, 2000, 3000), channels: ['cpu', 'heap', 'latency'], values: Float32Array.of(1, NaN, 10, NaN, NaN, 20, 3, NaN, 30) }, from, to)
      : null),
  };
}

describe('HTTP API', () => {
  test('token: 401 without it, 200 with it', async () => {
    const app = buildApi(source(), { token: 's3cret' });
    assert.equal((await app.inject({ url: '/api/health' })).statusCode, 401);
    const ok = await app.inject({ url: '/api/health', headers: { authorization: 'Bearer s3cret' } });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json().atRisk, 1);
  });
  test('bad requests get 4xx with a clear message', async () => {
    const app = buildApi(source(), { maxRangeMs: 10_000 });
    const bad = await app.inject({ url: '/api/machines/tm-1/scores?from=abc' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error, /'from' must be an integer/);
    assert.equal((await app.inject({ url: '/api/machines/tm-1/scores?from=0&to=99999999' })).statusCode, 400);
    const unknown = await app.inject({ url: '/api/machines/nope/scores' });
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.json().error, /unknown machine 'nope'/);
    assert.equal((await app.inject({ method: 'POST', url: '/api/incidents/zzz/ack' })).statusCode, 404);
  });
  test('ranking, scores, incidents, acknowledge, openapi', async () => {
    const app = buildApi(source());
    assert.deepEqual((await app.inject({ url: '/api/machines' })).json().map((m: { machine: string }) => m.machine), ['tm-1', 'tm-2']);
    assert.deepEqual((await app.inject({ url: '/api/machines/tm-1/scores?from=1500&to=3000' })).json().t, [2000, 3000]);
    assert.equal((await app.inject({ url: '/api/incidents' })).json()[0].explanation[0].name, 'cpu');
    const m = (await app.inject({ url: '/api/machines/tm-1/metrics?from=1500&to=3000' })).json();
    assert.deepEqual(m, { machine: 'tm-1', t: [2000, 3000], channels: ['cpu', 'latency'], values: [[null, 3], [20, 30]] }, 'gaps as null, empty channels dropped');
    assert.equal((await app.inject({ url: '/api/machines/tm-2/metrics' })).statusCode, 404, 'no metrics stored');
    assert.equal((await app.inject({ url: '/api/machines/tm-1/metrics?from=9&to=1' })).statusCode, 400);
    assert.equal((await app.inject({ method: 'POST', url: '/api/incidents/inc-1/ack' })).json().state, 'acknowledged');
    assert.equal((await app.inject({ url: '/api/openapi.json' })).json().openapi, '3.0.3');
  });
  test('dashboard files and uPlot are served', async () => {
    const app = buildApi(source(), { token: 't' });
    const page = await app.inject({ url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /uPlot\.iife\.min\.js/);
    assert.match((await app.inject({ url: '/vendor/uPlot.iife.min.js' })).body, /uPlot/);
    assert.match((await app.inject({ url: '/app.js' })).body, /api\/incidents/);
  });
});
