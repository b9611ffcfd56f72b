// Collectors against a real HTTP server on loopback that answers in Flink's and Prometheus' REST shapes — and
// misbehaves on request (500s, malformed JSON, slow answers, 401) — for the failure paths. The real Flink cluster
// integration test is not built yet (see the issue notes).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getEventListeners } from 'node:events';
import { FlinkRestSource, PrometheusSource, getJson, SourceError, pollLoop, CATALOGUE, combine } from '../../../src/collect/index.js';
import { parseMetricValue } from '../../../src/core/value.js';
import { CollectPollError, StoreCollector } from '../../../src/app/collect.js';
import { SqliteStore } from '../../../src/store/sqlite.js';

let server: Server;
let base = '';
let fails = 0;
let gcCount = 0;
let gcTms = ['tm-g'];
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
  // a cluster that answers oddly: values that are not numbers, a list that is an object, a failing endpoint
  // a TaskManager whose GC count moves between polls (and restarts: the count falls back)
  '/gc/taskmanagers': () => ({ taskmanagers: gcTms.map((id) => ({ id })) }),
  '/gc/taskmanagers/tm-g/metrics': () => [{ id: 'Status.JVM.GarbageCollector.All.Count', value: String(gcCount) }],
  '/gc/jobs/overview': () => ({ jobs: [] }),
  '/odd/taskmanagers': () => ({ taskmanagers: [{ id: 'tm-x' }, { id: 'tm-y' }, { id: 'tm-z' }] }),
  '/odd/taskmanagers/tm-x/metrics': () => [
    { id: 'Status.JVM.CPU.Load', value: '' }, { id: 'Status.JVM.Memory.Heap.Used', value: null }, { id: 'Status.JVM.Memory.Heap.Max', value: true },
    { id: 'Status.JVM.GarbageCollector.All.Count', value: '0x10' }, { id: 'Status.JVM.GarbageCollector.All.TimeMsPerSecond', value: '12.5' },
  ],
  '/odd/taskmanagers/tm-y/metrics': () => ({ metrics: 'not a list' }),
  '/odd/taskmanagers/tm-z/metrics': () => [{ id: 'Status.JVM.CPU.Load', value: 0.25 }],
  '/odd/api/v1/query_range': (u) => {
    const q = u.searchParams.get('query') ?? '';
    const t = Number(u.searchParams.get('start'));
    if (/Heap_Used/.test(q)) return { status: 'error', error: 'bad query' };
    if (/CPU_Load/.test(q)) return { status: 'success', data: { resultType: 'matrix', result: [{ metric: { instance: 'jm:9249' }, values: [[t, '0.5']] }] } };
    if (/GarbageCollector_All_Count/.test(q)) return { status: 'success', data: { resultType: 'matrix', result: [{ metric: { tm_id: 'tm_b' }, values: [[t, '7'], [t + 10, 'true']] }] } };
    return { status: 'success', data: { resultType: 'matrix', result: [] } };
  },
  // a Prometheus that records the windows it is asked for, and fails while recFail is set
  '/rec/api/v1/query_range': (u) => {
    const a = Number(u.searchParams.get('start'));
    const b = Number(u.searchParams.get('end'));
    asked.push([a, b]);
    if (recFail) return { status: 'error', error: 'down' };
    const values: [number, string][] = [];
    for (let t = Math.ceil(a / 10) * 10; t <= b; t += 10) values.push([t, String(t)]);
    return { status: 'success', data: { resultType: 'matrix', result: [{ metric: { tm_id: 'tm_a' }, values }] } };
  },
};
// a cluster whose metric cache stops refreshing while staleHeap holds still; /stale2 states its refresh interval
let staleHeap = 100;
for (const pre of ['/stale', '/stale2']) {
  routes[`${pre}/taskmanagers`] = () => ({ taskmanagers: [{ id: 'tm-s' }] });
  routes[`${pre}/taskmanagers/tm-s/metrics`] = () => [{ id: 'Status.JVM.CPU.Load', value: '0.4' }, { id: 'Status.JVM.Memory.Heap.Used', value: String(staleHeap) }, { id: 'Status.JVM.GarbageCollector.All.Count', value: '3' }];
  routes[`${pre}/jobs/overview`] = () => ({ jobs: [{ jid: 'j1', name: 'orders', state: 'RUNNING' }] });
  routes[`${pre}/jobs/j1`] = () => ({ vertices: [{ id: 'v1', name: 'map' }] });
  routes[`${pre}/jobs/j1/vertices/v1`] = () => ({ subtasks: [{ subtask: 0, 'taskmanager-id': 'tm-s' }] });
  routes[`${pre}/jobs/j1/vertices/v1/metrics`] = () => [{ id: '0.busyTimeMsPerSecond', value: '900' }, { id: '0.currentInputWatermark', value: '1000' }];
}
// a cluster that is unreachable (503 on every path) while `down` is set; its values move at every poll
let down = false;
let downPolls = 0;
routes['/down/taskmanagers'] = () => ({ taskmanagers: [{ id: 'tm-d' }] });
routes['/down/taskmanagers/tm-d/metrics'] = () => [{ id: 'Status.JVM.CPU.Load', value: String((downPolls++ % 9) / 10) }];
routes['/down/jobs/overview'] = () => ({ jobs: [] });
routes['/stale2/jobmanager/config'] = () => [{ key: 'metrics.fetcher.update-interval', value: '500' }, { key: 'web.timeout', value: '600000' }];
const asked: [number, number][] = [];
let recFail = false;

before(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    if (u.pathname === '/flaky' && fails-- > 0) return void res.writeHead(500).end('boom');
    if (u.pathname === '/flaky') return void res.writeHead(200).end('{"ok":true}');
    if (u.pathname === '/throttled' && fails-- > 0) return void res.writeHead(429).end('slow down');
    if (u.pathname === '/throttled') return void res.writeHead(200).end('{"ok":1}');
    if (u.pathname === '/malformed') return void res.writeHead(200).end('{"taskmanagers": [');
    if (u.pathname === '/slow') return void setTimeout(() => res.writeHead(200).end('{}'), 1000);
    if (u.pathname === '/secret') return void res.writeHead(req.headers.authorization === 'Bearer ok' ? 200 : 401).end('{}');
    if (u.pathname === '/odd/jobs/overview') return void res.writeHead(500).end('down');
    if (u.pathname.startsWith('/down/') && down) return void res.writeHead(503).end('unavailable');
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
    const r = await new PrometheusSource(base, { stepMs: 10_000 }).range(0, 60_000);
    const s = r.samples;
    assert.deepEqual(s, [{ ts: 0, machine: 'tm-a', metric: 'cpu_load', value: 0.5 }, { ts: 0, machine: 'tm-a', metric: 'busy_ms_per_s', value: 900, job: 'orders', operator: 'map' }]);
    assert.deepEqual(r.errors, []);
    assert.equal(r.gaps, 1, "the 'NaN' value is a gap, counted");
    assert.deepEqual((await new PrometheusSource(base, { stepMs: 10_000, perJob: false }).range(0, 60_000)).samples, [s[0]]);
  });
  it('Flink REST, strictly: non-numbers are gaps (never 0), a bad answer names its URL, one failing part does not sink the poll', async () => {
    const r = await new FlinkRestSource(`${base}/odd`, { retries: 0 }).poll(5);
    assert.deepEqual(r.samples.map((s) => [s.machine, s.metric, s.value]), [['tm-x', 'gc_time_ms', 12.5], ['tm-z', 'cpu_load', 0.25]], "'', null, true and '0x10' are not 0, 0, 1 and 16");
    assert.equal(r.gaps, 4);
    assert.equal(r.errors.length, 2);
    assert.match(r.errors[0], new RegExp(`^taskmanager tm-y: unexpected answer: the answer is an object, expected a list \\(${base}/odd/taskmanagers/tm-y/metrics`));
    assert.match(r.errors[1], new RegExp(`^jobs: HTTP 500 from the server \\(${base}/odd/jobs/overview\\)`));
  });
  it('Flink REST: a cumulative counter (GC count) is reported as its rate per minute over the last minute of polls', async () => {
    const src = new FlinkRestSource(`${base}/gc`, { retries: 0 });
    const gc = async (ts: number, count: number): Promise<number | undefined> => {
      gcCount = count;
      const r = await src.poll(ts);
      assert.deepEqual(r.errors, []);
      return r.samples.find((s) => s.metric === 'gc_per_min')?.value;
    };
    assert.equal(await gc(0, 100), undefined, 'a first reading has no rate: absent, not 0');
    assert.equal(await gc(10_000, 102), 12, '2 collections in 10 s = 12 per minute');
    assert.equal(await gc(30_000, 106), 12);
    assert.equal(await gc(70_000, 110), 8, 'the window is one minute: 102 → 110 over the 60 s since the poll at 10 s');
    assert.equal(await gc(80_000, 3), undefined, 'the count fell: a restarted JVM, no rate until its second reading');
    assert.equal(await gc(90_000, 5), 12);
    assert.equal(src.rates.size, 1);
    gcTms = [];
    await src.poll(100_000);
    assert.equal(src.rates.size, 0, 'a TaskManager gone from the list: its history is dropped (memory stays bounded)');
    gcTms = ['tm-g'];
    assert.equal(await gc(110_000, 9), undefined, 'back: no rate from a history that was dropped');
    assert.ok(!CATALOGUE.some((m) => m.name === 'gc_count'), 'the raw count is no metric of its own');
    assert.ok(CATALOGUE.filter((m) => m.counter).every((m) => m.rest?.scope === 'tm' && /rate\(/.test(m.prom)), 'every counter: a TaskManager metric, and a rate in Prometheus too');
  });
  it('Flink REST: a TaskManager served the same values for 3 cache refreshes is stale — its samples are left out, named, and come back when they move', async () => {
    staleHeap = 100;
    const src = new FlinkRestSource(`${base}/stale`, { retries: 0 }, 3000);
    const machines = (r: { samples: { machine: string }[] }): string[] => [...new Set(r.samples.map((s) => s.machine))];
    assert.deepEqual(machines(await src.poll(10_000)), ['tm-s']);
    const second = await src.poll(12_000);
    assert.deepEqual([machines(second), second.stale], [['tm-s'], []], 'unchanged for 2 s: within the refreshes');
    const third = await src.poll(14_000);
    assert.deepEqual([third.samples, third.stale], [[], [{ machine: 'tm-s', servedSince: 10_000 }]], 'unchanged for 4 s: every sample left out, the lag against the clock too');
    staleHeap = 101;
    const back = await src.poll(16_000);
    assert.deepEqual([back.stale, back.samples.find((s) => s.metric === 'heap_used')?.value], [[], 101], 'one value moved: fresh again');
    // the interval from the cluster's configuration: 3 × 500 ms
    const conf = new FlinkRestSource(`${base}/stale2`, { retries: 0 });
    await conf.poll(0);
    assert.deepEqual((await conf.poll(1000)).stale, []);
    assert.deepEqual((await conf.poll(1500)).stale.map((s) => s.machine), ['tm-s']);
    // without a readable configuration: Flink's default refresh (10 s), so 30 s
    const dflt = new FlinkRestSource(`${base}/stale`, { retries: 0 });
    await dflt.poll(0);
    assert.deepEqual((await dflt.poll(29_000)).stale, []);
    assert.deepEqual((await dflt.poll(30_000)).stale.map((s) => s.machine), ['tm-s']);
  });

  it('collecting into a store: a TaskManager whose metrics go stale gets one metrics-stale event, its rows stop, and come back with a metrics-fresh event', async () => {
    staleHeap = 200;
    const store = new SqliteStore(':memory:');
    const c = new StoreCollector(store, { flink: `${base}/stale2`, http: { retries: 0 } });
    for (const t of [0, 1000, 2000, 3000]) {
      const r = await c.poll(t);
      if (t === 2000) assert.ok(r.errors.some((e) => /taskmanager tm-s: stale metrics/.test(e)), r.errors.join('; '));
    }
    const ev = (await store.events({})).filter((e) => e.kind === 'metrics-stale');
    assert.deepEqual(ev.map((e) => [e.ts, e.machines, e.attrs?.servedSince]), [[2000, ['tm-s'], 0]], 'one event, when the stretch was found');
    assert.deepEqual(Array.from((await store.series('tm-s', ['heap_used'], 0, 10_000)).timestamps), [0, 1000], 'no rows while stale');
    staleHeap = 201;
    await c.poll(4000);
    const fresh = (await store.events({})).filter((e) => e.kind === 'metrics-fresh');
    assert.deepEqual(fresh.map((e) => [e.ts, e.machines, e.attrs?.servedSince, e.attrs?.staleAt]), [[4000, ['tm-s'], 0, 2000]], 'one event when the values move again');
    assert.deepEqual(Array.from((await store.series('tm-s', ['heap_used'], 0, 10_000)).timestamps), [0, 1000, 4000], 'and its rows come back');
    assert.deepEqual(await store.events({ kinds: ['collect-failed', 'collect-resumed'] }), [], 'a poll with every TaskManager stale is no outage of the collector');
    await store.close();
  });

  it('collecting into a store: an unreachable cluster is one collect-failed event, and data again one collect-resumed event with the gap', async () => {
    const store = new SqliteStore(':memory:');
    try {
      // the store's newest data is 10 min old: flinkscope was not collecting
      const c = new StoreCollector(store, { flink: `${base}/down`, http: { retries: 0 } }, 0, -600_000);
      const first = await c.poll(0);
      assert.deepEqual(first.events.map((e) => [e.kind, e.attrs?.since, e.attrs?.cause]), [['collect-resumed', -600_000, 'not-running']]);
      assert.deepEqual((await c.poll(10_000)).events, []);
      down = true;
      // the failed poll says what it stored all the same, so a caller can count and log it
      await assert.rejects(c.poll(20_000), (e: unknown) => e instanceof CollectPollError && /503/.test(e.message) && e.events.map((x) => x.kind).join() === 'collect-failed');
      await assert.rejects(c.poll(30_000), (e: unknown) => e instanceof CollectPollError && e.events.length === 0);
      down = false;
      const back = await c.poll(40_000);
      assert.deepEqual(back.events.map((e) => [e.kind, e.attrs?.since, e.attrs?.cause, e.attrs?.backfilled]), [['collect-resumed', 10_000, 'failed', false]], 'the gap since the last poll that brought data');
      const stored = (await store.events({ kinds: ['collect-failed', 'collect-resumed'] })).map((e) => [e.ts, e.kind, e.machines]);
      assert.deepEqual(stored, [[0, 'collect-resumed', []], [20_000, 'collect-failed', []], [40_000, 'collect-resumed', []]], 'stored, cluster-wide, once per outage');
      assert.match((await store.events({ kinds: ['collect-failed'] }))[0].detail, /no data since 1970-01-01T00:00:10\.000Z\): .*503/);
      assert.deepEqual(Array.from((await store.series('tm-d', ['cpu_load'], 0, 50_000)).timestamps), [0, 10_000, 40_000], 'no rows in the gap');
    } finally {
      down = false;
      await store.close();
    }
  });

  it('Prometheus: each query isolated; a series without tm_id is an error, not a machine called "cluster"', async () => {
    const r = await new PrometheusSource(`${base}/odd`, { stepMs: 10_000, retries: 0 }).range(0, 20_000);
    assert.deepEqual(r.samples, [{ ts: 0, machine: 'tm-b', metric: 'gc_per_min', value: 7 }], 'the other queries still deliver');
    assert.equal(r.gaps, 1);
    assert.ok(r.errors.some((e) => /^heap_used: query failed: bad query \(http/.test(e)), r.errors.join('\n'));
    assert.ok(r.errors.some((e) => /^cpu_load: 1 series without the 'tm_id' label skipped/.test(e)), r.errors.join('\n'));
  });
  it('polling Prometheus into a store: each step asked once; a failed window asked again', async () => {
    const store = new SqliteStore(':memory:');
    const c = new StoreCollector(store, { prometheus: `${base}/rec`, stepMs: 10_000, sinceMs: 30_000, http: { retries: 0 }, prom: { queries: { x: 'x' }, catalogue: false } }, 60_000);
    assert.equal((await c.poll(60_000)).stored, 4, 'the history: 30, 40, 50, 60 s');
    assert.equal((await c.poll(75_000)).stored, 1);
    assert.deepEqual(asked.slice(-1), [[70, 75]], 'the next poll starts after the last step it read (60 s was not asked again)');
    recFail = true;
    assert.deepEqual((await c.poll(80_000)).errors.length, 1);
    recFail = false;
    const back = await c.poll(90_000);
    assert.equal(back.stored, 2);
    assert.deepEqual(asked.slice(-1), [[80, 90]], 'the failed window is asked again');
    assert.deepEqual((await store.events({})).map((e) => [e.kind, e.ts, e.attrs?.since]), [['collect-failed', 80_000, 75_000], ['collect-resumed', 90_000, 75_000]], 'a poll that brought nothing but errors failed');
    assert.equal(back.events[0]?.attrs?.backfilled, true, 'the missed stretch was read again: no gap in the data');
    assert.deepEqual(Array.from((await store.series('tm-a', ['x'])).values), [30, 40, 50, 60, 70, 80, 90]);
    await store.close();
  });
  it('metric values: JSON numbers and decimal strings only', () => {
    for (const [raw, want] of [['12', 12], ['-0.5', -0.5], ['1.5e3', 1500], ['.5', 0.5], [7, 7], ['123456789', 123456789]] as const) assert.equal(parseMetricValue(raw), want, String(raw));
    for (const raw of ['', ' ', ' 1', null, undefined, true, false, '0x10', '1e400', 'NaN', 'Infinity', '-Infinity', NaN, Infinity, '1,5', '12abc', [], {}]) assert.equal(parseMetricValue(raw), null, JSON.stringify(raw));
  });
  it('retries 5xx, then succeeds; malformed JSON, 401, timeouts and a server that is down are clear errors', async () => {
    fails = 2;
    assert.deepEqual(await getJson(`${base}/flaky`, { retries: 2, backoffMs: 10 }), { ok: true });
    fails = 5;
    await assert.rejects(getJson(`${base}/flaky`, { retries: 1, backoffMs: 10 }), (e: Error) => e instanceof SourceError && /HTTP 500/.test(e.message));
    fails = 1;
    assert.deepEqual(await getJson(`${base}/throttled`, { retries: 1, backoffMs: 10 }), { ok: 1 }, '429 is retried after a back-off');
    await assert.rejects(getJson(`${base}/malformed`), /malformed JSON/);
    await assert.rejects(getJson(`${base}/secret`, { auth: { bearer: 'wrong' } }), /401: wrong or missing credentials/);
    assert.deepEqual(await getJson(`${base}/secret`, { auth: { bearer: 'ok' } }), {});
    await assert.rejects(getJson(`${base}/slow`, { timeoutMs: 100, retries: 0 }), /no answer within 100 ms/);
    await assert.rejects(getJson('http://127.0.0.1:9/x', { retries: 0 }), /cannot connect/);
  });
  it('the poll loop keeps going through failures and counts what each poll stored', async () => {
    let n = 0;
    const st = await pollLoop(async () => {
      if (++n === 2) throw new Error('flink went away');
      if (n === 3) return { samples: [], errors: ['every query failed'], gaps: 0, stored: 0 };
      // poll 5 re-reads what poll 4 stored: received, not stored again
      return { samples: [{ ts: n, machine: 'm', metric: 'cpu_load', value: n }], errors: n === 4 ? ['one TaskManager failed'] : [], gaps: 1, stored: n === 5 ? 0 : 1 };
    }, { intervalMs: 1, maxPolls: 5 });
    assert.equal(st.polls, 5);
    assert.equal(st.errors, 2, 'a poll that threw and one with errors and no samples failed');
    assert.equal(st.partial, 1, 'samples and some errors: partial');
    assert.equal(st.lastError, 'one TaskManager failed');
    assert.equal(st.received, 3);
    assert.equal(st.samples, 2);
    assert.equal(st.gaps, 3);
  });
  it('the poll loop leaves no abort listener behind: many polls, a flat listener count', async () => {
    const ac = new AbortController();
    const counts: number[] = [];
    await pollLoop(async () => ({ samples: [], errors: [], gaps: 0, stored: 0 }), {
      intervalMs: 1, maxPolls: 200, signal: ac.signal, onStatus: () => counts.push(getEventListeners(ac.signal, 'abort').length),
    });
    assert.equal(counts.length, 200);
    assert.ok(Math.max(...counts) <= 1, `abort listeners during the run: up to ${Math.max(...counts)}`);
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
    // and an abort still ends the sleep at once
    const ac2 = new AbortController();
    const run = pollLoop(async () => ({ samples: [], errors: [], gaps: 0, stored: 0 }), { intervalMs: 3_600_000, signal: ac2.signal });
    setTimeout(() => ac2.abort(), 20);
    assert.equal((await run).polls, 1);
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
