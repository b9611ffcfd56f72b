// The store contract, run against each engine (SQLite: test/unit/store/store.test.ts; PostgreSQL:
// test/integration/store/postgres.test.ts): idempotent inserts, transactions, pivot to a Series, the watcher's atomic
// step and its fence, incidents with the operator's part kept apart, the outbox, pages, downsampled ranges, events,
// retention with roll-ups, model versions. The toolbox's parts: test/helpers/toolbox-suite.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FencedError, StoreError, type StepWrite, type Store } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/schema.js';
import type { Incident, IncidentDetail } from '../../src/core/incident.js';
import { planBuckets } from '../../src/store/common.js';

const detail: IncidentDetail = { explanation: [{ name: 'cpu', share: 1, meanZ: 5 }], jobs: ['orders'], movers: [], cause: null, events: [], paged: true };
const inc = (id: string, machine: string, onset: number, state: Incident['state'] = 'open'): Incident & IncidentDetail =>
  ({ id, machine, state, type: 'spike', onset, lastSeen: onset + 60_000, peak: 9, segments: 1, ...(state === 'resolved' ? { resolvedAt: onset + 120_000 } : {}), ...detail });
const step = (p: Partial<StepWrite>): StepWrite => ({ scores: [], modelId: null, scorerStates: [], incidents: [], alerts: [], status: [], meta: {}, ...p });

export function storeSuite(engine: string, fresh: () => Promise<Store>, reopen: (s: Store) => Promise<Store>): void {
describe(`store (${engine})`, () => {
  it('migrates a new file, ignores duplicate samples, pivots a machine into a Series', async () => {
    const s = await fresh();
    assert.equal(s.schemaVersion, MIGRATIONS.length);
    assert.equal(s.engine, engine);
    const batch = [
      { ts: 1000, machine: 'tm-1', metric: 'cpu_load', value: 0.5 },
      { ts: 1000, machine: 'tm-1', metric: 'latency_ms', value: 10 },
      { ts: 2000, machine: 'tm-1', metric: 'cpu_load', value: 0.7 },
      { ts: 2000, machine: 'tm-2', metric: 'cpu_load', value: 0.1 },
      { ts: 3000, machine: 'tm-1', metric: 'cpu_load', value: NaN },
    ];
    assert.equal(await s.insertSamples(batch), 4, 'NaN is not stored');
    assert.equal(await s.insertSamples(batch), 0, 're-delivered samples are not duplicated');
    const ser = await s.series('tm-1', ['cpu_load', 'latency_ms']);
    assert.deepEqual(Array.from(ser.timestamps), [1000, 2000]);
    assert.equal(ser.values[0], 0.5);
    assert.ok(Number.isNaN(ser.values[3]), 'missing value is NaN');
    assert.deepEqual(Array.from((await s.series('tm-1', ['cpu_load'], 0, 5000, 1)).timestamps), [1000], 'maxRows keeps the oldest rows');
    assert.deepEqual(Array.from((await s.lastRows('tm-1', ['cpu_load'], 5000, 1)).timestamps), [2000], 'lastRows keeps the newest');
    const after = await s.seriesAfter([{ machine: 'tm-2', after: -Infinity }, { machine: 'tm-1', after: 1000 }, { machine: 'nope', after: 0 }], ['cpu_load', 'latency_ms'], 10);
    assert.deepEqual(after.map((x) => [x.name, Array.from(x.timestamps), Array.from(x.values)]), [['tm-2', [2000], [0.1, NaN]], ['tm-1', [2000], [0.7, NaN]], ['nope', [], []]], 'seriesAfter: each machine\'s rows after its time, in the order asked');
    assert.deepEqual((await s.seriesAfter([{ machine: 'tm-1', after: 0 }], ['cpu_load'], 1))[0].timestamps.length, 1, 'at most maxRows');
    assert.deepEqual(await s.machines(), ['tm-1', 'tm-2']);
    assert.deepEqual(await s.metrics(), ['cpu_load', 'latency_ms']);
    assert.equal(await s.newestSample(), 2000);
    await s.recordPlacement({ 'tm-1': ['orders', 'clicks'] }, 5);
    assert.deepEqual(await s.jobsOn('tm-1'), ['clicks', 'orders']);
    assert.deepEqual([...(await s.placements())], [['tm-1', ['clicks', 'orders']]]);
    const again = await reopen(s);
    assert.equal((await again.status()).samples, 4, 'data survives reopening; migrations are not re-applied');
    assert.equal(again.schemaVersion, MIGRATIONS.length);
    await again.close();
  });

  it('a cluster-sized batch: many rows a statement, late metrics merged, windows read back per cursor group', async () => {
    const s = await fresh();
    const M = 90; // more machines than one statement's rows, enough to read them back as one cursor group
    const ms = Array.from({ length: M }, (_, m) => `tm-${m}`);
    const val = (m: number, ts: number): number => m * 1000 + ts / 1000;
    const scrape = (ts: number, metrics = ['cpu_load']) => ms.flatMap((machine, m) => metrics.map((metric, k) => ({ ts, machine, metric, value: val(m, ts) + k / 10 })));
    assert.equal(await s.insertSamples([...scrape(1000), ...scrape(2000), ...scrape(3000)]), 3 * M);
    // the same scrapes again, now with a second metric that arrived late: only the new values are stored
    assert.equal(await s.insertSamples([...scrape(2000, ['cpu_load', 'latency_ms']), ...scrape(4000, ['cpu_load', 'latency_ms'])]), 3 * M);
    const expect = (m: number, after: number, maxRows: number): [string, number[], number[]] => {
      const ts = [1000, 2000, 3000, 4000].filter((t) => t > after).slice(0, maxRows);
      return [`tm-${m}`, ts, ts.flatMap((t) => [val(m, t), t === 2000 || t === 4000 ? val(m, t) + 0.1 : NaN])];
    };
    const read = async (items: { machine: string; after: number }[], maxRows: number) =>
      (await s.seriesAfter(items, ['cpu_load', 'latency_ms'], maxRows)).map((x) => [x.name, Array.from(x.timestamps), Array.from(x.values)]);
    // one shared cursor (the steady state), asked in a scrambled order
    const order = ms.map((_, m) => (m * 37) % M);
    assert.deepEqual(await read(order.map((m) => ({ machine: `tm-${m}`, after: 1000 })), 10), order.map((m) => expect(m, 1000, 10)));
    // a shared cursor whose backlog is longer than maxRows a machine: the oldest rows, as each machine alone
    assert.deepEqual(await read(ms.map((machine) => ({ machine, after: 1000 })), 2), ms.map((_, m) => expect(m, 1000, 2)));
    // two cursor groups and a machine never scored
    const mixed = ms.map((machine, m) => ({ machine, after: m === 5 ? -Infinity : m % 2 ? 2000 : 3000 }));
    assert.deepEqual(await read(mixed, 10), mixed.map((it, m) => expect(m, it.after, 10)));
    assert.equal(await s.newestSample(), 4000);
    await s.close();
  });

  it('a failing batch is rolled back as a whole', async () => {
    const s = await fresh();
    const bad = [{ ts: 1, machine: 'm', metric: 'x', value: 1 }, { ts: 2, machine: {} as unknown as string, metric: 'x', value: 2 }];
    await assert.rejects(s.insertSamples(bad));
    assert.equal((await s.status()).samples, 0);
    assert.deepEqual(await s.machines(), [], 'nor is the machine registered');
    await s.close();
  });

  it('commits a watch step atomically and never overwrites the operator\'s acknowledgement or label', async () => {
    const s = await fresh();
    await s.commitStep(step({
      scores: [{ machine: 'm', points: [{ t: 1, score: 0.5 }, { t: 2, score: 7 }] }], scorerStates: [{ machine: 'm', state: { cursor: 2 } }],
      incidents: [inc('inc-1', 'm', 2)], alerts: [{ key: 'inc-1:open', incidentId: 'inc-1', kind: 'open', createdAt: 10 }],
      status: [{ machine: 'm', lastTs: 2, lastScore: 7, risk: 1.2, openIncidents: 1 }], meta: { nextIncident: '2' },
    }));
    assert.deepEqual(await s.scores('m', 0, 10), { t: [1, 2], score: [0.5, 7], model: [null, null] });
    assert.deepEqual(await s.scores('m', 0, 10, 1), { t: [2], score: [7], model: [null] }, 'the newest `last` scores');
    assert.deepEqual([...(await s.scorerStates())], [['m', { cursor: 2 }]]);
    assert.equal(await s.meta('nextIncident'), '2');
    assert.equal((await s.acknowledge('inc-1', 'ann', 100)).state, 'acknowledged');
    await s.label('inc-1', 'false-alarm', 'ann', 'deploy', 101);
    // the watcher writes the incident again (it grew): the operator's part stays
    await s.commitStep(step({ incidents: [{ ...inc('inc-1', 'm', 2), lastSeen: 999_999, segments: 2 }] }));
    const got = (await s.incident('inc-1'))!;
    assert.equal(got.lastSeen, 999_999);
    assert.equal(got.state, 'acknowledged');
    assert.deepEqual(got.ack, { at: 100, by: 'ann' });
    assert.deepEqual(got.label, { value: 'false-alarm', at: 101, by: 'ann', note: 'deploy' });
    assert.deepEqual(got.explanation, detail.explanation);
    // the alarm's fields (hysteresis, time to breach) come back as written
    const breach = { metric: 'latency_ms', limit: 500, level: 420, slopePerMin: 8, at: 12_000, inMs: 10_000, firstWarnedAt: 2 };
    await s.commitStep(step({ incidents: [{ ...inc('inc-1', 'm', 2), lastSeen: 999_999, segments: 2, lastHigh: 999_000, sustainedFrom: 990_000, openedAt: 2, peakUnits: 2.5, breach }] }));
    const back = (await s.incident('inc-1'))!;
    // the watcher's run bookkeeping survives a restart: a held incident pages afterwards only on its sustained run
    assert.deepEqual([back.lastHigh, back.sustainedFrom, back.openedAt, back.peakUnits, back.breach], [999_000, 990_000, 2, 2.5, breach]);
    assert.deepEqual((await s.activeIncidents())[0].breach, breach);
    // its renewals and the updates it sent, too (a restarted watcher neither forgets nor repeats them)
    const renewals = [{ from: 500_000, at: 520_000, quietMs: 60_000 }];
    await s.commitStep(step({ incidents: [{ ...inc('inc-1', 'm', 2), lastSeen: 999_999, segments: 2, renewals, updates: [520_000] }] }));
    const renewed = (await s.activeIncidents())[0];
    assert.deepEqual([renewed.renewals, renewed.updates], [renewals, [520_000]]);
    // a failing step leaves nothing behind
    await assert.rejects(s.commitStep(step({ scores: [{ machine: 'm', points: [{ t: 3, score: 1 }] }], incidents: [{ ...inc('inc-2', 'm', 3), machine: null as unknown as string }] })));
    assert.deepEqual((await s.scores('m', 0, 10)).t, [1, 2], 'the scores of the failed step were rolled back');
    await assert.rejects(s.acknowledge('nope', 'x', 1), StoreError);
    await s.commitStep(step({ incidents: [inc('inc-1', 'm', 2, 'resolved')] }));
    await assert.rejects(s.acknowledge('inc-1', 'x', 1), /already resolved/);
    await s.close();
  });

  it('queues alerts once per key and tracks their delivery', async () => {
    const s = await fresh();
    const a = { key: 'inc-1:open', incidentId: 'inc-1', kind: 'open' as const, createdAt: 10 };
    await s.commitStep(step({ incidents: [inc('inc-1', 'm', 2)], alerts: [a] }));
    await s.commitStep(step({ alerts: [a] }));
    assert.equal((await s.alerts()).length, 1, 'the same key is queued once');
    const [due] = await s.dueAlerts(10, 10);
    await s.markRetry(due.id, 50, 'HTTP 503', true);
    assert.equal((await s.dueAlerts(20, 10)).length, 0, 'backing off');
    assert.equal((await s.dueAlerts(50, 10))[0].attempts, 1);
    await s.markDelivered(due.id, 60);
    assert.equal((await s.dueAlerts(1e12, 10)).length, 0);
    assert.equal((await s.alerts())[0].deliveredAt, 60);
    // a fleet worker asks for its own partitions' alerts only
    await s.commitStep(step({ alerts: ['inc-p1-1', 'inc-p10-1', 'inc-p2-1'].map((id) => ({ key: `${id}:open`, incidentId: id, kind: 'open' as const, createdAt: 10 })) }));
    assert.deepEqual((await s.dueAlerts(100, 10, undefined, ['inc-p1-', 'inc-p2-'])).map((x) => x.incidentId), ['inc-p1-1', 'inc-p2-1']);
    assert.deepEqual(await s.dueAlerts(100, 10, undefined, []), []);
    assert.equal((await s.dueAlerts(100, 10)).length, 3);
    // an update: one row per renewal, each with its own key
    await s.commitStep(step({ alerts: [600, 900].map((t) => ({ key: `inc-1:update:${t}`, incidentId: 'inc-1', kind: 'update' as const, createdAt: 10 })) }));
    assert.deepEqual((await s.alerts({ incidentId: 'inc-1' })).map((x) => [x.key, x.kind]), [['inc-1:open', 'open'], ['inc-1:update:600', 'update'], ['inc-1:update:900', 'update']]);
    await s.close();
  });

  it('pages incidents newest first with a cursor and filters them', async () => {
    const s = await fresh();
    const list = Array.from({ length: 7 }, (_, k) => ({ ...inc(`inc-${k + 1}`, k % 2 ? 'tm-2' : 'tm-1', 1000 * k, k < 2 ? 'resolved' : 'open'), type: (k % 3 ? 'trend' : 'spike') as Incident['type'] }));
    await s.commitStep(step({ incidents: list }));
    const ids: string[] = [];
    for (let c: string | null | undefined; c !== null;) {
      const p = await s.incidents({ limit: 3, cursor: c ?? undefined });
      ids.push(...p.items.map((i) => i.id));
      c = p.next;
    }
    assert.deepEqual(ids, ['inc-7', 'inc-6', 'inc-5', 'inc-4', 'inc-3', 'inc-2', 'inc-1']);
    assert.deepEqual((await s.incidents({ machine: 'tm-2', state: 'active' })).items.map((i) => i.id), ['inc-6', 'inc-4']);
    assert.deepEqual((await s.incidents({ type: 'spike', job: 'orders' })).items.map((i) => i.id), ['inc-7', 'inc-4', 'inc-1']);
    assert.deepEqual((await s.incidents({ job: 'nope' })).items, []);
    assert.deepEqual((await s.activeIncidents()).map((i) => i.id), ['inc-3', 'inc-4', 'inc-5', 'inc-6', 'inc-7']);
    await assert.rejects(s.incidents({ cursor: 'garbage' }), /cursor/);
    await assert.rejects(s.incidents({ limit: 0 }), /page size/);
    await s.close();
  });

  it('downsamples ranges in SQL and draws the heat map of the riskiest machines', async () => {
    const s = await fresh();
    await s.insertSamples(Array.from({ length: 100 }, (_, i) => ({ ts: i * 1000, machine: 'm', metric: 'cpu', value: i })));
    const r = await s.metricsRange('m', 0, 99_000, 10);
    assert.equal(r.t.length, 10);
    assert.deepEqual(r.channels, ['cpu']);
    assert.equal(r.values[0][0], 4.5, 'mean of the first bucket (0..9)');
    await s.commitStep(step({
      scores: [{ machine: 'a', points: [{ t: 0, score: 1 }, { t: 5, score: 4 }] }, { machine: 'b', points: [{ t: 0, score: 9 }] }],
      status: [{ machine: 'a', lastTs: 5, lastScore: 4, risk: 0.5, openIncidents: 0 }, { machine: 'b', lastTs: 0, lastScore: 9, risk: 3, openIncidents: 1 }],
    }));
    const h = await s.heatMap({ from: 0, to: 9, buckets: 2, threshold: 2, limit: 1 });
    assert.deepEqual(h.machines, ['b'], 'the riskiest machine');
    assert.deepEqual(h.cells, [[4.5, null]]);
    assert.deepEqual((await s.heatMap({ from: 0, to: 9, buckets: 2, threshold: 2, machines: ['a'] })).cells, [[0.5, 2]], 'max per bucket / threshold');
    assert.deepEqual((await s.scoresRange('a', 0, 9, 100)).values[0], [1, 4]);
    assert.deepEqual((await s.machineStatus()).map((m) => m.machine), ['b', 'a']);
    assert.deepEqual((await s.machineStatus({ limit: 1 })).map((m) => m.machine), ['b'], 'the riskiest first');
    assert.deepEqual((await s.machineStatus({ machine: 'a' })).map((m) => m.lastTs), [5], 'one machine');
    assert.deepEqual(await s.statusSummary(), { machines: 2, atRisk: 1, openIncidents: 1, newest: 5, scores: [4, 9] }, 'the cluster view in numbers');
    await s.commitStep(step({ status: [{ machine: 'c', lastTs: 7, lastScore: 2, risk: 0, openIncidents: 2 }] }));
    assert.deepEqual(await s.statusSummary(), { machines: 3, atRisk: 1, openIncidents: 3, newest: 7, scores: [2, 4, 9] }, 'scores ascending');
    await s.close();
  });

  it('draws the heat map on the alarm scale where scores came with their units, in raw rows and roll-ups', async () => {
    const s = await fresh();
    // a retraining between two points: the raw scores do not compare (5 then 1), their units do (0.5 then 2)
    await s.commitStep(step({ scores: [{ machine: 'u', points: [{ t: 0, score: 5, units: 0.5 }, { t: 5, score: 1, units: 2 }] }] }));
    assert.deepEqual((await s.heatMap({ from: 0, to: 9, buckets: 2, threshold: 2, machines: ['u'] })).cells, [[0.5, 2]], 'raw rows: the max on the alarm scale, not score / threshold');
    // one roll-up bucket written by three steps: a score without units, then two with (the units' max wins, though a
    // later step's score is lower than the first: each maximum is kept on its own)
    const H = 3_600_000;
    await s.commitStep(step({ scores: [{ machine: 'v', points: [{ t: 1000, score: 4 }] }] }));
    const first = async (): Promise<(number | null)[]> => (await s.heatMap({ from: 0, to: 3 * H - 1, buckets: 3, threshold: 2, machines: ['v'] })).cells[0];
    assert.equal((await first())[0], 2, 'no units yet: max score / threshold');
    await s.commitStep(step({ scores: [{ machine: 'v', points: [{ t: 2000, score: 1, units: 0.3 }] }] }));
    await s.commitStep(step({ scores: [{ machine: 'v', points: [{ t: 3000, score: 0.5, units: 0.9 }] }] }));
    assert.ok(planBuckets(0, 3 * H - 1, 3).level !== null, 'read from the roll-ups');
    const cells = await first();
    assert.equal(cells[0], 0.9);
    assert.ok(cells.length > 1 && cells.slice(1).every((c) => c === null));
    assert.equal((await s.scoresRange('v', 0, 3 * H - 1, 3)).values[0][0], 4, 'the chart keeps the raw max');
    await s.close();
  });

  it('stores events once and finds those of a machine (or cluster-wide)', async () => {
    const s = await fresh();
    const ev = [
      { id: 'e1', ts: 10, kind: 'failover' as const, machines: ['tm-1'], detail: 'tm-1 lost' },
      { id: 'e2', ts: 20, kind: 'deploy' as const, job: 'orders', machines: [], detail: 'orders deployed', attrs: { parallelism: 4 } },
      { id: 'e3', ts: 30, kind: 'restart' as const, machines: ['tm-2'], detail: 'x' },
    ];
    assert.equal(await s.insertEvents(ev), 3);
    assert.equal(await s.insertEvents(ev), 0);
    assert.deepEqual((await s.events({ machine: 'tm-1' })).map((e) => e.id), ['e1', 'e2']);
    assert.deepEqual((await s.events({ from: 15, to: 25 }))[0], ev[1]);
    assert.deepEqual((await s.events({ kinds: ['failover', 'deploy'] })).map((e) => e.id), ['e1', 'e2'], 'of some kinds');
    assert.deepEqual((await s.events({ kinds: ['failover', 'restart'], machine: 'tm-2', limit: 1 })).map((e) => e.id), ['e3']);
    assert.deepEqual(await s.events({ kinds: [] }), [], 'of no kind: none');
    await s.close();
  });

  it('retention deletes what is too old and rolls up what is no longer raw', async () => {
    const s = await fresh();
    await s.insertSamples(Array.from({ length: 10 }, (_, i) => ({ ts: i * 1000, machine: 'm', metric: 'cpu', value: i })));
    await s.commitStep(step({ incidents: [{ ...inc('inc-1', 'm', 0, 'resolved'), resolvedAt: 500 }], alerts: [{ key: 'inc-1:open', incidentId: 'inc-1', kind: 'open', createdAt: 1 }], scores: [{ machine: 'm', points: [{ t: 0, score: 1 }, { t: 9000, score: 1 }] }] }));
    await s.insertEvents([{ id: 'e', ts: 100, kind: 'restart', machines: [], detail: '' }]);
    const r = await s.applyRetention(10_000, { retainMs: 9000, rawMs: 4000, bucketMs: 3000 });
    // kept: 1000..9999; raw from 6000; 1000..5999 rolled up into buckets 0 (1,2), 3000 (3,4,5)
    assert.deepEqual(r, { deletedSamples: 1, rolledUpSamples: 3, deletedScores: 1, deletedEvents: 1, deletedIncidents: 1, deletedJobGraphs: 0 });
    const v = await s.series('m', ['cpu']);
    assert.deepEqual(Array.from(v.timestamps), [0, 3000, 6000, 7000, 8000, 9000]);
    assert.deepEqual(Array.from(v.values.subarray(0, 2)), [1.5, 4]);
    assert.equal((await s.alerts()).length, 0, 'the outbox rows of deleted incidents go too');
    await assert.rejects(s.applyRetention(0, { retainMs: 1, rawMs: 2, bucketMs: 1 }), /raw period/);
    await s.close();
  });

  it('keeps model versions with their reports', async () => {
    const s = await fresh();
    const id = await s.addModel('ccl', '/m/ccl.model', { reason: 'manual' }, 123);
    assert.deepEqual(await s.latestModel(), { id, kind: 'ccl', path: '/m/ccl.model', createdAt: 123, report: { reason: 'manual' } });
    await s.updateModelReport(id, { drift: { ks: 0.1 } });
    assert.deepEqual((await s.model(id))!.report, { reason: 'manual', drift: { ks: 0.1 } });
    await assert.rejects(s.updateModelReport(99, {}), /no model version/);
    await s.updateModelReport(id, { 'unit:a': [1, 2] });
    await s.updateModelReport(id, { 'unit:b': [3, 4] });
    assert.deepEqual((await s.model(id))!.report, { reason: 'manual', drift: { ks: 0.1 }, 'unit:a': [1, 2], 'unit:b': [3, 4] }, 'reports merge key by key');
    await s.commitStep(step({ scores: [{ machine: 'm', points: [{ t: 1, score: 0.5 }] }] }));
    await s.commitStep(step({ scores: [{ machine: 'm', points: [{ t: 2, score: 7 }] }], modelId: id }));
    assert.deepEqual(await s.scores('m', 0, 10), { t: [1, 2], score: [0.5, 7], model: [null, id] }, 'each score with the model version that scored it');
    assert.deepEqual((await s.scores('m', 0, 10, 1)).model, [id]);
    // a retrained version takes over: each version's first point, oldest first (past SQLite's settling of old rows)
    const id2 = await s.addModel('ccl', '/m/ccl-2.model', { reason: 'failover' }, 124);
    for (let t = 3; t <= 60; t++) await s.commitStep(step({ scores: [{ machine: 'm', points: [{ t, score: 1 }] }, { machine: 'o', points: [{ t: t - 2, score: 1 }] }], modelId: id2 }));
    assert.deepEqual(await s.scoreModels('m', 0, 100), [{ model: null, from: 1 }, { model: id, from: 2 }, { model: id2, from: 3 }]);
    assert.deepEqual(await s.scoreModels('m', 3, 100), [{ model: id2, from: 3 }], 'only what scored inside the range');
    assert.deepEqual(await s.scoreModels('m', 55, 58), [{ model: id2, from: 55 }]);
    assert.deepEqual(await s.scoreModels('o', 0, 100), [{ model: id2, from: 1 }], "another machine's own");
    assert.deepEqual(await s.scoreModels('none', 0, 100), []);
    await s.close();
  });
  it('fences a step: after another claim of its key, an older epoch commits nothing', async () => {
    const s = await fresh();
    const e1 = await s.claim('fleet/t/0/fence');
    assert.equal(e1, 1);
    await s.commitStep(step({ scores: [{ machine: 'm', points: [{ t: 1, score: 1 }] }], fence: { key: 'fleet/t/0/fence', epoch: e1 } }));
    const e2 = await s.claim('fleet/t/0/fence');
    assert.equal(e2, 2, 'each claim bumps the epoch');
    await assert.rejects(s.commitStep(step({ scores: [{ machine: 'm', points: [{ t: 2, score: 1 }] }], meta: { x: '1' }, fence: { key: 'fleet/t/0/fence', epoch: e1 } })), FencedError);
    assert.deepEqual((await s.scores('m', 0, 10)).t, [1], 'the fenced step wrote nothing');
    assert.equal(await s.meta('x'), null);
    await s.commitStep(step({ scores: [{ machine: 'm', points: [{ t: 2, score: 1 }] }], fence: { key: 'fleet/t/0/fence', epoch: e2 } }));
    assert.deepEqual((await s.scores('m', 0, 10)).t, [1, 2]);
    assert.deepEqual([...(await s.scorerStates(['nope']))], [], 'a filter on machines');
    await s.close();
  });
});
}
