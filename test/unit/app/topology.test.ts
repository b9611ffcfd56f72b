// JobWatcher against a loopback HTTP server answering in Flink's REST shapes: job graphs with edges from the plan,
// live placement, "all running", the last restart, and per-subtask checkpoint statistics mapped to machines —
// fetched again only when a new checkpoint completed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JobWatcher } from '../../../src/app/lab/topology.js';

let server: Server;
let base = '';
let latest = 5;
let status = 'RUNNING';
const hits: string[] = [];

before(async () => {
  const routes: Record<string, () => unknown> = {
    '/jobs/j1': () => ({ name: 'orders', state: 'RUNNING', timestamps: { RESTARTING: 1234 }, vertices: [{ id: 'v0', name: 'Source: orders-source', parallelism: 2, status: 'RUNNING' }, { id: 'v1', name: 'order-score', parallelism: 2, status }] }),
    '/jobs/j1/plan': () => ({ plan: { nodes: [{ id: 'v1', inputs: [{ id: 'v0', ship_strategy: 'HASH' }] }, { id: 'v0' }] } }),
    '/jobs/j1/vertices/v0': () => ({ subtasks: [{ subtask: 1, 'taskmanager-id': 'tm-2' }, { subtask: 0, 'taskmanager-id': 'tm-1' }] }),
    '/jobs/j1/vertices/v1': () => ({ subtasks: [{ subtask: 0, 'taskmanager-id': 'tm-2' }, { subtask: 1, 'taskmanager-id': 'tm-2' }] }),
    '/jobs/j1/checkpoints': () => ({ latest: { completed: { id: latest, latest_ack_timestamp: 1 } } }),
    '/jobs/j1/checkpoints/details/5/subtasks/v0': () => ({ subtasks: [{ index: 0, end_to_end_duration: 40, state_size: 10 }, { index: 1, end_to_end_duration: 50, state_size: 20 }] }),
    '/jobs/j1/checkpoints/details/5/subtasks/v1': () => ({ subtasks: [{ index: 0, end_to_end_duration: 100, state_size: 1000 }, { index: 1, end_to_end_duration: 300, state_size: 5000 }] }),
  };
  server = createServer((req, res) => {
    const p = new URL(req.url!, 'http://x').pathname;
    hits.push(p);
    const r = routes[p];
    if (!r) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(r()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

describe('JobWatcher', () => {
  it('graphs, placement, running state and the last restart', async () => {
    const w = new JobWatcher(base, [{ name: 'orders', id: 'j1' }], { retries: 0 });
    assert.deepEqual(await w.graphs(), [{ name: 'orders', ids: ['j1'], parallelism: 2, vertices: [{ id: 'v0', name: 'Source: orders-source', parallelism: 2 }, { id: 'v1', name: 'order-score', parallelism: 2 }], edges: [{ from: 'Source: orders-source', to: 'order-score', ship: 'HASH' }] }]);
    assert.deepEqual(await w.placement(), { orders: { 'Source: orders-source': ['tm-1', 'tm-2'], 'order-score': ['tm-2', 'tm-2'] } }, 'machines ordered by subtask index');
    assert.equal(await w.allRunning(), true);
    status = 'SCHEDULED';
    assert.equal(await w.allRunning(), false, 'a vertex waiting for slots is not running');
    status = 'RUNNING';
    assert.deepEqual(await w.lastRestart(), { orders: 1234 });
  });

  it('checkpoint statistics per (machine, operator) and per machine; details fetched once per checkpoint', async () => {
    const w = new JobWatcher(base, [{ name: 'orders', id: 'j1' }], { retries: 0 });
    const placement = await w.placement();
    const s = await w.checkpointSamples(7, placement);
    const get = (machine: string, metric: string, operator?: string): number | undefined => s.find((x) => x.machine === machine && x.metric === metric && x.operator === operator)?.value;
    assert.equal(get('tm-2', 'checkpoint_ms', 'order-score'), 300, 'slowest of the two order-score subtasks on tm-2');
    assert.equal(get('tm-2', 'state_bytes', 'order-score'), 6000, 'their state summed');
    assert.equal(get('tm-1', 'state_bytes', 'Source: orders-source'), 10);
    assert.equal(get('tm-2', 'checkpoint_ms'), 300, 'machine: slowest subtask of any operator');
    assert.equal(get('tm-2', 'state_bytes'), 6020, 'machine: all state on it');
    assert.equal(get('tm-1', 'state_bytes'), 10);
    assert.ok(s.every((x) => x.ts === 7));
    const before = hits.filter((h) => h.includes('/details/')).length;
    const again = await w.checkpointSamples(9, placement);
    assert.equal(hits.filter((h) => h.includes('/details/')).length, before, 'same checkpoint: no new detail requests');
    assert.equal(again.find((x) => x.machine === 'tm-2' && x.metric === 'state_bytes' && !x.operator)?.value, 6020, 'the last values repeat, as a gauge would');
    latest = 6;
    await assert.rejects(w.checkpointSamples(11, placement), /HTTP 404/, 'a new checkpoint is fetched (here: not served)');
  });
});
