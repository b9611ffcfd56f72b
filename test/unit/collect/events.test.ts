// The event collector against a real HTTP server on loopback answering in Flink's REST shapes, whose state the test
// changes between polls: a job restarting after a lost TaskManager, a failed checkpoint, a new job, a rescale — each
// becomes one event with Flink's facts, the first poll is only the baseline, and polling again repeats nothing.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlinkEventSource, FlinkRestSource } from '../../../src/collect/index.js';
import { StoreCollector } from '../../../src/app/collect.js';
import { SqliteStore } from '../../../src/store/sqlite.js';

interface World {
  tms: string[];
  jobs: { jid: string; name: string; state: string; 'last-modification': number }[];
  restarting: Record<string, number>;
  failed: Record<string, number>;
  exceptions: Record<string, { timestamp: number; exceptionName: string; taskName: string; taskManagerId: string | null }[]>;
  parallelism: Record<string, number>;
  watermark: string;
}
let w: World;
let server: Server;
let base = '';

before(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    const p = u.pathname;
    let body: unknown;
    let m: RegExpExecArray | null;
    if (p === '/taskmanagers') body = { taskmanagers: w.tms.map((id, i) => ({ id, timeSinceLastHeartbeat: 1000 + i })) };
    else if (p === '/jobs/overview') body = { jobs: w.jobs };
    else if ((m = /^\/jobs\/(\w+)\/exceptions$/.exec(p))) body = { exceptionHistory: { entries: w.exceptions[m[1]] ?? [] } };
    else if ((m = /^\/jobs\/(\w+)\/checkpoints$/.exec(p))) body = { counts: { failed: w.failed[m[1]] ?? 0 } };
    else if ((m = /^\/jobs\/(\w+)$/.exec(p))) body = { vertices: [{ id: 'v1', name: 'map', parallelism: w.parallelism[m[1]] ?? 2 }], timestamps: { RUNNING: 1, RESTARTING: w.restarting[m[1]] ?? 0 } };
    else if (/^\/taskmanagers\/[\w-]+\/metrics$/.test(p)) body = [];
    else if (/^\/jobs\/\w+\/vertices\/v1$/.test(p)) body = { subtasks: [{ subtask: 0, 'taskmanager-id': 'tm-1' }] };
    else if (/^\/jobs\/\w+\/vertices\/v1\/metrics$/.test(p)) body = [{ id: '0.currentInputWatermark', value: w.watermark }, { id: '0.busyTimeMsPerSecond', value: '10' }];
    else return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

describe('Flink event collector', () => {
  it('baseline first, then one event per change with Flink facts; no repeats', async () => {
    w = { tms: ['tm-1', 'tm-2'], jobs: [{ jid: 'a1', name: 'orders', state: 'RUNNING', 'last-modification': 100 }], restarting: { a1: 40 }, failed: { a1: 1 }, exceptions: { a1: [{ timestamp: 50, exceptionName: 'old', taskName: 't', taskManagerId: 'tm-1' }] }, parallelism: {}, watermark: '0' };
    const src = new FlinkEventSource(base, { retries: 0 });
    src.jobsOn = { orders: ['tm-1', 'tm-2'] };
    assert.deepEqual((await src.poll(1000)).events, [], 'the first poll only learns the current state (a restart at 40, 1 failed checkpoint so far)');
    // tm-2 dies: it leaves the list, orders restarts (the exception history names tm-2), a checkpoint fails
    w.tms = ['tm-1'];
    w.jobs[0] = { ...w.jobs[0], state: 'RESTARTING', 'last-modification': 1500 };
    w.restarting.a1 = 1450;
    w.failed.a1 = 2;
    w.exceptions.a1.push({ timestamp: 1400, exceptionName: 'org.apache.flink.runtime.io.network.netty.exception.RemoteTransportException', taskName: 'map (2/2)', taskManagerId: 'tm-2' });
    const e2 = (await src.poll(2000)).events;
    assert.deepEqual(e2.map((e) => [e.kind, e.ts, e.machines, e.job]), [
      ['failover', 2000, ['tm-2'], undefined],
      ['job-state', 1500, [], 'orders'],
      ['restart', 1450, ['tm-2'], 'orders'],
      ['checkpoint-failed', 2000, [], 'orders'],
    ]);
    assert.match(e2[0].detail, /TaskManager tm-2 lost; its jobs \(orders\) restart elsewhere/);
    assert.equal(e2[1].detail, 'job orders: RUNNING → RESTARTING');
    assert.match(e2[2].detail, /^job orders restarted after .*RemoteTransportException in map \(2\/2\) \(on tm-2\)$/);
    assert.deepEqual(e2[2].attrs, { jobId: 'a1', restartsSeen: 1, failures: 1 });
    assert.deepEqual((await src.poll(2500)).events, [], 'nothing changed, nothing new');
    // back to RUNNING, a second job deployed, the first rescaled
    w.tms = ['tm-1', 'tm-2'];
    w.jobs[0] = { ...w.jobs[0], state: 'RUNNING', 'last-modification': 2600 };
    w.jobs.push({ jid: 'b2', name: 'enrich', state: 'RUNNING', 'last-modification': 2700 });
    w.parallelism.a1 = 3;
    const e3 = (await src.poll(3000)).events;
    assert.deepEqual(e3.map((e) => [e.kind, e.detail]), [
      ['job-state', 'job orders: RESTARTING → RUNNING'],
      ['rescale', 'job orders: map parallelism 2 → 3'],
      ['deploy', 'job enrich (b2) appeared in state RUNNING'],
    ]);
    const ids = [...e2, ...e3].map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, 'distinct ids');
  });

  it('a job that vanishes mid-poll is an error string, the poll goes on', async () => {
    w = { tms: ['tm-1'], jobs: [{ jid: 'a1', name: 'orders', state: 'RUNNING', 'last-modification': 1 }, { jid: 'zz-gone', name: 'gone', state: 'RUNNING', 'last-modification': 1 }], restarting: {}, failed: {}, exceptions: {}, parallelism: {}, watermark: '0' };
    const r = await new FlinkEventSource(base, { retries: 0 }).poll(1);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0], /^job gone: HTTP 404/);
  });
});

describe('events on the product path', () => {
  it('a watch poll stores Flink events with the samples (once each), and a failover names the machines from the placement', async () => {
    w = { tms: ['tm-1', 'tm-2'], jobs: [{ jid: 'a1', name: 'orders', state: 'RUNNING', 'last-modification': 100 }], restarting: {}, failed: {}, exceptions: {}, parallelism: {}, watermark: '0' };
    const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'flinkscope-events-')), 'e.db'));
    try {
      const c = new StoreCollector(store, { flink: base, http: { retries: 0 } });
      const first = await c.poll(1000);
      assert.deepEqual([first.events, first.errors], [[], []], 'the first poll is the baseline');
      assert.ok(first.stored > 0, 'samples stored as before');
      w.tms = ['tm-2']; // tm-1 (where the server places orders' subtask) is lost
      w.jobs[0] = { ...w.jobs[0], state: 'RESTARTING', 'last-modification': 1500 };
      const second = await c.poll(2000);
      assert.deepEqual(second.events.map((e) => e.kind), ['failover', 'job-state']);
      assert.match(second.events[0].detail, /TaskManager tm-1 lost; its jobs \(orders\) restart elsewhere/, 'the placement stored by the previous poll names the jobs');
      assert.deepEqual((await store.events({})).map((e) => e.kind).sort(), ['failover', 'job-state'], 'stored');
      assert.deepEqual((await c.poll(2500)).events, [], 'nothing new, nothing stored twice');
      assert.equal((await store.events({})).length, 2);
    } finally {
      await store.close();
    }
  });
});

describe('watermark lag (REST)', () => {
  it('is now − the slowest input watermark; no watermark yet (Long.MIN_VALUE) is missing, not a huge number', async () => {
    w = { tms: ['tm-1'], jobs: [{ jid: 'a1', name: 'orders', state: 'RUNNING', 'last-modification': 1 }], restarting: {}, failed: {}, exceptions: {}, parallelism: {}, watermark: String(Date.now() - 5000) };
    const before = Date.now();
    const lag = (await new FlinkRestSource(base).poll()).samples.find((s) => s.metric === 'watermark_lag_ms' && s.job === undefined)!.value;
    assert.ok(lag >= 5000 && lag <= 5000 + (Date.now() - before) + 50, `lag ${lag}`);
    w.watermark = '-9223372036854775808';
    assert.equal((await new FlinkRestSource(base).poll()).samples.filter((s) => s.metric === 'watermark_lag_ms').length, 0);
  });
});
