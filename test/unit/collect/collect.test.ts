// Collectors against a real HTTP server on loopback that answers in Flink's and Prometheus' REST shapes — and
// misbehaves on request (500s, malformed JSON, slow answers, 401) — for the failure paths. The real Flink cluster
// integration test is not built yet (see the issue notes).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FlinkRestSource, PrometheusSource, getJson, SourceError, pollLoop, CATALOGUE, combine } from '../../../src/collect/index.js';

let server: Server;
let base = '';
let fails = 0;
const routes: Record<string, (url: URL) => unknown> = {
  '/taskmanagers': () => ({ taskmanagers: [{ id: 'tm-a' }, { id: 'tm-b' }] }),
  '/taskmanagers/tm-a/metrics': () => [{ id: 'Status.JVM.CPU.Load', value: '0.9' }, { id: 'Status.JVM.Memory.Heap.Used', value: '100' }],
  '/taskmanagers/tm-b/metrics': () => [{ id: 'Status.JVM.CPU.Load', value: '0.1' }],
  '/jobs/overview': () => ({ jobs: [{ jid: 'j1', name: 'orders', state: 'RUNNING' }, { jid: 'j2', name: 'old', state: 'FINISHED' }] }),
  '/jobs/j1': () => ({ vertices: [{ id: 'v1', name: 'map', parallelism: 3 }] }),
  '/jobs/j1/vertices/v1': () => ({ subtasks: [{ subtask: 0, 'taskmanager-id': 'tm-a' }, { subtask: 1, 'taskmanager-id': 'tm-a' }, { subtask: 2, 'taskmanager-id': 'tm-b' }] }),
  '/jobs/j1/vertices/v1/metrics': (u) => {
    const vals: Record<string, string> = { '0.busyTimeMsPerSecond': '900', '1.busyTimeMsPerSecond': '700', '2.busyTimeMsPerSecond': '100', '0.numRecordsInPerSecond': '10', '1.numRecordsInPerSecond': '20', '2.numRecordsInPerSecond': '5' };
    return (u.searchParams.get('get') ?? '').split(',').filter((id) => id in vals).map((id) => ({ id, value: vals[id] }));
  },
  '/api/v1/query_range': (u) => ({
    status: 'success',
    data: {
      resultType: 'matrix',
      result: /CPU_Load/.test(u.searchParams.get('query') ?? '')
        ? [{ metric: { tm_id: 'tm_a' }, values: [[Number(u.searchParams.get('start')), '0.5'], [Number(u.searchParams.get('start')) + 10, 'NaN']] }]
        : /job_name.*busyTime|busyTime.*job_name/.test(u.searchParams.get('query') ?? '')
          ? [{ metric: { tm_id: 'tm_a', job_name: 'orders', task_name: 'map' }, values: [[Number(u.searchParams.get('start')), '900']] }]
          : [],
    },
  }),
};

before(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    if (u.pathname === '/flaky' && fails-- > 0) return void res.writeHead(500).end('boom');
    if (u.pathname === '/flaky') return void res.writeHead(200).end('{"ok":true}');
    if (u.pathname === '/malformed') return void res.writeHead(200).end('{"taskmanagers": [');
    if (u.pathname === '/slow') return void setTimeout(() => res.writeHead(200).end('{}'), 1000);
    if (u.pathname === '/secret') return void res.writeHead(req.headers.authorization === 'Bearer ok' ? 200 : 401).end('{}');
    const r = routes[u.pathname];
    if (!r) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(r(u)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

describe('collectors', () => {
  it('Flink REST: TaskManager metrics, subtasks mapped to their TaskManager and aggregated as the catalogue says', async () => {
    const r = await new FlinkRestSource(base).poll(1234);
    const get = (m: string, metric: string): number | undefined => r.samples.find((s) => s.machine === m && s.metric === metric)?.value;
    assert.equal(get('tm-a', 'cpu_load'), 0.9);
    assert.equal(get('tm-b', 'cpu_load'), 0.1);
    assert.equal(get('tm-a', 'busy_ms_per_s'), 900, 'busy time: max over the subtasks on tm-a');
    assert.equal(get('tm-a', 'records_in_per_s'), 30, 'records in: sum over the subtasks on tm-a');
    assert.equal(get('tm-b', 'records_in_per_s'), 5);
    assert.deepEqual(r.jobsOn, { 'tm-a': ['orders'], 'tm-b': ['orders'] });
    assert.ok(r.samples.every((s) => s.ts === 1234));
    // per (machine, job, operator) as well, for explanations
    const job = (m: string, metric: string) => r.samples.find((s) => s.machine === m && s.metric === metric && s.job === 'orders' && s.operator === 'map')?.value;
    assert.equal(job('tm-a', 'busy_ms_per_s'), 900);
    assert.equal(job('tm-a', 'records_in_per_s'), 30);
    assert.equal(job('tm-b', 'busy_ms_per_s'), 100);
    assert.equal(r.samples.filter((s) => s.job === undefined && s.metric === 'busy_ms_per_s').length, 2, 'machine-level samples unchanged');
  });
  it('Prometheus: query_range per metric, tm_id label → machine, NaN dropped; task metrics per job and operator too', async () => {
    const s = await new PrometheusSource(base, { stepMs: 10_000 }).range(0, 60_000);
    assert.deepEqual(s, [{ ts: 0, machine: 'tm-a', metric: 'cpu_load', value: 0.5 }, { ts: 0, machine: 'tm-a', metric: 'busy_ms_per_s', value: 900, job: 'orders', operator: 'map' }]);
    assert.deepEqual(await new PrometheusSource(base, { stepMs: 10_000, perJob: false }).range(0, 60_000), [s[0]]);
  });
  it('retries 5xx, then succeeds; malformed JSON, 401, timeouts and a server that is down are clear errors', async () => {
    fails = 2;
    assert.deepEqual(await getJson(`${base}/flaky`, { retries: 2, backoffMs: 10 }), { ok: true });
    fails = 5;
    await assert.rejects(getJson(`${base}/flaky`, { retries: 1, backoffMs: 10 }), (e: Error) => e instanceof SourceError && /HTTP 500/.test(e.message));
    await assert.rejects(getJson(`${base}/malformed`), /malformed JSON/);
    await assert.rejects(getJson(`${base}/secret`, { auth: { bearer: 'wrong' } }), /401: wrong or missing credentials/);
    assert.deepEqual(await getJson(`${base}/secret`, { auth: { bearer: 'ok' } }), {});
    await assert.rejects(getJson(`${base}/slow`, { timeoutMs: 100, retries: 0 }), /no answer within 100 ms/);
    await assert.rejects(getJson('http://127.0.0.1:9/x', { retries: 0 }), /cannot connect/);
  });
  it('the poll loop keeps going through failures and stores each batch once', async () => {
    let n = 0;
    const stored: number[] = [];
    const st = await pollLoop(async () => {
      if (++n === 2) throw new Error('flink went away');
      return [{ ts: n, machine: 'm', metric: 'cpu_load', value: n }];
    }, (b) => (stored.push(...b.map((s) => s.ts)), b.length), { intervalMs: 1, maxPolls: 4 });
    assert.equal(st.polls, 4);
    assert.equal(st.errors, 1);
    assert.equal(st.lastError, 'flink went away');
    assert.deepEqual(stored, [1, 3, 4]);
  });
  it('catalogue: unique names, every aggregation defined', () => {
    assert.equal(new Set(CATALOGUE.map((m) => m.name)).size, CATALOGUE.length);
    assert.equal(combine('sum', [1, 2]), 3);
    assert.equal(combine('mean', [1, 3]), 2);
    assert.equal(combine('min', [1, 3]), 1);
    assert.ok(Number.isNaN(combine('max', [])));
  });
});

describe('TLS', () => {
  it('a self-signed server is refused by default, trusted with its CA, or reached with insecure', async (t) => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { createServer: createHttps } = await import('node:https');
    const d = mkdtempSync(join(tmpdir(), 'flinkscope-tls-'));
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', join(d, 'k.pem'), '-out', join(d, 'c.pem')]);
    if (r.status !== 0) return t.skip('openssl not available');
    const cert = readFileSync(join(d, 'c.pem'), 'utf8');
    const srv = createHttps({ key: readFileSync(join(d, 'k.pem')), cert }, (_q, s) => s.writeHead(200).end('{"tls":true}'));
    await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
    const url = `https://127.0.0.1:${(srv.address() as AddressInfo).port}/`;
    try {
      await assert.rejects(getJson(url, { retries: 0 }), /cannot connect/);
      assert.deepEqual(await getJson(url, { retries: 0, tls: { ca: cert } }), { tls: true });
      assert.deepEqual(await getJson(url, { retries: 0, tls: { insecure: true } }), { tls: true });
    } finally {
      srv.close();
    }
  });
});
