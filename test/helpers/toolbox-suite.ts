// The store's parts for the operator's toolbox (schema v6), run against each engine (SQLite:
// test/unit/store/toolbox.test.ts; PostgreSQL: test/integration/store/postgres.test.ts): alerts per sink with their own
// delivery state (and a fleet member's view: its sink's rows of its partitions), job graph snapshots (topology kept
// once, shares per poll, NaN kept, filtered by machine, newest kept under a limit, retained like the rest), and an
// incident's evidence (one per kind, replaced, deleted with the incident).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Evidence, StepWrite, Store } from '../../src/store/index.js';
import type { Incident, IncidentDetail } from '../../src/core/incident.js';
import type { JobGraphSnapshot } from '../../src/core/jobgraph.js';

const detail: IncidentDetail = { explanation: [], jobs: ['orders'], movers: [], cause: null, events: [], paged: true };
const inc = (id: string, resolvedAt?: number): Incident & IncidentDetail =>
  ({ id, machine: 'tm-1', state: resolvedAt === undefined ? 'open' : 'resolved', type: 'backpressure', onset: 0, lastSeen: 100, peak: 3, segments: 1, ...(resolvedAt === undefined ? {} : { resolvedAt }), ...detail });
const step = (p: Partial<StepWrite>): StepWrite => ({ scores: [], modelId: null, scorerStates: [], incidents: [], alerts: [], status: [], meta: {}, ...p });

const graph = (ts: number, busy: number[], machines = ['tm-1', 'tm-2'], jobId = 'j1'): JobGraphSnapshot => ({
  jobId, job: `job-${jobId}`, ts, state: 'RUNNING', edges: [{ from: 'a', to: 'b', ship: 'HASH' }],
  vertices: [
    { id: 'a', name: 'Source: a', parallelism: 2, subtasks: machines.map((m, i) => ({ index: i, machine: m, status: 'RUNNING', attempt: 0, busy: 0.1, backpressure: 0.6 })) },
    { id: 'b', name: 'b -> Sink: c', parallelism: 2, subtasks: machines.map((m, i) => ({ index: i, machine: m, status: 'RUNNING', attempt: 0, busy: busy[i], backpressure: 0 })) },
  ],
});

/** `topologies`: how many job topologies the engine holds (a table count: not part of the Store interface). */
export function toolboxSuite(engine: string, fresh: () => Promise<Store>, topologies: (s: Store) => Promise<number>): void {
describe(`store (${engine}): alert sinks, job graphs, evidence`, () => {
  it('queues an alert once per sink; each sink has its own delivery state', async () => {
    const s = await fresh();
    const a = { key: 'inc-1:open', incidentId: 'inc-1', kind: 'open' as const, createdAt: 10 };
    await s.commitStep(step({ incidents: [inc('inc-1')], alerts: [{ ...a, sink: 'webhook' }, { ...a, sink: 'alertmanager' }] }));
    await s.commitStep(step({ alerts: [{ ...a, sink: 'alertmanager' }, a] }));
    assert.deepEqual((await s.alerts()).map((x) => [x.sink, x.key]), [['webhook', 'inc-1:open'], ['alertmanager', 'inc-1:open']], 'the same key once per sink; no sink = webhook');
    const [am] = await s.dueAlerts(10, 10, 'alertmanager');
    assert.equal(am.sink, 'alertmanager');
    await s.markDelivered(am.id, 11);
    assert.deepEqual((await s.dueAlerts(20, 10, 'alertmanager')), []);
    assert.equal((await s.dueAlerts(20, 10, 'webhook')).length, 1, 'the webhook row is still due');
    assert.equal((await s.dueAlerts(20, 10)).length, 1, 'no sink: every sink');
    assert.deepEqual((await s.alerts({ sink: 'alertmanager' })).map((x) => x.deliveredAt), [11]);
    await s.close();
  });

  it('a fleet member reads its own sink\'s rows of its own partitions', async () => {
    const s = await fresh();
    const rows = ['inc-p0-1', 'inc-p1-1'].flatMap((id) => ['webhook', 'alertmanager'].map((sink) => ({ key: `${id}:open`, incidentId: id, kind: 'open' as const, createdAt: 10, sink })));
    await s.commitStep(step({ incidents: [inc('inc-p0-1'), inc('inc-p1-1')], alerts: rows }));
    assert.deepEqual((await s.dueAlerts(10, 10, 'alertmanager', ['inc-p1-'])).map((x) => [x.sink, x.incidentId]), [['alertmanager', 'inc-p1-1']]);
    assert.deepEqual((await s.dueAlerts(10, 10, undefined, ['inc-p0-'])).map((x) => x.sink), ['webhook', 'alertmanager'], 'every sink of a partition');
    assert.deepEqual(await s.dueAlerts(10, 10, 'webhook', []), [], 'no partitions held: nothing');
    await s.close();
  });

  it('job graphs: stored per poll and read back whole, NaN shares kept, once per (job, time)', async () => {
    const s = await fresh();
    const g1 = graph(1000, [0.25, NaN]);
    assert.equal(await s.insertJobGraphs([g1, graph(2000, [0.5, 1]), graph(1500, [0.1, 0.2], ['tm-3', 'tm-4'], 'j2')]), 3);
    assert.equal(await s.insertJobGraphs([g1]), 0, 're-delivered snapshots are not stored twice');
    const all = await s.jobGraphs({ from: 0, to: 5000 });
    assert.deepEqual(all.map((g) => [g.jobId, g.ts]), [['j1', 1000], ['j2', 1500], ['j1', 2000]], 'oldest first');
    const back = all[0];
    assert.deepEqual({ ...back, vertices: [] }, { ...g1, vertices: [] });
    assert.equal(back.vertices[1].subtasks[0].busy, 0.25);
    assert.ok(Number.isNaN(back.vertices[1].subtasks[1].busy), 'an unreported share stays NaN');
    assert.deepEqual(back.vertices[0].subtasks[1], { index: 1, machine: 'tm-2', status: 'RUNNING', attempt: 0, busy: Math.fround(0.1), backpressure: Math.fround(0.6) });
    assert.deepEqual((await s.jobGraphs({ from: 0, to: 5000, machine: 'tm-3' })).map((g) => g.jobId), ['j2'], 'only jobs with a subtask on the machine');
    assert.deepEqual((await s.jobGraphs({ from: 0, to: 5000, limit: 2 })).map((g) => g.ts), [1500, 2000], 'the newest under a limit');
    assert.equal(await topologies(s), 2, 'one topology per distinct graph');
    await assert.rejects(s.insertJobGraphs([graph(NaN, [0, 0])]), /no valid time/);
    await s.close();
  });

  it('evidence: one per kind and incident, replaced by a newer capture, failures kept with their error', async () => {
    const s = await fresh();
    const e: Evidence = {
      incidentId: 'inc-1', kind: 'flamegraph', target: { job: 'orders', vertex: 'score', subtask: 2 }, requestedAt: 100, capturedAt: 2600, latencyMs: 32_600,
      bytes: 40, truncated: false, error: null, body: { name: 'root', value: 100, children: [{ name: 'Work.map', value: 98 }] },
    };
    await s.putEvidence(e);
    await s.putEvidence({ ...e, kind: 'thread-dump', target: { taskmanager: 'tm-3' }, body: null, bytes: 0, error: 'HTTP 404', latencyMs: null });
    assert.deepEqual(await s.evidence('inc-1'), [e, { ...e, kind: 'thread-dump', target: { taskmanager: 'tm-3' }, body: null, bytes: 0, error: 'HTTP 404', latencyMs: null }]);
    await s.putEvidence({ ...e, capturedAt: 3000 });
    assert.deepEqual((await s.evidence('inc-1')).map((x) => [x.kind, x.capturedAt]), [['flamegraph', 3000], ['thread-dump', 2600]]);
    assert.deepEqual(await s.evidence('inc-2'), []);
    await s.close();
  });

  it('retention drops old job graphs, their unused topologies, and the evidence of deleted incidents', async () => {
    const s = await fresh();
    await s.insertJobGraphs([graph(1000, [0.1, 0.1], ['tm-9', 'tm-8']), graph(9000, [0.5, 0.5])]);
    await s.commitStep(step({ incidents: [inc('inc-1', 500), inc('inc-2')] }));
    for (const id of ['inc-1', 'inc-2']) await s.putEvidence({ incidentId: id, kind: 'thread-dump', target: {}, requestedAt: 0, capturedAt: 1, latencyMs: 1, bytes: 2, truncated: false, error: null, body: [] });
    const r = await s.applyRetention(10_000, { retainMs: 5000, rawMs: 5000, bucketMs: 1000 });
    assert.equal(r.deletedJobGraphs, 1);
    assert.deepEqual((await s.jobGraphs({ from: 0, to: 1e6 })).map((g) => g.ts), [9000]);
    assert.equal(await topologies(s), 1);
    assert.deepEqual(await s.evidence('inc-1'), [], 'the deleted incident\'s evidence goes with it');
    assert.equal((await s.evidence('inc-2')).length, 1);
    await s.close();
  });
});
}
