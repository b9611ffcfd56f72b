// The job-graph and evidence collectors against a loopback HTTP server answering in Flink 1.20's REST shapes (taken
// from a running 1.20.1 cluster): plan edges, subtask placement, back-pressure shares ("deprecated" until Flink has the
// metrics, "NaN" busy for a legacy source), checkpoint state (Long.MAX interval or 404 = off), one failing job isolated;
// flame graphs (-3 while sampling, -2 disabled, a cached graph too old), thread dumps, and the size bounds.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FlinkGraphSource } from '../../../src/collect/jobgraph.js';
import { FlinkEvidenceSource, boundFlameGraph, boundThreadDump, type FlameNode } from '../../../src/collect/evidence.js';

let server: Server;
let base = '';
const calls: string[] = [];
let bpFetched = false;
let flame: () => unknown = () => ({ endTimestamp: -3 });

const routes: Record<string, (u: URL) => [number, unknown]> = {
  '/jobs/overview': () => [200, { jobs: [{ jid: 'j1', name: 'orders', state: 'RUNNING' }, { jid: 'j2', name: 'broken', state: 'RUNNING' }, { jid: 'j3', name: 'done', state: 'FINISHED' }] }],
  '/jobs/j1': () => [200, {
    jid: 'j1', name: 'orders', state: 'RUNNING', 'start-time': 1000, timestamps: { RUNNING: 1500, RESTARTING: 0 },
    vertices: [{ id: 'src', name: 'Source: source', parallelism: 2 }, { id: 'w', name: 'work -> Sink: discard', parallelism: 2 }],
  }],
  '/jobs/j1/plan': () => [200, { plan: { jid: 'j1', name: 'orders', nodes: [
    { id: 'w', parallelism: 2, description: 'work', inputs: [{ num: 0, id: 'src', ship_strategy: 'REBALANCE', exchange: 'pipelined_bounded' }] },
    { id: 'src', parallelism: 2, description: 'Source: source' },
  ] } }],
  '/jobs/j1/vertices/src': () => [200, { subtasks: [{ subtask: 1, status: 'RUNNING', attempt: 0, host: 'localhost', 'taskmanager-id': 'tm-2' }, { subtask: 0, status: 'RUNNING', attempt: 0, 'taskmanager-id': 'tm-1' }] }],
  '/jobs/j1/vertices/w': () => [200, { subtasks: [{ subtask: 0, status: 'RUNNING', attempt: 1, 'taskmanager-id': 'tm-1' }, { subtask: 1, status: 'DEPLOYING', attempt: 2, host: 'host-b' }] }],
  '/jobs/j1/vertices/src/backpressure': () => [200, bpFetched
    ? { status: 'ok', backpressureLevel: 'low', subtasks: [{ subtask: 0, ratio: 0.36, idleRatio: 0, busyRatio: 'NaN' }, { subtask: 1, ratio: 0.25, idleRatio: 0, busyRatio: 'NaN' }] }
    : { status: 'deprecated' }],
  '/jobs/j1/vertices/w/backpressure': () => [200, { status: 'ok', subtasks: [{ subtask: 0, ratio: 0.0, busyRatio: 0.032 }, { subtask: 1, ratio: 0.0, busyRatio: 1.0 }] }],
  '/jobs/j1/checkpoints/config': () => [200, { mode: 'exactly_once', interval: 10000, timeout: 600000 }],
  '/jobs/j1/checkpoints': () => [200, { counts: { completed: 3 }, latest: { completed: { id: 3, latest_ack_timestamp: 31_000 }, failed: null } }],
  '/jobs/j2': () => [500, { errors: ['boom'] }],
  '/jobs/j2/plan': () => [500, {}],
  '/jobs/f/vertices/v/flamegraph': () => [200, flame()],
  '/taskmanagers/tm-1/thread-dump': () => [200, { threadInfos: [{ threadName: 'main', stringifiedThreadInfo: '"main" WAITING' }, { threadName: 'work -> Sink: discard (2/2)#0', stringifiedThreadInfo: '"work" RUNNABLE\n\tat Work.map' }] }],
};

before(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    calls.push(u.pathname + u.search);
    const r = routes[u.pathname];
    const [status, body] = r ? r(u) : [404, { errors: ['Not found: ' + u.pathname] }];
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

describe('job graph collector (Flink REST shapes)', () => {
  it('reads graph, placement, shares and checkpoint state; a failing job is an error entry of the poll', async () => {
    const src = new FlinkGraphSource(base, { retries: 0 });
    const p = await src.poll(50_000);
    assert.equal(p.jobs.length, 1);
    assert.equal(p.errors.length, 1);
    assert.match(p.errors[0], /job graph of broken: HTTP 500 .*\/jobs\/j2\)/);
    const o = p.jobs[0];
    assert.deepEqual(o.graph.edges, [{ from: 'src', to: 'w', ship: 'REBALANCE' }]);
    assert.deepEqual([o.graph.jobId, o.graph.job, o.graph.ts, o.graph.state, o.runningSince], ['j1', 'orders', 50_000, 'RUNNING', 1500]);
    const [s, w] = o.graph.vertices;
    assert.deepEqual(s.subtasks.map((t) => [t.index, t.machine]), [[0, 'tm-1'], [1, 'tm-2']], 'subtasks in index order');
    assert.ok(s.subtasks.every((t) => Number.isNaN(t.backpressure) && Number.isNaN(t.busy)), '"deprecated": not fetched yet, so unknown (NaN), not 0');
    assert.deepEqual(w.subtasks[1], { index: 1, machine: 'host-b', status: 'DEPLOYING', attempt: 2, backpressure: 0, busy: 1 }, 'host when Flink names no TaskManager');
    assert.deepEqual(o.checkpoint, { intervalMs: 10000, lastCompletedId: 3, lastCompletedAt: 31_000 });
    bpFetched = true;
    const again = (await src.poll(60_000)).jobs[0].graph.vertices[0].subtasks;
    assert.deepEqual(again.map((t) => t.backpressure), [0.36, 0.25]);
    assert.ok(again.every((t) => Number.isNaN(t.busy)), 'a legacy source\'s "NaN" busy ratio is unknown');
    assert.equal(calls.filter((c) => c === '/jobs/j1/plan').length, 1, 'the plan is read once per job id');
    assert.equal(calls.filter((c) => c === '/jobs/j1/checkpoints/config').length, 1, 'and the checkpoint interval');
  });

  it('checkpointing off: Long.MAX interval (9223372036854775807 parses to 2^63) or Flink\'s 404 — and then no checkpoint requests', async () => {
    const saved = routes['/jobs/j1/checkpoints/config'];
    try {
      for (const answer of [[200, { interval: 2 ** 63 }], [404, { errors: ['Checkpointing is not enabled for this job (j1).'] }]] as [number, unknown][]) {
        routes['/jobs/j1/checkpoints/config'] = () => answer;
        calls.length = 0;
        const o = (await new FlinkGraphSource(base, { retries: 0 }).poll(1)).jobs[0];
        assert.deepEqual(o.checkpoint, { intervalMs: null, lastCompletedId: null, lastCompletedAt: null });
        assert.ok(!calls.includes('/jobs/j1/checkpoints'));
      }
      routes['/jobs/j1/checkpoints/config'] = () => [503, {}];
      const p = await new FlinkGraphSource(base, { retries: 0 }).poll(1);
      assert.match(p.errors.join(), /orders: HTTP 503/, 'any other failure is an error, not "off"');
    } finally {
      routes['/jobs/j1/checkpoints/config'] = saved;
    }
  });
});

describe('evidence collector (Flink REST shapes)', () => {
  const tree: FlameNode = { name: 'root', value: 100, children: [{ name: 'Work.map:83', value: 98 }, { name: 'Thread.sleep', value: 2 }] };

  it('flame graph: waits while Flink samples, refuses a cached graph that is too old, says when flame graphs are off', async () => {
    const ev = new FlinkEvidenceSource(base, { retries: 0 });
    let n = 0;
    flame = () => (++n < 3 ? { endTimestamp: -3 } : { endTimestamp: 5, data: tree });
    calls.length = 0;
    const g = await ev.flameGraph('f', 'v', 1, Date.now(), { pollMs: 20 });
    assert.deepEqual(g, { root: tree, endTimestamp: 5 }, 'after -3 (sampling) the next graph is fresh, whatever its clock');
    assert.equal(calls[0], '/jobs/f/vertices/v/flamegraph?type=full&subtaskindex=1');
    const now = Date.now();
    n = 0;
    flame = () => (++n < 3 ? { endTimestamp: now - 60_000, data: { name: 'old', value: 1 } } : { endTimestamp: now + 1, data: tree });
    assert.deepEqual((await ev.flameGraph('f', 'v', null, now, { pollMs: 20 })).root, tree, 'a cached graph from before the request is not evidence');
    flame = () => ({ endTimestamp: -2 });
    await assert.rejects(ev.flameGraph('f', 'v', 0, now, { pollMs: 20 }), /flame graphs are disabled on this Flink cluster \(set rest.flamegraph.enabled: true\)/);
    flame = () => ({ endTimestamp: -3 });
    await assert.rejects(ev.flameGraph('f', 'v', 0, now, { pollMs: 20, timeoutMs: 100 }), /no flame graph of vertex v sampled within 0 s/);
  });

  it('thread dump; bounds: a flame graph folds small frames, a thread dump keeps the hot vertex\'s threads first', async () => {
    const dump = await new FlinkEvidenceSource(base).threadDump('tm-1');
    assert.equal(dump.length, 2);
    const b = boundThreadDump(dump, JSON.stringify(dump[1]).length + 4, ['work -> Sink: discard (2/2)']);
    assert.deepEqual([b.threads.map((t) => t.threadName), b.truncated, b.omitted], [['work -> Sink: discard (2/2)#0'], true, 1]);
    assert.equal(boundThreadDump(dump, 10_000).truncated, false);
    // a wide tree: 200 leaves of 1 sample and one hot frame
    const wide: FlameNode = { name: 'root', value: 1200, children: [{ name: 'hot', value: 1000 }, ...Array.from({ length: 200 }, (_, i) => ({ name: `cold-${i}`, value: 1 }))] };
    const cut = boundFlameGraph(wide, 400);
    assert.ok(cut.truncated && cut.bytes <= 400 && JSON.stringify(cut.root).length === cut.bytes);
    assert.deepEqual(cut.root.children, [{ name: 'hot', value: 1000 }, { name: '(other)', value: 200 }]);
    assert.deepEqual(boundFlameGraph(tree, 10_000), { root: tree, bytes: JSON.stringify(tree).length, truncated: false });
  });
});
