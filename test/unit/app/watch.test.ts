// The product path's watcher over a real (SQLite) store: samples scored once in transactional steps, incidents
// enriched (jobs that moved, back-pressure cause, events) and persisted, alerts queued in the outbox and delivered to
// a real loopback webhook at least once (retried, deferred when rate-limited, 'resolved' only when announced),
// operator acts never reverted, event grace periods holding pages, and a watcher restarted after every step
// producing exactly what an uninterrupted one does.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SqliteStore, type Store } from '../../../src/store/index.js';
import { Watcher, type WatchOptions } from '../../../src/app/watch.js';
import { AlertDispatcher } from '../../../src/app/alerts.js';
import { WebhookAlerter } from '../../../src/inspect/alerts.js';
import { createDetector, type Detector } from '../../../src/detectors/index.js';
import type { Sample } from '../../../src/core/sample.js';
import { FixedLevels } from '../../../src/inspect/levels.js';

const T0 = 1.7e12;
const at = (i: number): number => T0 + i * 60_000;

function samples(machine: string, from: number, to: number, hot: [number, number][] = []): Sample[] {
  const out: Sample[] = [];
  for (let i = from; i < to; i++) {
    const h = hot.some(([a, b]) => i >= a && i < b) ? 8 : 0;
    out.push({ ts: at(i), machine, metric: 'cpu_load', value: Math.sin(i / 9) + ((i * 7) % 5) * 0.05 + h }, { ts: at(i), machine, metric: 'latency_ms', value: 50 + Math.cos(i / 7) + h * 10 });
  }
  return out;
}

async function zscore(store: Store, machine: string, to: number): Promise<Detector> {
  const det = createDetector('zscore');
  await det.fit(await store.series(machine, ['cpu_load', 'latency_ms'], 0, at(to)), { threshold: { rule: 'fixed:6', of: () => 6 } });
  return det;
}

/** A loopback webhook receiver: records posts; `fail` answers 503 to the next n posts. */
async function receiver(): Promise<{ url: string; posts: { id: string; kind: string }[]; digests: number; fail: (n: number) => void; close: () => void }> {
  const posts: { id: string; kind: string }[] = [];
  const seen = { digests: 0 };
  let failing = 0;
  const srv: Server = createServer((req, res) => {
    let b = '';
    req.on('data', (d) => (b += d));
    req.on('end', () => {
      if (failing > 0) {
        failing--;
        res.writeHead(503).end();
        return;
      }
      const p = JSON.parse(b) as { id: string; kind: string; alerts?: { id: string; kind: string }[] };
      assert.equal(req.headers['idempotency-key'], p.id);
      if (p.kind === 'digest') {
        seen.digests++;
        posts.push(...p.alerts!);
      } else posts.push(p);
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`, posts, get digests() { return seen.digests; }, fail: (n) => (failing = n), close: () => srv.close() };
}

/** Steps until nothing is new. */
/** One minute of machine `m` running job 'orders' (a source and a sink): its machine-level busy and back-pressured
 *  time, the source's back-pressured time and the sink's busy time (ms/s). */
function orderRow(i: number, m: string, o: { busy: number; bp: number; sourceBp: number; sinkBusy: number }): Sample[] {
  const ts = at(i);
  return [
    { ts, machine: m, metric: 'busy_ms_per_s', value: o.busy }, { ts, machine: m, metric: 'backpressured_ms_per_s', value: o.bp },
    { ts, machine: m, job: 'orders', operator: 'Source: orders', metric: 'backpressured_ms_per_s', value: o.sourceBp },
    { ts, machine: m, job: 'orders', operator: 'Sink: out', metric: 'busy_ms_per_s', value: o.sinkBusy },
    { ts, machine: m, job: 'orders', operator: 'Sink: out', metric: 'backpressured_ms_per_s', value: 0 },
  ];
}

/** tm-up and tm-down running `orders` (one point a minute): `row`'s first 300 minutes stored as history, a z-score
 *  fitted on tm-up's (opening level 6, keep-open 3), and a watcher with a 30-min quiet period and a 5-min sustained
 *  rule; `rows(a, b)` gives minutes a..b-1 to insert later. */
async function symptomWatch(store: Store, row: (i: number) => Sample[], maxRowsPerStep: number): Promise<{ rows: (a: number, b: number) => Sample[]; w: Watcher }> {
  const rows = (a: number, b: number): Sample[] => Array.from({ length: b - a }, (_, k) => row(a + k)).flat();
  await store.insertSamples(rows(0, 300));
  await store.recordPlacement({ 'tm-up': ['orders'], 'tm-down': ['orders'] }, at(0));
  const det = createDetector('zscore');
  await det.fit(await store.series('tm-up', ['busy_ms_per_s', 'backpressured_ms_per_s'], 0, at(299)), { threshold: { rule: 'fixed:6', of: () => 6 } });
  det.setMachineFacts({ 'tm-up': { intervalMs: 60_000 }, 'tm-down': { intervalMs: 60_000 } });
  const w = await Watcher.open(store, det, new FixedLevels(6, 'fixed', 0), null, { window: 32, resolveAfterMs: 30 * 60_000, mergeGapMs: 30 * 60_000, sustainMs: 5 * 60_000, maxRowsPerStep });
  return { rows, w };
}

/** tm-up and tm-down running `orders` (one point a minute): `samples` stored, tm-up lost and back at minute 300 (a
 *  failover), a z-score fitted on tm-up's first 300 minutes (opening level 6, keep-open 3), and a watcher with a
 *  30-min quiet period, a 5-min sustained rule and a 10-min grace period run over all of it. */
async function failoverWatch(store: Store, samples: Sample[], maxRowsPerStep?: number): Promise<void> {
  const { det, o } = await failoverSetup(store, samples);
  await drain(await Watcher.open(store, det, new FixedLevels(6, 'fixed', 0), null, { ...o, ...(maxRowsPerStep !== undefined ? { maxRowsPerStep } : {}) }));
}

/** failoverWatch's store, detector and watch options, for a test that runs the watcher itself. */
async function failoverSetup(store: Store, samples: Sample[]): Promise<{ det: Detector; o: WatchOptions }> {
  await store.insertSamples(samples);
  await store.recordPlacement({ 'tm-up': ['orders'], 'tm-down': ['orders'] }, at(0));
  await store.insertEvents([{ id: 'ev-f', ts: at(300), kind: 'failover', machines: ['tm-up'], detail: 'TaskManager tm-up lost' }]);
  const det = createDetector('zscore');
  await det.fit(await store.series('tm-up', ['busy_ms_per_s', 'backpressured_ms_per_s'], 0, at(299)), { threshold: { rule: 'fixed:6', of: () => 6 } });
  det.setMachineFacts({ 'tm-up': { intervalMs: 60_000 }, 'tm-down': { intervalMs: 60_000 } });
  return { det, o: { window: 32, resolveAfterMs: 30 * 60_000, mergeGapMs: 30 * 60_000, sustainMs: 5 * 60_000, eventGraceMs: 10 * 60_000 } };
}

async function drain(w: Watcher): Promise<number> {
  let n = 0;
  for (let r = await w.step(); r.progressed; r = await w.step()) n += r.scored;
  return n;
}

/** Two machines running the orders job, one sample a minute: 300 minutes of history (the z-score fitted on tm-up's
 *  `channels`, threshold 6), then minutes 300–359 watched in one go (resolve after 5 quiet minutes). */
async function renewWatch(store: Store, machines: [string, string], channels: string[], row: (i: number) => Sample[]): Promise<void> {
  await store.insertSamples(Array.from({ length: 300 }, (_, k) => row(k)).flat());
  await store.recordPlacement({ [machines[0]]: ['orders'], [machines[1]]: ['orders'] }, at(0));
  const det = createDetector('zscore');
  await det.fit(await store.series(machines[0], channels, 0, at(299)), { threshold: { rule: 'fixed:6', of: () => 6 } });
  const w = await Watcher.open(store, det, 6, null, { window: 32, resolveAfterMs: 5 * 60_000, maxRowsPerStep: 100 });
  await drain(w);
  await store.insertSamples(Array.from({ length: 60 }, (_, k) => row(300 + k)).flat());
  await drain(w);
}

describe('watcher (product path)', () => {
  it('opens after the persistence its model was trained for (machineFacts.persist), 3 points when it recorded none', async () => {
    const opened = async (persist: number | undefined, minPoints?: number): Promise<[number, number][]> => {
      const store = new SqliteStore(':memory:');
      try {
        await store.insertSamples(samples('tm-1', 0, 300));
        const det = await zscore(store, 'tm-1', 299);
        if (persist !== undefined) det.setMachineFacts({ 'tm-1': { intervalMs: 2_000, persist } });
        const w = await Watcher.open(store, det, 6, null, { window: 32, resolveAfterMs: 5 * 60_000, maxRowsPerStep: 100, ...(minPoints ? { minPoints } : {}) });
        await drain(w);
        await store.insertSamples(samples('tm-1', 300, 400, [[310, 313], [330, 335], [360, 366]])); // 3, 5 and 6 hot points
        await drain(w);
        return (await store.incidents()).items.map((i) => [(i.onset - T0) / 60_000, (i.lastSeen - T0) / 60_000] as [number, number]).sort((a, b) => a[0] - b[0]);
      } finally {
        await store.close();
      }
    };
    assert.deepEqual(await opened(6), [[360, 365]], 'a model trained on 2-s scrapes: only the 6-point run opens');
    assert.deepEqual(await opened(undefined), [[310, 312], [330, 334], [360, 365]], 'none recorded: 3 points, as before');
    assert.deepEqual(await opened(6, 3), [[310, 312], [330, 334], [360, 365]], 'minPoints given: it, not the model\'s');
  });
  it('scores new samples once, persists and alerts incidents, and a new watcher continues after a restart', async () => {
    const hook = await receiver();
    const store = new SqliteStore(':memory:');
    try {
      await store.insertSamples([...samples('tm-1', 0, 300), ...samples('tm-2', 0, 300)]);
      const det = await zscore(store, 'tm-1', 299);
      const o: WatchOptions = { window: 32, resolveAfterMs: 5 * 60_000, maxRowsPerStep: 100 };
      const w1 = await Watcher.open(store, det, 6, null, o);
      assert.equal(await drain(w1), 600, 'every sample scored once, in steps of at most 100 rows per machine');
      assert.equal((await store.incidents()).items.length, 0, 'no incident on normal history');
      await store.insertSamples([...samples('tm-1', 300, 360, [[310, 330]]), ...samples('tm-2', 300, 360)]);
      const r2 = await w1.step();
      assert.equal(r2.scored, 120);
      assert.deepEqual(r2.opened.map((i) => i.machine), ['tm-1']);
      assert.equal(r2.resolved.length, 1, 'the hotspot ended within the batch and resolved');
      const dispatcher = new AlertDispatcher(store, new WebhookAlerter({ url: hook.url }));
      assert.equal((await dispatcher.deliver()).delivered, 2);
      assert.deepEqual(hook.posts.map((p) => p.id), ['inc-1:open', 'inc-1:resolved']);
      assert.equal((await dispatcher.deliver()).delivered, 0, 'delivered alerts are not sent again');
      // restart: a new watcher on the same store sees nothing new, and its ids continue
      const w2 = await Watcher.open(store, det, 6, null, o);
      assert.equal((await w2.step()).progressed, false);
      await store.insertSamples(samples('tm-2', 360, 400, [[365, 390]]));
      const r4 = await w2.step();
      assert.deepEqual(r4.opened.map((i) => [i.id, i.machine]), [['inc-2', 'tm-2']]);
      assert.equal((await store.scores('tm-2', 0, at(400))).t.length, 400, 'no sample scored twice');
    } finally {
      await store.close();
      hook.close();
    }
  });

  it('a paged incident that rises again while open sends an update, once, to the webhook', async () => {
    const hook = await receiver();
    const store = new SqliteStore(':memory:');
    try {
      await store.insertSamples(samples('tm-1', 0, 300));
      const det = await zscore(store, 'tm-1', 299);
      const o: WatchOptions = { window: 32, resolveAfterMs: 5 * 60_000, maxRowsPerStep: 100 };
      const w = await Watcher.open(store, det, 6, null, o);
      await drain(w);
      // hot 310-319, quiet 320-323 (4 min: the segment closes, the incident stays open), hot again from 324
      await store.insertSamples(samples('tm-1', 300, 360, [[310, 320], [324, 334]]));
      const r = await w.step();
      assert.deepEqual(r.opened.map((i) => i.id), ['inc-1']);
      assert.deepEqual(r.updated.map((i) => i.id), ['inc-1']);
      const [inc] = (await store.incidents()).items;
      assert.equal(inc.renewals?.length, 1);
      assert.equal(inc.renewals![0].from, at(324), 'the new run began at 324');
      assert.deepEqual(inc.updates, [inc.renewals![0].at]);
      await new AlertDispatcher(store, new WebhookAlerter({ url: hook.url })).deliver();
      assert.deepEqual(hook.posts.map((p) => [p.id, p.kind]), [['inc-1:open', 'open'], [`inc-1:update:${inc.updates![0]}`, 'update'], ['inc-1:resolved', 'resolved']]);
      // `--update-after off`: the same incident, no update
      const off = new SqliteStore(':memory:');
      await off.insertSamples(samples('tm-1', 0, 360, [[310, 320], [324, 334]]));
      await drain(await Watcher.open(off, det, 6, null, { ...o, updateAfterMs: Infinity }));
      assert.equal((await off.incidents()).items[0].renewals?.length, 1);
      assert.deepEqual((await off.alerts()).map((a) => a.kind), ['open', 'resolved']);
      await off.close();
      // without a quiet stretch that closes the segment there is no update
      const flat = new SqliteStore(':memory:');
      await flat.insertSamples(samples('tm-1', 0, 360, [[310, 334]]));
      await drain(await Watcher.open(flat, det, 6, null, o));
      assert.deepEqual((await flat.alerts()).map((a) => a.kind), ['open', 'resolved']);
      await flat.close();
    } finally {
      await store.close();
      hook.close();
    }
  });
  it('a watcher restarted after every step writes exactly what an uninterrupted one writes', async () => {
    const make = async (): Promise<SqliteStore> => {
      const s = new SqliteStore(':memory:');
      // tm-2's hotspot goes quiet for 4 min and comes back within the quiet period: one incident, renewed (an update)
      await s.insertSamples([...samples('tm-1', 0, 500, [[320, 350], [420, 430]]), ...samples('tm-2', 0, 500, [[380, 390], [394, 402]])]);
      return s;
    };
    const a = await make();
    const b = await make();
    const det = await zscore(a, 'tm-1', 299);
    const o: WatchOptions = { window: 32, resolveAfterMs: 5 * 60_000, maxRowsPerStep: 37 };
    await drain(await Watcher.open(a, det, 6, null, o));
    for (let w = await Watcher.open(b, det, 6, null, o); (await w.step()).progressed; w = await Watcher.open(b, det, 6, null, o));
    const dump = async (s: Store) => ({
      scores: [await s.scores('tm-1', 0, at(500)), await s.scores('tm-2', 0, at(500))],
      incidents: (await s.incidents({ limit: 500 })).items,
      alerts: (await s.alerts()).map((x) => x.key),
    });
    const [da, db] = [await dump(a), await dump(b)];
    assert.ok(da.incidents.length >= 3, `incidents: ${da.incidents.map((i) => i.id)}`);
    assert.ok(da.alerts.some((k) => k.includes(':update:')), `an update was queued: ${da.alerts}`);
    assert.deepEqual(db, da);
    await a.close();
    await b.close();
  });

  it('never reverts an acknowledgement or a label made while it runs', async () => {
    const store = new SqliteStore(':memory:');
    await store.insertSamples(samples('tm-1', 0, 330, [[310, 400]]));
    const det = await zscore(store, 'tm-1', 299);
    const w = await Watcher.open(store, det, 6, null, { window: 32 });
    await drain(w);
    const [i] = (await store.incidents()).items;
    await store.acknowledge(i.id, 'ann', Date.now());
    await store.label(i.id, 'hotspot', 'ann', '', Date.now());
    await store.insertSamples(samples('tm-1', 330, 360, [[310, 400]]));
    await drain(w); // the incident grows and is written again
    const after = (await store.incident(i.id))!;
    assert.ok(after.lastSeen > i.lastSeen, 'the watcher updated it');
    assert.equal(after.state, 'acknowledged');
    assert.equal(after.label?.value, 'hotspot');
    await store.close();
  });

  it('delivers at least once: retries a failing receiver, defers when rate-limited and sends what waited as one digest, never drops', async () => {
    const hook = await receiver();
    const store = new SqliteStore(':memory:');
    try {
      const hot: [number, number][] = Array.from({ length: 5 }, (_, k) => [310 + k * 40, 320 + k * 40]);
      await store.insertSamples([...samples('tm-1', 0, 560, hot)]);
      const det = await zscore(store, 'tm-1', 299);
      await drain(await Watcher.open(store, det, 6, null, { window: 32, resolveAfterMs: 5 * 60_000 }));
      const keys = (await store.alerts()).map((a) => a.key);
      assert.equal(keys.length, 10, `5 incidents opened and resolved: ${keys}`);
      const d = new AlertDispatcher(store, new WebhookAlerter({ url: hook.url, maxPerWindow: 2 }), { backoffMs: 10, deferMs: 50 });
      hook.fail(1);
      let clock = Date.now();
      const first = await d.deliver(clock);
      assert.equal(first.failed, 1, 'the first post failed and waits for a retry');
      assert.ok(first.deferred > 0, 'over the rate limit: deferred, not dropped');
      for (let k = 0; k < 20 && (await store.dueAlerts(Number.MAX_SAFE_INTEGER, 100)).length > 0; k++) {
        clock += 60_001;
        await d.deliver(clock);
      }
      assert.deepEqual(new Set(hook.posts.map((p) => p.id)), new Set(keys), 'every alert arrived');
      assert.ok(hook.digests >= 1, 'the alerts held back by the rate limit went out together in a digest');
      const open = hook.posts.filter((p) => p.kind === 'open').map((p) => p.id.split(':')[0]);
      for (const p of hook.posts.filter((x) => x.kind === 'resolved')) assert.ok(open.includes(p.id.split(':')[0]), `${p.id}: resolved only for announced incidents`);
    } finally {
      await store.close();
      hook.close();
    }
  });

  it('an event holds the pages of its machine for the grace period; what outlasts it pages then', async () => {
    const store = new SqliteStore(':memory:');
    await store.insertSamples([...samples('tm-1', 0, 300), ...samples('tm-2', 0, 300)]);
    const det = await zscore(store, 'tm-1', 299);
    const w = await Watcher.open(store, det, 6, null, { window: 32, resolveAfterMs: 5 * 60_000, eventGraceMs: 10 * 60_000 });
    await drain(w);
    await store.insertEvents([{ id: 'ev-1', ts: at(305), kind: 'failover', machines: ['tm-1'], detail: 'TaskManager tm-1 lost' }]);
    // tm-1: a short disturbance right after the failover (held, never pages); tm-2: the same, no event (pages)
    await store.insertSamples([...samples('tm-1', 300, 340, [[308, 312]]), ...samples('tm-2', 300, 340, [[308, 312]])]);
    const r = await w.step();
    assert.deepEqual(r.held.map((i) => i.machine), ['tm-1']);
    assert.deepEqual(r.opened.map((i) => i.machine), ['tm-2']);
    const held = (await store.incidents({ machine: 'tm-1' })).items[0];
    assert.equal(held.paged, false);
    assert.deepEqual(held.events, ['ev-1'], 'the event is attached to the incident');
    assert.equal(held.afterEffectOf, 'ev-1', "recorded as the failover's after-effect");
    const plain = (await store.incidents({ machine: 'tm-2' })).items[0];
    assert.equal(plain.afterEffectOf, undefined, 'no event, no after-effect');
    assert.equal(held.pagedAt, undefined, 'a held incident has not paged');
    assert.ok(plain.openedAt !== undefined && plain.pagedAt === plain.openedAt, 'an incident that pages at once pages at the point that opened it');
    assert.deepEqual((await store.alerts()).map((a) => a.key).filter((k) => k.startsWith(held.id)), [], 'no alert for a held incident, open or resolved');
    // a hotspot that starts within the grace period but lasts well beyond it pages once the period is over
    await store.insertEvents([{ id: 'ev-2', ts: at(345), kind: 'restart', machines: ['tm-1'], detail: 'job restarted' }]);
    await store.insertSamples([...samples('tm-1', 340, 380, [[348, 380]]), ...samples('tm-2', 340, 380)]);
    const outcomes = [];
    for (let s = await w.step(); s.progressed; s = await w.step()) outcomes.push(s);
    const long = (await store.incidents({ machine: 'tm-1' })).items[0];
    assert.notEqual(long.id, held.id);
    assert.equal(long.paged, true, 'paged after the grace period');
    assert.equal(long.afterEffectOf, undefined, 'a standalone incident once it pages, not an after-effect');
    assert.ok(long.pagedAt !== undefined && long.pagedAt !== null && long.pagedAt >= at(345) + 10 * 60_000, `paged when the hold ended, not at its onset (${long.onset}): ${long.pagedAt}`);
    assert.ok((await store.alerts()).some((a) => a.key === `${long.id}:open`));
    await store.close();
  });

  it('stores the jobs that moved most and the back-pressure cause with the incident', async () => {
    const store = new SqliteStore(':memory:');
    try {
      const s: Sample[] = [];
      for (let i = 0; i < 400; i++) {
        const hot = i >= 330 && i < 370;
        const ts = at(i);
        for (const m of ['tm-up', 'tm-down', 'tm-other']) {
          const bp = m === 'tm-up' && hot ? 700 : 20 + (i % 5);
          const busy = m === 'tm-down' && hot ? 960 : 300 + (i % 7) * 5;
          s.push({ ts, machine: m, metric: 'busy_ms_per_s', value: busy }, { ts, machine: m, metric: 'backpressured_ms_per_s', value: bp });
        }
        s.push({ ts, machine: 'tm-up', metric: 'busy_ms_per_s', job: 'orders', operator: 'enrich', value: 40 + (i % 4) + (hot ? 300 : 0) });
        s.push({ ts, machine: 'tm-up', metric: 'busy_ms_per_s', job: 'orders', operator: 'parse', value: 30 + (i % 4) });
      }
      assert.equal(await store.insertSamples(s), 3200);
      assert.deepEqual(await store.metrics(), ['backpressured_ms_per_s', 'busy_ms_per_s'], 'per-job samples do not become machine channels');
      await store.recordPlacement({ 'tm-up': ['orders'], 'tm-down': ['orders'], 'tm-other': ['clicks'] }, at(0));
      const det = createDetector('zscore');
      await det.fit(await store.series('tm-up', ['busy_ms_per_s', 'backpressured_ms_per_s'], 0, at(299)), { threshold: { rule: 'fixed:6', of: () => 6 } });
      await drain(await Watcher.open(store, det, 6, null, { window: 32 }));
      const up = (await store.incidents({ machine: 'tm-up' })).items[0];
      assert.equal(up.type, 'backpressure');
      assert.equal(up.cause?.machine, 'tm-down');
      assert.deepEqual(up.jobs, ['orders']);
      assert.equal(up.movers[0].operator, 'enrich');
      assert.ok(up.movers[0].meanZ > 5);
    } finally {
      await store.close();
    }
  });

  it('back-pressure from a hotspot whose incident is open is its symptom: recorded with it, not paged', async () => {
    // a slow sink on tm-down (from minute 320) holds up the sources of the job on every machine, tm-down's own
    // included: machine-level back-pressure is high on tm-down too, so only the per-operator samples show where it is
    const store = new SqliteStore(':memory:');
    try {
      const s: Sample[] = [];
      for (let i = 0; i < 400; i++) {
        const slow = i >= 320 && i < 370;
        const waits = (m: string): boolean => (m === 'tm-down' ? slow : i >= 330 && i < 370);
        for (const m of ['tm-up', 'tm-down']) {
          const sink = m === 'tm-down' && slow;
          s.push(...orderRow(i, m, { busy: sink ? 960 : 300 + (i % 7) * 5, bp: waits(m) ? 700 : 20 + (i % 5), sourceBp: waits(m) ? 700 : 0, sinkBusy: sink ? 960 : 30 + (i % 4) }));
        }
      }
      await store.insertSamples(s);
      await store.recordPlacement({ 'tm-up': ['orders'], 'tm-down': ['orders'] }, at(0));
      const det = createDetector('zscore');
      await det.fit(await store.series('tm-up', ['busy_ms_per_s', 'backpressured_ms_per_s'], 0, at(299)), { threshold: { rule: 'fixed:6', of: () => 6 } });
      await drain(await Watcher.open(store, det, 6, null, { window: 32 }));
      const down = (await store.incidents({ machine: 'tm-down' })).items;
      const up = (await store.incidents({ machine: 'tm-up' })).items;
      assert.equal(down.length, 1);
      assert.equal(up.length, 1);
      assert.equal(down[0].paged, true, 'the hotspot pages');
      assert.equal(up[0].cause?.machine, 'tm-down');
      assert.deepEqual(up[0].cause?.operator, { job: 'orders', name: 'Sink: out' });
      assert.equal(up[0].symptomOf, down[0].id);
      assert.equal(up[0].paged, false, 'its symptom does not page again');
      const alerts = await store.alerts({ limit: 100 });
      assert.deepEqual([...new Set(alerts.map((a) => a.incidentId))], [down[0].id], 'one page per hotspot');
    } finally {
      await store.close();
    }
  });
  it('an incident led by the job\'s own metrics is a symptom of the hotspot on another machine of that job', async () => {
    // tm-hot: its CPU climbs from minute 320 (the hotspot) and the orders job's checkpoints slow from 325 — on every
    // machine that runs the job (a job-wide metric): tm-peer sees only the checkpoints move. tm-alone reports the same
    // slowdown of a job it runs alone. The detector watches both channels on every machine.
    const rows = (m: string, cpuHot: boolean, ckptHot: boolean): Sample[] => {
      const out: Sample[] = [];
      for (let i = 0; i < 400; i++) {
        const cpu = Math.sin(i / 9) + ((i * 7) % 5) * 0.05 + (cpuHot && i >= 320 && i < 370 ? 8 : 0);
        const ckpt = 800 + 40 * Math.cos(i / 7) + ((i * 3) % 4) * 10 + (ckptHot && i >= 325 && i < 370 ? 4000 : 0);
        out.push({ ts: at(i), machine: m, metric: 'cpu_load', value: cpu }, { ts: at(i), machine: m, metric: 'checkpoint_ms', value: ckpt });
      }
      return out;
    };
    const store = new SqliteStore(':memory:');
    try {
      await store.insertSamples([...rows('tm-hot', true, true), ...rows('tm-peer', false, true), ...rows('tm-alone', false, true)]);
      await store.recordPlacement({ 'tm-hot': ['orders'], 'tm-peer': ['orders'], 'tm-alone': ['audit'] }, at(0));
      const det = createDetector('zscore');
      await det.fit(await store.series('tm-peer', ['cpu_load', 'checkpoint_ms'], 0, at(299)), { threshold: { rule: 'fixed:6', of: () => 6 } });
      await drain(await Watcher.open(store, det, 6, null, { window: 32 }));
      const one = async (m: string) => {
        const items = (await store.incidents({ machine: m })).items;
        assert.equal(items.length, 1, `one incident on ${m}`);
        return items[0];
      };
      const hot = await one('tm-hot');
      const peer = await one('tm-peer');
      const alone = await one('tm-alone');
      assert.equal(hot.paged, true, 'the hotspot pages');
      assert.ok(hot.onset < peer.onset);
      assert.equal(peer.explanation[0]?.name, 'checkpoint_ms');
      assert.equal(peer.symptomOf, hot.id, "led by the job's checkpoints: the symptom of the hotspot in its job");
      assert.equal(peer.paged, false);
      assert.equal(alone.symptomOf, undefined, 'no incident open in its job: it pages');
      assert.equal(alone.paged, true);
      const paged = new Set((await store.alerts({ limit: 100 })).filter((a) => a.kind === 'open').map((a) => a.incidentId));
      assert.deepEqual([...paged].sort(), [alone.id, hot.id].sort());
    } finally {
      await store.close();
    }
  });
  it('an incident held by a failover that a hotspot elsewhere back-pressures later is its symptom, not a page', async () => {
    // tm-up: lost and back at minute 300 (a failover; its incident is held for 10 min) and disturbed until 309, then
    // calm but inside the quiet period; from 332 the slow sink on tm-down (330–350) holds up its source. That run
    // meets the sustained rule after the hold; read over the whole incident, the sink is busy only a third of the
    // time (no bottleneck), read over the run it is the cause
    const store = new SqliteStore(':memory:');
    try {
      const s: Sample[] = [];
      for (let i = 0; i < 360; i++) {
        const slow = i >= 330 && i < 350;
        const waits = (m: string): boolean => (m === 'tm-down' ? slow : i >= 332 && i < 350);
        for (const m of ['tm-up', 'tm-down']) {
          const sink = m === 'tm-down' && slow;
          const moved = m === 'tm-up' && i >= 300 && i < 309;
          s.push(...orderRow(i, m, { busy: sink || moved ? 960 : 300 + (i % 7) * 5, bp: waits(m) ? 700 : 20 + (i % 5), sourceBp: waits(m) ? 700 : 0, sinkBusy: sink ? 960 : 30 + (i % 4) }));
        }
      }
      await failoverWatch(store, s);
      const down = (await store.incidents({ machine: 'tm-down' })).items;
      const up = (await store.incidents({ machine: 'tm-up' })).items;
      assert.equal(down.length, 1);
      assert.equal(down[0].paged, true, 'the hotspot pages');
      assert.equal(up.length, 1, "one incident on tm-up: the failover's, still open when the sink slowed");
      assert.ok(up[0].onset < at(305) && up[0].lastSeen >= at(340), `${(up[0].onset - T0) / 60_000}–${(up[0].lastSeen - T0) / 60_000} min`);
      assert.ok((up[0].sustainedFrom ?? 0) >= at(310), 'its run after the hold met the sustained rule');
      assert.equal(up[0].cause, null, 'over the whole incident no operator is the bottleneck');
      assert.equal(up[0].symptomOf, down[0].id, 'over the run that would page it, the sink on tm-down is');
      assert.equal(up[0].paged, false);
      assert.deepEqual([...new Set((await store.alerts({ limit: 100 })).map((a) => a.incidentId))], [down[0].id], 'one page, the hotspot\'s');
    } finally {
      await store.close();
    }
  });

  it('a held symptom whose run goes on after its cause ended stays a symptom; a later run of its own pages', async () => {
    // tm-up: lost and back at minute 300 (a failover: held for 10 min), disturbed a little until 308 (a z of about
    // 18). From 332 the slow sink on tm-down (330–340) holds up tm-up's source (a z of about 480); once it is fast
    // again the back-log drains on tm-up (340–347: its source still waits, less, with a dip at 340–341; no operator
    // busy). The whole stretch 332–347 stays above the keep-open level: one run, read from where it began (the sink
    // is the cause), and the drain's rise at 342 above what the failover did lies inside it. Read over the drain
    // alone, or over the sustained rule's latest window, it names no cause: before stop 46 it paged (held-out s214).
    // With `own`, tm-up then calms (348–352) and runs hot on its own (353–365): a run of its own, which pages
    const run = async (own: boolean) => {
      const store = new SqliteStore(':memory:');
      try {
        const s: Sample[] = [];
        for (let i = 0; i < 370; i++) {
          const slow = i >= 330 && i < 340;
          const upBp = i >= 332 && i < 340 ? 700 : i === 340 || i === 341 ? 40 : i >= 342 && i < 348 ? 100 : 0;
          const hot = own && i >= 353 && i < 366;
          for (const m of ['tm-up', 'tm-down']) {
            const sink = m === 'tm-down' && slow;
            const waits = m === 'tm-down' ? (slow ? 700 : 0) : upBp;
            const moved = m === 'tm-up' && i >= 300 && i < 309;
            s.push(...orderRow(i, m, { busy: sink || hot ? 960 : moved ? 500 : 300 + (i % 7) * 5, bp: waits || 20 + (i % 5), sourceBp: waits, sinkBusy: sink ? 960 : 30 + (i % 4) }));
          }
        }
        await failoverWatch(store, s, 2);
        const down = (await store.incidents({ machine: 'tm-down' })).items;
        const up = (await store.incidents({ machine: 'tm-up' })).items;
        assert.equal(down.length, 1);
        assert.equal(up.length, 1, "one incident on tm-up: the failover's, still open");
        return { down: down[0], up: up[0] };
      } finally {
        await store.close();
      }
    };
    const { down, up } = await run(false);
    assert.equal(down.paged, true, 'the hotspot pages');
    assert.equal(up.sustainedSince, at(332), 'the run began when the sink held tm-up up');
    assert.ok((up.sustainedFrom ?? 0) > at(340), 'the sustained rule\'s latest window lies in the drain');
    assert.equal(up.symptomOf, down.id, 'read from where it began, the run is the sink\'s symptom');
    assert.equal(up.paged, false);
    const later = await run(true);
    assert.equal(later.up.paged, true, 'its own hotspot after the drain pages');
    assert.ok((later.up.pagedAt ?? 0) >= at(355) && (later.up.pagedAt ?? 0) <= at(366), `paged at ${((later.up.pagedAt ?? 0) - T0) / 60_000} min`);
    assert.equal(later.up.symptomOf, undefined);
  });

  it('a held incident is judged in units of the levels of the model that scored each point: a retraining does not rescale its yardstick', async () => {
    // tm-up: lost and back at minute 300 (a failover: held until 310), disturbed until 309 (busy 500: a score of 12.5
    // under model A, opening level 6, keep-open 3). After the hold a retrained model B takes over that scores ten times
    // as high (opening level 60), and tm-up is busy again for 4 min (311–314), shorter than the sustained rule: at 400
    // (5.7 under A: below what the failover did, its after-effect) or at 960 (43.5: above it, a hotspot that began on
    // the disturbed machine). Raw, B's 57 at 400 outgrows A's 12.5 and paged; in units (0 at keep-open, 1 at the
    // opening level) it is 0.9 against 3.2, as A would have read it
    const run = async (busy: number) => {
      const store = new SqliteStore(':memory:');
      try {
        const s: Sample[] = [];
        for (let i = 0; i < 340; i++) {
          for (const m of ['tm-up', 'tm-down']) {
            const up = m === 'tm-up';
            const b = up && i >= 300 && i < 310 ? 500 : up && i >= 311 && i < 315 ? busy : 300 + (i % 7) * 5;
            s.push(...orderRow(i, m, { busy: b, bp: 20 + (i % 5), sourceBp: 0, sinkBusy: 30 + (i % 4) }));
          }
        }
        const { det, o } = await failoverSetup(store, s);
        // B: A's scores times ten (a retraining on another scale)
        const b = Object.assign(Object.create(det) as Detector, { scoreTrailing: (...a: Parameters<Detector['scoreTrailing']>) => det.scoreTrailing(...a).map((x) => x.map((v) => v * 10)) });
        const idA = await store.addModel('zscore', 'a.model', { reason: 'manual' });
        const idB = await store.addModel('zscore', 'b.model', { reason: 'event' });
        const w = await Watcher.open(store, det, new FixedLevels(6, 'fixed', 0), idA, { ...o, maxRowsPerStep: 1, startAt: at(299) });
        while (w.scorer.lastTimestamp('tm-up') < at(310)) await w.step();
        w.swapModel(b, new FixedLevels(60, 'fixed', 0), idB);
        await drain(w);
        const up = (await store.incidents({ machine: 'tm-up' })).items;
        assert.equal(up.length, 1, "one incident on tm-up: the failover's");
        const scored = await store.scores('tm-up', at(300), at(314));
        assert.deepEqual([...new Set(scored.model)], [idA, idB], 'both models scored it');
        assert.deepEqual([(await store.model(idA))!.report['unit:tm-up'], (await store.model(idB))!.report['unit:tm-up']], [[3, 6], [30, 60]], 'each model\'s unit kept in its report');
        return up[0];
      } finally {
        await store.close();
      }
    };
    const after = await run(400);
    assert.equal(after.paged, false, 'below what the failover did, in units of each model: the after-effect');
    assert.equal(after.afterEffectOf, 'ev-f');
    const hot = await run(960);
    assert.equal(hot.paged, true, 'above what the failover did: a hotspot that began on the disturbed machine');
  });

  it('stores the level each point held on the alarm scale: a lone high sample does not heat the map, a run does, across a restart too', async () => {
    const store = new SqliteStore(':memory:');
    try {
      await store.insertSamples(samples('a', 0, 200));
      const det = await zscore(store, 'a', 200);
      const id = await store.addModel('zscore', 'a.model', { reason: 'manual' });
      const levels = new FixedLevels(6, 'fixed', 1); // unit [3.5, 6]: 1 = the opening level
      const o: WatchOptions = { window: 16, startAt: at(199) };
      let w = await Watcher.open(store, det, levels, id, o);
      const cell = async (a: number, b: number): Promise<number> => (await store.heatMap({ from: at(a), to: at(b), buckets: 1, threshold: 6, machines: ['a'] })).cells[0][0]!;
      const raw = async (i: number): Promise<number> => (await store.scores('a', at(i), at(i))).score[0];
      // a lone hot sample at 210; a run of five from 220
      await store.insertSamples(samples('a', 200, 240, [[210, 211], [220, 225]]));
      await drain(w);
      assert.ok((await raw(210)) > 6, 'the lone sample scored above the opening level');
      assert.ok((await cell(205, 215)) < 1, 'but the machine did not stay there: the cell is below the opening level');
      assert.ok((await cell(215, 230)) >= 1, 'five points at the level: the cell is hot');
      // a restart, then a lone hot sample at once: it holds the two points stored before it, as without the restart
      w = await Watcher.open(store, det, levels, id, o);
      await store.insertSamples(samples('a', 240, 250, [[240, 241]]));
      await drain(w);
      assert.ok((await raw(240)) > 6);
      assert.ok((await cell(238, 248)) < 1, 'the restarted watcher read the points before the restart');
    } finally {
      await store.close();
    }
  });

  it('a paged incident that renews on back-pressure from a hotspot elsewhere sends no update: the renewal is its symptom', async () => {
    // tm-up's own hotspot (310–319) pages; it goes quiet for 4 min (the segment closes, the incident stays open); from
    // 324 the sink on tm-down is slow and holds up tm-up's source: tm-up renews, as tm-down's symptom. With tm-up hot
    // on its own again instead, the renewal is an update
    const run = async (sinkSlow: boolean): Promise<{ up: Awaited<ReturnType<Store['incidents']>>['items']; down: Awaited<ReturnType<Store['incidents']>>['items']; alerts: string[] }> => {
      const store = new SqliteStore(':memory:');
      try {
        const row = (i: number): Sample[] => ['tm-up', 'tm-down'].flatMap((m) => {
          const own = m === 'tm-up' && ((i >= 310 && i < 320) || (!sinkSlow && i >= 324 && i < 334));
          const sink = sinkSlow && m === 'tm-down' && i >= 324 && i < 334;
          const waits = sink || (sinkSlow && m === 'tm-up' && i >= 324 && i < 334);
          return orderRow(i, m, { busy: own || sink ? 960 : 300 + (i % 7) * 5, bp: waits ? 700 : 20 + (i % 5), sourceBp: waits ? 700 : 0, sinkBusy: sink ? 960 : 30 + (i % 4) });
        });
        await renewWatch(store, ['tm-up', 'tm-down'], ['busy_ms_per_s', 'backpressured_ms_per_s'], row);
        return { up: (await store.incidents({ machine: 'tm-up' })).items, down: (await store.incidents({ machine: 'tm-down' })).items, alerts: (await store.alerts({ limit: 100 })).map((a) => `${a.incidentId}:${a.kind}`) };
      } finally {
        await store.close();
      }
    };
    const slow = await run(true);
    assert.equal(slow.up.length, 1);
    assert.equal(slow.up[0].paged, true, 'its own hotspot paged');
    assert.equal(slow.up[0].renewals?.length, 1, 'the back-pressure renewed it');
    assert.equal(slow.up[0].renewals![0].from, at(324));
    assert.equal(slow.down.length, 1, "the sink's incident");
    assert.equal(slow.down[0].paged, true);
    assert.equal(slow.up[0].updates, undefined, "the renewal is tm-down's symptom: no update");
    assert.ok(!slow.alerts.some((a) => a.startsWith(`${slow.up[0].id}:update`)), `${slow.alerts}`);
    const own = await run(false);
    assert.equal(own.up[0].renewals?.length, 1);
    assert.deepEqual(own.up[0].updates, [own.up[0].renewals![0].at], 'hot again on its own: an update');
  });

  it('a paged incident that renews on its job\'s checkpoints while a hotspot elsewhere in the job is open sends no update', async () => {
    // tm-up's own CPU hotspot (310–319) pages; it goes quiet for 4 min (the segment closes, the incident stays open).
    // tm-hot's CPU climbs from 322; from 324 the orders job's checkpoints slow on every machine that runs it (a
    // job-wide metric): tm-up renews on the checkpoints alone — tm-hot's. Without a hotspot elsewhere the same
    // renewal is an update (a job that slows with no hotspot anywhere tells), and so is tm-up hot on its own again
    const run = async (o: { hot: boolean; ckpt: boolean | 'up'; upAgain: boolean }): Promise<Awaited<ReturnType<Store['incidents']>>['items']> => {
      const store = new SqliteStore(':memory:');
      try {
        const row = (i: number): Sample[] => ['tm-up', 'tm-hot'].flatMap((m) => {
          const hot = (m === 'tm-up' && ((i >= 310 && i < 320) || (o.upAgain && i >= 324 && i < 334))) || (o.hot && m === 'tm-hot' && i >= 322 && i < 345);
          const cpu = Math.sin(i / 9) + ((i * 7) % 5) * 0.05 + (hot ? 20 : 0);
          // 'up': tm-up's own checkpoints ten times as long (a slow sink there), the others' as before
          const slow = o.ckpt === 'up' ? (m === 'tm-up' ? 7200 : 0) : o.ckpt ? 300 : 0;
          const ckpt = 800 + 40 * Math.cos(i / 7) + ((i * 3) % 4) * 10 + (i >= 324 && i < 334 ? slow : 0);
          return [{ ts: at(i), machine: m, metric: 'cpu_load', value: cpu }, { ts: at(i), machine: m, metric: 'checkpoint_ms', value: ckpt }];
        });
        await renewWatch(store, ['tm-up', 'tm-hot'], ['cpu_load', 'checkpoint_ms'], row);
        const up = (await store.incidents({ machine: 'tm-up' })).items;
        assert.equal(up.length, 1);
        assert.equal(up[0].paged, true, 'its own hotspot paged');
        assert.equal(up[0].renewals?.length, 1, `renewed once (${JSON.stringify(up[0].renewals)})`);
        assert.equal(up[0].renewals![0].from, at(324));
        if (o.hot) {
          const hot = (await store.incidents({ machine: 'tm-hot' })).items;
          assert.equal(hot.length, 1);
          assert.equal(hot[0].symptomOf, undefined, "tm-hot's incident is led by its own CPU");
        }
        return up;
      } finally {
        await store.close();
      }
    };
    const [jobWide] = await run({ hot: true, ckpt: true, upAgain: false });
    assert.equal(jobWide.updates, undefined, "led by the job's checkpoints while tm-hot's incident is open: no update");
    const [alone] = await run({ hot: false, ckpt: true, upAgain: false });
    assert.deepEqual(alone.updates, [alone.renewals![0].at], 'no hotspot elsewhere in the job: an update');
    const [mine] = await run({ hot: true, ckpt: 'up', upAgain: false });
    assert.deepEqual(mine.updates, [mine.renewals![0].at], "its own checkpoints, ten times the others': an update");
    const [own] = await run({ hot: true, ckpt: false, upAgain: true });
    assert.deepEqual(own.updates, [own.renewals![0].at], 'hot on its own CPU again: an update');
  });

  it('a symptom without a run of its own stays a symptom after its cause ends: it does not page', async () => {
    // the slow sink on tm-down (330–337) holds up tm-up's source for 4 minutes (332–335), shorter than the sustained
    // rule (5): no sustained run. Then tm-up flickers every third minute, which keeps its incident open without a run
    // of its own. Over the whole incident the sink soon looks idle most of the time (no cause); nothing after the
    // back-pressure met a rule that pages, so it stays the sink's symptom (before: it paged once the cause diluted)
    const store = new SqliteStore(':memory:');
    try {
      const row = (i: number): Sample[] => ['tm-up', 'tm-down'].flatMap((m) => {
        const sink = m === 'tm-down' && i >= 330 && i < 337;
        const waits = sink || (m === 'tm-up' && i >= 332 && i < 336);
        const flicker = m === 'tm-up' && i >= 338 && i % 3 === 0;
        return orderRow(i, m, { busy: sink || flicker ? 960 : 300 + (i % 7) * 5, bp: waits ? 700 : 20 + (i % 5), sourceBp: waits ? 700 : 0, sinkBusy: sink ? 960 : 30 + (i % 4) });
      });
      const { rows, w } = await symptomWatch(store, row, 2);
      await drain(w);
      await store.insertSamples(rows(300, 337));
      await drain(w);
      const down = (await store.incidents({ machine: 'tm-down' })).items;
      assert.equal(down.length, 1);
      const during = (await store.incidents({ machine: 'tm-up' })).items;
      assert.equal(during.length, 1);
      assert.equal(during[0].symptomOf, down[0].id, 'while the sink is slow: its symptom');
      await store.insertSamples(rows(337, 372));
      await drain(w);
      const up = (await store.incidents({ machine: 'tm-up' })).items;
      assert.equal(up.length, 1, 'the same incident, kept open by the flicker');
      assert.ok(up[0].lastSeen >= at(366), `open until ${(up[0].lastSeen - T0) / 60_000} min`);
      assert.equal(up[0].sustainedFrom, undefined, 'no run met the sustained rule');
      assert.equal(up[0].cause, null, 'over the whole incident no operator is the bottleneck any more');
      assert.equal(up[0].symptomOf, down[0].id, 'still the sink\'s symptom');
      assert.equal(up[0].paged, false);
      assert.deepEqual([...new Set((await store.alerts({ limit: 100 })).map((a) => a.incidentId))], [down[0].id]);
    } finally {
      await store.close();
    }
  });

  it('a symptom on whose machine a hotspot begins pages when it rises above everything the symptom scored', async () => {
    // the slow sink on tm-down (330–332) holds up tm-up's source a little (machine back-pressure 40 ms/s: a z of about
    // 13); from 334 tm-up's own operators run hot (busy 960: a z of about 60), while tm-down's incident is still open.
    // Over the whole incident the sink is no longer the bottleneck at 336; the sustained rule (5 min) would page it at
    // 338, three points above the symptom's peak page it at 336
    const store = new SqliteStore(':memory:');
    try {
      const row = (i: number): Sample[] => ['tm-up', 'tm-down'].flatMap((m) => {
        const sink = m === 'tm-down' && i >= 330 && i < 333;
        const waits = m === 'tm-up' && i >= 330 && i < 333;
        const own = m === 'tm-up' && i >= 334 && i < 350;
        return orderRow(i, m, { busy: sink || own ? 960 : 300 + (i % 7) * 5, bp: waits ? 40 : 20 + (i % 5), sourceBp: waits ? 150 : 0, sinkBusy: sink ? 960 : 30 + (i % 4) });
      });
      const { rows, w } = await symptomWatch(store, row, 1);
      await drain(w);
      await store.insertSamples(rows(300, 333));
      await drain(w);
      const down = (await store.incidents({ machine: 'tm-down' })).items;
      assert.equal(down.length, 1);
      const during = (await store.incidents({ machine: 'tm-up' })).items;
      assert.equal(during.length, 1);
      assert.equal(during[0].symptomOf, down[0].id, 'while the sink is slow: its symptom');
      await store.insertSamples(rows(333, 337));
      await drain(w);
      const up = (await store.incidents({ machine: 'tm-up' })).items;
      assert.equal(up.length, 1, 'the same incident');
      assert.equal(up[0].paged, true, 'its own hotspot pages before the sustained rule is met');
      assert.equal(up[0].pagedAt, at(336), 'at the third point above the symptom\'s peak');
      assert.equal(up[0].symptomOf, undefined);
    } finally {
      await store.close();
    }
  });

  it('a symptom that lingers after the back-pressure ends stays a symptom: it is judged on its latest run', async () => {
    // the slow sink on tm-down (330–340) holds up tm-up's source (332–340); then tm-up flickers on its own every third
    // minute, which keeps its incident open but never makes a run. Over the whole incident the sink soon looks idle
    // most of the time (no bottleneck, no symptom: it would page); over its latest run it is the cause
    const store = new SqliteStore(':memory:');
    try {
      const row = (i: number): Sample[] => ['tm-up', 'tm-down'].flatMap((m) => {
        const sink = m === 'tm-down' && i >= 330 && i < 340;
        const waits = sink || (m === 'tm-up' && i >= 332 && i < 340);
        const flicker = m === 'tm-up' && i >= 342 && i % 3 === 0;
        return orderRow(i, m, { busy: sink || flicker ? 960 : 300 + (i % 7) * 5, bp: waits ? 700 : 20 + (i % 5), sourceBp: waits ? 700 : 0, sinkBusy: sink ? 960 : 30 + (i % 4) });
      });
      const { rows, w } = await symptomWatch(store, row, 2);
      await drain(w);
      await store.insertSamples(rows(300, 342));
      await drain(w);
      const down = (await store.incidents({ machine: 'tm-down' })).items;
      assert.equal(down.length, 1);
      const during = (await store.incidents({ machine: 'tm-up' })).items;
      assert.equal(during.length, 1);
      assert.equal(during[0].symptomOf, down[0].id, 'while the sink is slow: its symptom');
      await store.insertSamples(rows(342, 372));
      await drain(w);
      const up = (await store.incidents({ machine: 'tm-up' })).items;
      assert.equal(up.length, 1, 'the same incident, kept open by the flicker');
      assert.ok(up[0].lastSeen >= at(366), `open until ${(up[0].lastSeen - T0) / 60_000} min`);
      assert.equal(up[0].cause, null, 'over the whole incident no operator is the bottleneck any more');
      assert.equal(up[0].symptomOf, down[0].id, 'over its latest run, the sink on tm-down still is');
      assert.equal(up[0].paged, false);
      assert.deepEqual([...new Set((await store.alerts({ limit: 100 })).map((a) => a.incidentId))], [down[0].id]);
    } finally {
      await store.close();
    }
  });
});
