// The operator's toolbox on the product path, over a real (SQLite) store: the cause from the stored job graph replaces
// the placement heuristic, alerts are queued per sink, the checks' symptoms never hold a page, job graphs and check
// events are stored by the job-state watcher, and evidence is captured in the background — against a loopback HTTP
// server answering in Flink 1.20's REST shapes (the real cluster: test/integration/app/rootcause.test.ts).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SqliteStore, type Store } from '../../../src/store/index.js';
import { Watcher } from '../../../src/app/watch.js';
import { EvidenceCollector } from '../../../src/app/evidence.js';
import { JobStateWatcher } from '../../../src/app/jobstate.js';
import { FlinkEvidenceSource, FlinkGraphSource } from '../../../src/collect/index.js';
import { createDetector } from '../../../src/detectors/index.js';
import type { Sample } from '../../../src/core/sample.js';
import type { JobGraphSnapshot } from '../../../src/core/jobgraph.js';
import type { IncidentRecord } from '../../../src/core/incident.js';

const T0 = 1.7e12;
const at = (i: number): number => T0 + i * 60_000;

async function drain(w: Watcher): Promise<void> {
  for (let r = await w.step(); r.progressed; r = await w.step());
}

/** tm-up back-pressured during [330, 370); tm-down (shares the job by placement) busy; tm-other busy in another job. */
async function bpStore(sinks?: string[], graphs = true, eventGraceMs?: number): Promise<{ store: Store; w: Watcher }> {
  const store = new SqliteStore(':memory:');
  const s: Sample[] = [];
  for (let i = 0; i < 400; i++) {
    const hot = i >= 330 && i < 370;
    for (const m of ['tm-up', 'tm-down', 'tm-other']) {
      const bp = m === 'tm-up' && hot ? 700 : 20 + (i % 5);
      const busy = (m === 'tm-down' || m === 'tm-other') && hot ? 960 : 300 + (i % 7) * 5;
      s.push({ ts: at(i), machine: m, metric: 'busy_ms_per_s', value: busy }, { ts: at(i), machine: m, metric: 'backpressured_ms_per_s', value: bp });
    }
  }
  await store.insertSamples(s);
  await store.recordPlacement({ 'tm-up': ['orders'], 'tm-down': ['orders'], 'tm-other': ['clicks', 'orders'] }, at(0));
  if (graphs) {
    // the job graph knows better: tm-up's source waits on work #1, which runs on tm-other
    const snap = (i: number): JobGraphSnapshot => {
      const hot = i >= 330 && i < 370;
      return {
        jobId: 'j1', job: 'orders', ts: at(i), state: 'RUNNING', edges: [{ from: 'src', to: 'work', ship: 'HASH' }],
        vertices: [
          { id: 'src', name: 'Source: orders', parallelism: 2, subtasks: [
            { index: 0, machine: 'tm-up', status: 'RUNNING', attempt: 0, busy: NaN, backpressure: hot ? 0.7 : 0 },
            { index: 1, machine: 'tm-down', status: 'RUNNING', attempt: 0, busy: NaN, backpressure: hot ? 0.6 : 0 }] },
          { id: 'work', name: 'work', parallelism: 2, subtasks: [
            { index: 0, machine: 'tm-down', status: 'RUNNING', attempt: 0, busy: hot ? 0.3 : 0.2, backpressure: 0 },
            { index: 1, machine: 'tm-other', status: 'RUNNING', attempt: 0, busy: hot ? 0.98 : 0.2, backpressure: 0 }] },
        ],
      };
    };
    await store.insertJobGraphs(Array.from({ length: 400 }, (_, i) => snap(i)));
  }
  const det = createDetector('zscore');
  await det.fit(await store.series('tm-up', ['busy_ms_per_s', 'backpressured_ms_per_s'], 0, at(299)), { threshold: { rule: 'fixed:6', of: () => 6 } });
  return { store, w: await Watcher.open(store, det, 6, null, { window: 32, eventGraceMs, ...(sinks ? { alertSinks: sinks } : {}) }) };
}

describe('toolbox on the product path', () => {
  it('the stored job graph names the operator, subtask and TaskManager; without graphs the placement heuristic stays', async () => {
    const { store, w } = await bpStore();
    await drain(w);
    const up = (await store.incidents({ machine: 'tm-up' })).items[0];
    assert.equal(up.type, 'backpressure');
    assert.equal(up.cause?.machine, 'tm-other', 'the heuristic would name tm-down (busy, shares the job)');
    assert.deepEqual([up.cause?.graph?.vertex, up.cause?.graph?.subtasks.map((s) => [s.index, s.machine])], ['work', [[1, 'tm-other']]]);
    assert.ok(Math.abs(up.cause!.busy - 980) < 1, 'busy in ms/s, averaged over the incident');
    await store.close();
    const old = await bpStore(undefined, false);
    await drain(old.w);
    const c = (await old.store.incidents({ machine: 'tm-up' })).items[0].cause;
    assert.equal(c?.machine, 'tm-down');
    assert.equal(c?.graph, undefined);
    await old.store.close();
  });

  it('queues each alert once per configured sink', async () => {
    const { store, w } = await bpStore(['webhook', 'alertmanager']);
    await drain(w);
    const rows = await store.alerts();
    assert.ok(rows.length >= 2);
    for (const key of new Set(rows.map((r) => r.key))) assert.deepEqual(rows.filter((r) => r.key === key).map((r) => r.sink), ['webhook', 'alertmanager'], key);
    await store.close();
  });

  it('a task failure holds the page like a restart; stalled checkpoints and growing lag (symptoms) never do', async () => {
    for (const [kind, held] of [['checkpoint-stalled', false], ['lag-growing', false], ['task-failed', true]] as const) {
      // a grace period (2 h) longer than the hotspot (40 min): a held incident never pages. On the busy machine: tm-up's
      // back-pressure is its symptom (recorded with its incident, never paged on its own) whatever the event
      const { store, w } = await bpStore(undefined, false, 2 * 3_600_000);
      await store.insertEvents([{ id: `e-${kind}`, ts: at(329), kind, job: 'orders', machines: ['tm-down'], detail: kind }]);
      await drain(w);
      const up = (await store.incidents({ machine: 'tm-down' })).items.at(-1)!;
      assert.deepEqual(up.events, [`e-${kind}`], 'the event is attached either way');
      assert.equal(up.paged, !held, `${kind}: ${held ? 'held' : 'pages'}`);
      assert.equal((await store.alerts()).some((a) => a.key === `${up.id}:open`), !held);
      await store.close();
    }
  });
});

// ---- against a loopback server in Flink's shapes

let server: Server;
let base = '';
let attempt = 0;
let flameMode: 'ok' | 'disabled' | 'slow' = 'ok';
const routes: Record<string, () => [number, unknown]> = {
  '/jobs/overview': () => [200, { jobs: [{ jid: 'j1', name: 'orders', state: 'RUNNING' }] }],
  '/jobs/j1': () => [200, { jid: 'j1', name: 'orders', state: 'RUNNING', 'start-time': 1, timestamps: { RUNNING: 2 }, vertices: [{ id: 'w', name: 'work', parallelism: 2 }] }],
  '/jobs/j1/plan': () => [200, { plan: { nodes: [{ id: 'w' }] } }],
  '/jobs/j1/vertices/w': () => [200, { subtasks: [{ subtask: 0, status: 'RUNNING', attempt: 0, 'taskmanager-id': 'tm-1' }, { subtask: 1, status: 'RUNNING', attempt, 'taskmanager-id': 'tm-2' }] }],
  '/jobs/j1/vertices/w/backpressure': () => [200, { status: 'ok', subtasks: [{ subtask: 0, ratio: 0, busyRatio: 0.1 }, { subtask: 1, ratio: 0, busyRatio: 0.97 }] }],
  '/jobs/j1/checkpoints/config': () => [404, { errors: ['Checkpointing is not enabled for this job (j1).'] }],
  '/jobs/j1/vertices/w/flamegraph': () => [200, flameMode === 'disabled' ? { endTimestamp: -2 } : flameMode === 'slow' ? { endTimestamp: -3 } : { endTimestamp: Date.now(), data: { name: 'root', value: 10, children: [{ name: 'Work.map', value: 10 }] } }],
  '/taskmanagers/tm-2/thread-dump': () => [200, { threadInfos: [{ threadName: 'main', stringifiedThreadInfo: '"main"' }, { threadName: 'work (2/2)#0', stringifiedThreadInfo: '"work (2/2)#0" RUNNABLE' }] }],
};

before(async () => {
  server = createServer((req, res) => {
    const r = routes[new URL(req.url!, 'http://x').pathname];
    const [status, body] = r ? r() : [404, { errors: ['not found'] }];
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const record = (id: string, p: Partial<IncidentRecord> = {}): IncidentRecord => ({
  id, machine: 'tm-2', state: 'open', type: 'sustained-high', onset: Date.now() - 30_000, lastSeen: Date.now(), peak: 9, segments: 1,
  explanation: [], jobs: ['orders'], movers: [], cause: null, events: [], paged: true, ack: null, label: null, ...p,
});

describe('job-state watcher and evidence (Flink REST shapes)', () => {
  it('stores a job graph per tick and a task failure once', async () => {
    const store = new SqliteStore(':memory:');
    const js = new JobStateWatcher(store, new FlinkGraphSource(base, { retries: 0 }));
    assert.deepEqual(await js.tick([], 1000), { graphs: 1, events: [], errors: [] });
    attempt = 1;
    const t = await js.tick([], 2000);
    assert.deepEqual(t.events.map((e) => [e.kind, e.machines]), [['task-failed', ['tm-2']]]);
    assert.equal((await js.tick([], 3000)).events.length, 0);
    assert.deepEqual((await store.events({})).map((e) => e.kind), ['task-failed']);
    assert.equal((await store.jobGraphs({ from: 0, to: 5000, machine: 'tm-2' })).length, 3);
    const down = await new JobStateWatcher(store, new FlinkGraphSource('http://127.0.0.1:1', { retries: 0, timeoutMs: 500 })).tick([], 4000);
    assert.equal(down.graphs, 0);
    assert.match(down.errors[0], /job graphs: cannot connect/);
    attempt = 0;
    await store.close();
  });

  it('captures a flame graph of the machine\'s hot subtask and a thread dump of its TaskManager, in the background', async () => {
    const store = new SqliteStore(':memory:');
    await new JobStateWatcher(store, new FlinkGraphSource(base)).tick([], Date.now());
    const ev = new EvidenceCollector(store, new FlinkEvidenceSource(base));
    flameMode = 'ok';
    ev.capture([record('inc-1')]);
    await ev.idle();
    const [flame, dump] = await store.evidence('inc-1');
    assert.equal(flame.error, null);
    assert.deepEqual(flame.target, { job: 'orders', jobId: 'j1', vertex: 'work', vertexId: 'w', subtask: 1, taskmanager: 'tm-2' });
    assert.deepEqual((flame.body as { root: unknown }).root, { name: 'root', value: 10, children: [{ name: 'Work.map', value: 10 }] });
    assert.ok(flame.latencyMs! >= 30_000 && flame.capturedAt >= flame.requestedAt);
    assert.deepEqual((dump.body as { threads: { threadName: string }[] }).threads.map((t) => t.threadName), ['work (2/2)#0', 'main'], 'the hot subtask\'s thread first');
    assert.equal(ev.latencies.length, 2);
    // disabled flame graphs, a stale incident, no graph of the machine: stored with the reason
    flameMode = 'disabled';
    ev.capture([record('inc-2'), record('inc-3', { lastSeen: Date.now() - 3_600_000 }), record('inc-4', { machine: 'tm-9' })]);
    await ev.idle();
    const [f2, d2] = await store.evidence('inc-2');
    assert.match(f2.error!, /flame graphs are disabled/);
    assert.equal(d2.error, null);
    assert.ok((await store.evidence('inc-3')).every((e) => /not captured: the incident's last anomalous point is 60 min old/.test(e.error!)));
    const [f4, d4] = await store.evidence('inc-4');
    assert.match(f4.error!, /no flame graph: no job graph of this machine/);
    assert.match(d4.error!, /HTTP 404/);
    // stopping the watch ends a capture that waits on Flink's sampling
    flameMode = 'slow';
    ev.capture([record('inc-5')]);
    await new Promise((r) => setTimeout(r, 200));
    await ev.close();
    assert.match((await store.evidence('inc-5')).find((e) => e.kind === 'flamegraph')!.error!, /the watch stopped during the capture/);
    await store.close();
  });
});
