// The HTTP API over the application service and a store the real watcher filled.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildApi } from '../../../src/server/api.js';
import { InspectionService } from '../../../src/app/service.js';
import type { SqliteStore } from '../../../src/store/index.js';
import { inspectedStore, at } from '../../helpers/inspected.js';
import { join } from 'node:path';
import { PERSIST_POINTS, inUnits, unitOf } from '../../../src/core/units.js';
import { heldLevel } from '../../../src/core/stats.js';

let store: SqliteStore;
before(async () => ({ store } = await inspectedStore()));
after(async () => store.close());

describe('HTTP API', () => {
  test('token: 401 without it, 200 with it', async () => {
    const app = buildApi(new InspectionService(store), { token: 's3cret-token' });
    assert.equal((await app.inject({ url: '/api/health' })).statusCode, 401);
    const ok = await app.inject({ url: '/api/health', headers: { authorization: 'Bearer s3cret-token' } });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json().machines, 6);
    assert.equal(ok.json().threshold, 3);
  });
  test('bad requests get 4xx with a clear message', async () => {
    const app = buildApi(new InspectionService(store));
    const bad = await app.inject({ url: '/api/machines/tm-1/scores?from=abc' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error, /querystring 'from' must be integer \(got 'abc'\)/);
    const unknownParam = await app.inject({ url: '/api/machines/tm-1/scores?form=1' });
    assert.equal(unknownParam.statusCode, 400, 'a misspelt parameter is refused, not ignored');
    assert.match(unknownParam.json().error, /unknown parameter 'form'/);
    assert.match((await app.inject({ url: '/api/incidents?state=opne' })).json().error, /querystring 'state' must be equal to one of the allowed values/);
    assert.equal((await app.inject({ url: '/api/cluster?buckets=0' })).statusCode, 400);
    assert.equal((await app.inject({ url: '/api/machines/tm-1/metrics?points=100000' })).statusCode, 400);
    assert.equal((await app.inject({ url: `/api/machines/tm-1/scores?from=0&to=${at(0) + 40 * 86_400_000}` })).statusCode, 400, 'range too long');
    assert.equal((await app.inject({ url: '/api/machines/tm-1/metrics?from=9&to=1' })).statusCode, 400);
    const unknown = await app.inject({ url: '/api/machines/nope/scores' });
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.json().error, /unknown machine 'nope'/);
    assert.equal((await app.inject({ method: 'POST', url: '/api/incidents/zzz/ack', payload: {} })).statusCode, 404);
    assert.equal((await app.inject({ url: '/api/incidents?cursor=zzz' })).statusCode, 400);
    assert.equal((await app.inject({ method: 'POST', url: '/api/incidents/inc-1/label', payload: { label: 'meh' } })).statusCode, 400);
    assert.match((await app.inject({ method: 'POST', url: '/api/incidents/inc-1/label', payload: { label: 'hotspot', extra: 1 } })).json().error, /body: unknown parameter 'extra'/);
  });
  test('ranking, cluster, scores, metrics, incidents, acknowledge, label, model, openapi', async () => {
    const app = buildApi(new InspectionService(store));
    const ranked = (await app.inject({ url: '/api/machines' })).json() as { machine: string; atRisk: boolean }[];
    assert.deepEqual((await app.inject({ url: '/api/machines?limit=2' })).json().map((m: { machine: string }) => m.machine), ranked.slice(0, 2).map((m) => m.machine), 'the riskiest first');
    assert.deepEqual((await app.inject({ url: '/api/machines?machine=tm-3' })).json().map((m: { machine: string }) => m.machine), ['tm-3']);
    assert.equal((await app.inject({ url: '/api/machines?limit=0' })).statusCode, 400);
    assert.equal(ranked.length, 6);
    const heat = (await app.inject({ url: '/api/cluster?buckets=20&limit=3' })).json();
    assert.equal(heat.machines.length, 3);
    assert.ok(heat.cells[0].length <= 20 && heat.cells[0].length >= 10, `${heat.cells[0].length} buckets for 20 asked`);
    assert.equal(heat.t.length, heat.cells[0].length);
    const s = (await app.inject({ url: `/api/machines/tm-2/scores?from=${at(100)}&to=${at(199)}&points=50` })).json();
    assert.ok(s.t.length <= 50 && s.t.length >= 45, `downsampled to ${s.t.length} points`);
    assert.ok(Math.max(...s.score) > 3, 'the hotspot is above the threshold');
    const m = (await app.inject({ url: `/api/machines/tm-2/metrics?from=${at(150)}&to=${at(151)}` })).json();
    assert.deepEqual(m.channels, ['cpu', 'latency_ms']);
    assert.equal(m.values[0].length, 2);
    const page = (await app.inject({ url: '/api/incidents?machine=tm-2' })).json();
    const inc = page.items[0];
    assert.equal(inc.machine, 'tm-2');
    assert.equal(inc.explanation[0].name, 'cpu');
    assert.deepEqual(inc.jobs, ['orders-enrich']);
    assert.equal(inc.movers[0].operator, 'enrich');
    assert.equal((await app.inject({ url: `/api/incidents/${inc.id}` })).json().id, inc.id);
    // an incident that rose again while open shows its renewals and the updates it sent
    const rec = (await store.incident(inc.id))!;
    const renewals = [{ from: rec.onset + 600_000, at: rec.onset + 660_000, quietMs: 180_000 }];
    await store.commitStep({ scores: [], modelId: null, scorerStates: [], alerts: [], status: [], meta: {}, incidents: [{ ...rec, renewals, updates: [rec.onset + 660_000] }] });
    const renewed = (await app.inject({ url: `/api/incidents/${inc.id}` })).json();
    assert.deepEqual([renewed.renewals, renewed.updates], [renewals, [rec.onset + 660_000]]);
    assert.equal((await app.inject({ method: 'POST', url: `/api/incidents/${inc.id}/label`, payload: { label: 'hotspot', note: 'confirmed' } })).json().label.value, 'hotspot');
    const ack = await app.inject({ method: 'POST', url: `/api/incidents/${inc.id}/ack`, payload: {} });
    assert.equal(ack.statusCode, inc.state === 'resolved' ? 409 : 200);
    const model = (await app.inject({ url: '/api/model' })).json();
    assert.equal(model.thresholdRule, 'fixed:3');
    assert.equal(model.drift.drifted, true);
    const doc = (await app.inject({ url: '/api/openapi.json' })).json();
    assert.equal(doc.openapi, '3.0.3');
    // generated from the route schemas: parameters and answers are described, not just listed
    assert.deepEqual(doc.paths['/api/incidents'].get.parameters.map((p: { name: string }) => p.name).sort(), ['cursor', 'from', 'job', 'label', 'limit', 'machine', 'state', 'to', 'type']);
    assert.ok(doc.paths['/api/incidents/{id}/label'].post.requestBody.content['application/json'].schema.properties.label.enum.includes('false-alarm'));
    assert.ok(doc.paths['/api/machines/{id}/metrics'].get.responses['200'].content['application/json'].schema.properties.values);
    assert.equal(doc.paths['/metrics'], undefined, 'static and exposition routes are not API paths');
  });
  test('dashboard files and uPlot are served', async () => {
    const app = buildApi(new InspectionService(store), { token: 'dashboard-token' });
    const page = await app.inject({ url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /uPlot\.iife\.min\.js/);
    assert.match((await app.inject({ url: '/vendor/uPlot.iife.min.js' })).body, /uPlot/);
    assert.match((await app.inject({ url: '/app.js' })).body, /api\/incidents/);
  });
});

describe('score charts across a retraining', () => {
  test('the cluster heat map reads every version on the alarm scale', async () => {
    const { store: s, modelPath } = await inspectedStore();
    try {
      const app = buildApi(new InspectionService(s));
      const first = (await s.latestModel())!;
      const unit = unitOf(first.report, 'tm-2')!;
      assert.ok(unit, "the watcher kept tm-2's unit");
      const raw = await s.scores('tm-2', at(0), at(260));
      const points = raw.score.map((x) => inUnits(x, unit));
      const want = Math.max(...heldLevel(points, PERSIST_POINTS));
      assert.ok(want < Math.max(...points), 'a cell shows the level the machine held, not its single highest point');
      assert.ok(want > inUnits(unit[1], unit), 'the hotspot is above the opening level');
      const q = `/api/cluster?from=${at(0)}&to=${at(260)}&buckets=1&limit=6`;
      const cell = async (): Promise<number> => {
        const h = (await app.inject({ url: q })).json();
        assert.equal(h.t.length, 1);
        return h.cells[h.machines.indexOf('tm-2')][0];
      };
      assert.ok(Math.abs((await cell()) - want) < 1e-9, "the watcher's points were stored on the alarm scale");
      // a retrained version scoring ten times as high: raw, its 25 would be 8 times the newest threshold; on the scale
      // it is below the opening level, and the hotspot stays the hottest cell
      const second = await s.addModel('zscore', modelPath, { reason: 'failover', 'unit:tm-2': [15, 30] });
      await s.commitStep({ scores: [{ machine: 'tm-2', points: [{ t: at(201), score: 25, units: inUnits(25, [15, 30]) }] }], modelId: second, scorerStates: [], incidents: [], alerts: [], status: [], meta: {} });
      assert.ok(Math.abs((await cell()) - want) < 1e-9);
    } finally {
      await s.close();
    }
  });

  test("each stretch of a machine's scores comes with the opening level of the model that scored it", async () => {
    const { store: s, modelPath } = await inspectedStore();
    try {
      const app = buildApi(new InspectionService(s));
      const first = (await s.latestModel())!.id;
      const q = `/api/machines/tm-2/scores?from=${at(0)}&to=${at(260)}&points=300`;
      const one = (await app.inject({ url: q })).json();
      assert.deepEqual(one.levels.map((l: { model: number; level: number }) => [l.model, l.level]), [[first, 3]], "the watcher's model: its level on tm-2 (the unit it kept)");
      // a retrained version scoring on a scale ten times as high, its unit kept by the watcher as it began
      const second = await s.addModel('zscore', modelPath, { reason: 'failover' });
      await s.updateModelReport(second, { 'unit:tm-2': [15, 30] });
      await s.commitStep({ scores: [{ machine: 'tm-2', points: [{ t: at(200), score: 20 }, { t: at(201), score: 25 }] }], modelId: second, scorerStates: [], incidents: [], alerts: [], status: [], meta: {} });
      // and a version with no unit recorded: its artifact's threshold
      const third = await s.addModel('zscore', modelPath, { reason: 'drift' });
      await s.commitStep({ scores: [{ machine: 'tm-2', points: [{ t: at(250), score: 1 }] }], modelId: third, scorerStates: [], incidents: [], alerts: [], status: [], meta: {} });
      const three = (await app.inject({ url: q })).json();
      assert.deepEqual(three.levels.slice(1), [{ from: at(200), model: second, level: 30 }, { from: at(250), model: third, level: 3 }], 'the newest version: its threshold');
      const fourth = await s.addModel('zscore', join(modelPath, 'gone.model'), { reason: 'drift', 'unit:tm-2': [1, 2] });
      await s.commitStep({ scores: [{ machine: 'tm-2', points: [{ t: at(255), score: 1 }] }], modelId: fourth, scorerStates: [], incidents: [], alerts: [], status: [], meta: {} });
      const four = (await app.inject({ url: q })).json();
      assert.deepEqual(four.levels.slice(2), [{ from: at(250), model: third, level: 3 }, { from: at(255), model: fourth, level: 2 }], 'an older version without a unit: read from its artifact');
      // a version whose artifact is gone and that recorded no unit: its level is unknown, not another version's
      const gone = await s.addModel('zscore', join(modelPath, 'gone.model'), { reason: 'drift' });
      await s.commitStep({ scores: [{ machine: 'tm-2', points: [{ t: at(256), score: 1 }] }], modelId: gone, scorerStates: [], incidents: [], alerts: [], status: [], meta: {} });
      const newer = await s.addModel('zscore', modelPath, { reason: 'drift', 'unit:tm-2': [1, 2] });
      await s.commitStep({ scores: [{ machine: 'tm-2', points: [{ t: at(257), score: 1 }] }], modelId: newer, scorerStates: [], incidents: [], alerts: [], status: [], meta: {} });
      const six = (await app.inject({ url: q })).json();
      assert.deepEqual(six.levels.slice(4), [{ from: at(256), model: gone, level: null }, { from: at(257), model: newer, level: 2 }]);
      assert.equal(three.threshold, 3, "the newest model's threshold, as before");
      const later = (await app.inject({ url: `/api/machines/tm-2/scores?from=${at(201)}&to=${at(260)}` })).json();
      assert.deepEqual(later.levels.map((l: { model: number }) => l.model), [second, third, fourth, gone, newer], 'only the versions that scored inside the range');
    } finally {
      await s.close();
    }
  });
});
