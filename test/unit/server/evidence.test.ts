// The API's toolbox parts: GET /api/incidents/:id/evidence (what was captured, or why not; 404 for an unknown
// incident; behind the token like every /api route) and the cause's job-graph part, which the incident's schema must
// carry through serialisation (an unknown property would be dropped silently), and a symptom's symptomOf likewise.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { buildApi } from '../../../src/server/api.js';
import { InspectionService } from '../../../src/app/service.js';
import { SqliteStore, type StepWrite } from '../../../src/store/index.js';
import type { Incident, IncidentDetail } from '../../../src/core/incident.js';

const graph = { job: 'orders', jobId: 'j1', vertexId: 'w', vertex: 'work', walk: 'downstream' as const, path: ['Source: s', 'work'], subtasks: [{ index: 1, machine: 'tm-2', busy: 0.98, backpressure: 0 }], machines: ['tm-2'] };
const inc: Incident & IncidentDetail = {
  id: 'inc-1', machine: 'tm-1', state: 'open', type: 'backpressure', onset: 1000, lastSeen: 5000, peak: 4, segments: 1,
  explanation: [], jobs: ['orders'], movers: [], events: [], paged: true, cause: { machine: 'tm-2', busy: 980, jobs: ['orders'], anomalous: false, graph },
};
const step = (p: Partial<StepWrite>): StepWrite => ({ scores: [], modelId: null, scorerStates: [], incidents: [], alerts: [], status: [], meta: {}, ...p });

describe('API: evidence and the graph cause', () => {
  test('evidence of an incident, 404 for an unknown one, 401 without the token; the cause keeps its graph', async () => {
    const store = new SqliteStore(':memory:');
    await store.commitStep(step({ incidents: [inc, { ...inc, id: 'inc-2', machine: 'tm-3', paged: false, symptomOf: 'inc-1' }, { ...inc, id: 'inc-3', machine: 'tm-4', paged: false, afterEffectOf: 'tm-4:restart:1' }] }));
    await store.putEvidence({ incidentId: 'inc-1', kind: 'flamegraph', target: { vertex: 'work', subtask: 1, taskmanager: 'tm-2' }, requestedAt: 4000, capturedAt: 6500, latencyMs: 5500, bytes: 30, truncated: false, error: null, body: { sampledAt: 6400, root: { name: 'root', value: 3 } } });
    await store.putEvidence({ incidentId: 'inc-1', kind: 'thread-dump', target: { taskmanager: 'tm-2' }, requestedAt: 4000, capturedAt: 4100, latencyMs: null, bytes: 0, truncated: false, error: 'HTTP 404', body: null });
    const app = buildApi(new InspectionService(store), { token: 'secret-token-1' });
    const auth = { authorization: 'Bearer secret-token-1' };
    try {
      assert.equal((await app.inject({ url: '/api/incidents/inc-1/evidence' })).statusCode, 401);
      const r = await app.inject({ url: '/api/incidents/inc-1/evidence', headers: auth });
      assert.equal(r.statusCode, 200);
      assert.deepEqual(r.json(), { incident: 'inc-1', items: await store.evidence('inc-1') });
      const missing = await app.inject({ url: '/api/incidents/inc-9/evidence', headers: auth });
      assert.equal(missing.statusCode, 404);
      assert.match(missing.json().error, /unknown incident 'inc-9'/);
      assert.deepEqual((await app.inject({ url: '/api/incidents/inc-1', headers: auth })).json().cause.graph, graph);
      assert.deepEqual((await app.inject({ url: '/api/incidents?machine=tm-1', headers: auth })).json().items[0].cause.graph, graph);
      // a symptom says whose: the schema carries symptomOf through serialisation
      assert.equal((await app.inject({ url: '/api/incidents/inc-2', headers: auth })).json().symptomOf, 'inc-1');
      assert.equal((await app.inject({ url: '/api/incidents?machine=tm-3', headers: auth })).json().items[0].symptomOf, 'inc-1');
      assert.equal((await app.inject({ url: '/api/incidents/inc-1', headers: auth })).json().symptomOf, undefined);
      // an event's after-effect says which event: stored and carried through serialisation
      assert.equal((await app.inject({ url: '/api/incidents/inc-3', headers: auth })).json().afterEffectOf, 'tm-4:restart:1');
      assert.equal((await app.inject({ url: '/api/incidents?machine=tm-4', headers: auth })).json().items[0].afterEffectOf, 'tm-4:restart:1');
      assert.equal((await app.inject({ url: '/api/incidents/inc-1', headers: auth })).json().afterEffectOf, undefined);
      const doc = (await app.inject({ url: '/api/openapi.json', headers: auth })).json();
      assert.ok(doc.paths['/api/incidents/{id}/evidence'], 'the route is in the OpenAPI document');
    } finally {
      await app.close();
      await store.close();
    }
  });
});
