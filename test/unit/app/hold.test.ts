// An event's hold on an incident's page (src/app/enrich.ts holdUntil, pagesNow; issue #14): an event that came
// before the incident opened holds it, even when the incident's first run began a moment before the event; after the
// hold the incident pages only when it meets the sustained rule wholly after the hold's end (a burst that crosses the
// opening level does not page it) or when a run rises above everything the event did to it; an incident still open
// when a later event comes is held by that event too.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { enrich, holdUntil, nextUpdate, overlappingEvents, pagesNow, updatesOf } from '../../../src/app/enrich.js';
import { freshEvent, staleEvent } from '../../../src/core/stale.js';
import { collectResumedEvent } from '../../../src/core/outage.js';
import { SqliteStore } from '../../../src/store/index.js';
import type { Incident, Renewal } from '../../../src/core/incident.js';
import type { FlinkEvent } from '../../../src/core/event.js';

const MIN = 60_000;
const inc = (o: Partial<Incident>): Incident => ({ id: 'inc-1', machine: 'tm-1', state: 'open', type: 'trend', onset: 100 * MIN, lastSeen: 110 * MIN, peak: 30, segments: 1, ...o });
const restart = (ts: number): FlinkEvent => ({ id: `r-${ts}`, ts, kind: 'restart', machines: ['tm-1'], detail: 'job restarted' });

describe('event hold', () => {
  it('an event after the onset but before the incident opened holds it (a run that began just before a restart)', () => {
    const i = inc({ openedAt: 104 * MIN });
    assert.equal(holdUntil(i, [restart(102 * MIN)], 10 * MIN), 112 * MIN);
    assert.equal(holdUntil(i, [restart(105 * MIN)], 10 * MIN), -Infinity, 'an event after the incident opened does not');
    assert.equal(holdUntil(inc({}), [restart(102 * MIN)], 10 * MIN), -Infinity, 'without openedAt: events up to the onset only');
  });
  it('an incident still open when a later event comes: its run in that event\'s grace period does not page', () => {
    // opened and held by a restart at 95; still open when a second restart comes at 130
    const events = [restart(95 * MIN), restart(130 * MIN)];
    const during = inc({ openedAt: 100 * MIN, lastSeen: 133 * MIN, sustainedFrom: 132 * MIN });
    assert.equal(holdUntil(during, events, 10 * MIN), 140 * MIN, 'the second restart holds it');
    assert.equal(pagesNow(during, holdUntil(during, events, 10 * MIN), 133 * MIN), false);
    const after = inc({ openedAt: 100 * MIN, lastSeen: 143 * MIN, sustainedFrom: 141 * MIN });
    assert.equal(pagesNow(after, holdUntil(after, events, 10 * MIN), 143 * MIN), true, 'a run after that hold pages');
    const between = inc({ openedAt: 100 * MIN, lastSeen: 120 * MIN, sustainedFrom: 118 * MIN });
    assert.equal(pagesNow(between, holdUntil(between, events, 10 * MIN), 120 * MIN), true, 'a run between the two holds pages');
    assert.equal(holdUntil(inc({ openedAt: 100 * MIN, sustainedFrom: 129 * MIN }), events, 10 * MIN), 105 * MIN, 'an event after the run began does not hold it');
  });
  it('after the hold, a burst at the opening level does not page; a sustained run wholly after it does', () => {
    const until = 110 * MIN;
    // the catch-up crossed the opening level at the hold's end, but its last sustained run began before it
    const catchUp = inc({ lastHigh: 111 * MIN, lastSeen: 112 * MIN, sustainedFrom: 103 * MIN });
    assert.equal(pagesNow(catchUp, until, 115 * MIN), false);
    // after a restart the incident stays open and bursts meet the persistence rule again (its points at the opening
    // level after the hold): they do not page it
    const burst = inc({ lastHigh: 114 * MIN, lastSeen: 114 * MIN, sustainedFrom: 103 * MIN });
    assert.equal(pagesNow(burst, until, 115 * MIN), false, 'a persistence run after the hold is not enough');
    assert.equal(pagesNow(inc({ lastHigh: 114 * MIN, lastSeen: 114 * MIN }), until, 115 * MIN), false, 'nor is an incident that never sustained');
    const hotspot = inc({ lastHigh: 114 * MIN, lastSeen: 124 * MIN, sustainedFrom: 112 * MIN });
    assert.equal(pagesNow(hotspot, until, 109 * MIN), false, 'not during the hold');
    assert.equal(pagesNow(hotspot, until, 124 * MIN), true, 'a change that stays pages');
    assert.equal(pagesNow(catchUp, -Infinity, 100 * MIN), true, 'no hold: pages');
  });
});

describe('a failover whose grace period the metrics spent stale (src/app/enrich.ts holdEnd)', () => {
  // tm-1 is lost at 100; Flink's REST API serves its last values (first seen at 101) from 102 until fresh ones come
  // at 130: what the failover did to tm-1 shows only from 130
  const failover = (machines = ['tm-1'], kind: FlinkEvent['kind'] = 'failover'): FlinkEvent => ({ id: `${kind}-100`, ts: 100 * MIN, kind, machines, detail: 'TaskManager tm-1 lost' });
  const stale = staleEvent('tm-1', 102 * MIN, 101 * MIN);
  const fresh = freshEvent('tm-1', 130 * MIN, 101 * MIN, 102 * MIN);
  const after = inc({ onset: 131 * MIN, openedAt: 131 * MIN, lastSeen: 135 * MIN });
  it('holds from where the values move again, for the grace period', () => {
    assert.equal(holdUntil(after, [failover(), stale, fresh], 10 * MIN), 140 * MIN);
    assert.equal(holdUntil(after, [failover(), stale], 10 * MIN), -Infinity, 'no end of a stale stretch known: the clock, as before');
    assert.equal(holdUntil(inc({ onset: 141 * MIN, openedAt: 141 * MIN }), [failover(), stale, fresh], 10 * MIN), -Infinity, 'not after that');
  });
  it('only a placement event that names the machine, and only a stretch that began in its grace period', () => {
    assert.equal(holdUntil(after, [failover([]), stale, fresh], 10 * MIN), -Infinity, 'a cluster-wide event: the clock');
    assert.equal(holdUntil(after, [failover(['tm-2']), stale, fresh], 10 * MIN), -Infinity, 'another machine\'s');
    assert.equal(holdUntil(after, [failover(['tm-1'], 'restart'), stale, fresh], 10 * MIN), -Infinity, 'a restart may not move anything');
    const late = freshEvent('tm-1', 130 * MIN, 115 * MIN, 116 * MIN);
    assert.equal(holdUntil(after, [failover(), late], 10 * MIN), -Infinity, 'values that froze after the grace period');
    assert.equal(holdUntil(after, [failover(['tm-1'], 'deploy'), stale, fresh], 10 * MIN), 140 * MIN, 'a deploy is a placement event too');
  });
  it('holds renewals in that time too', () => {
    const paged = inc({ onset: 80 * MIN, openedAt: 80 * MIN, lastSeen: 160 * MIN, renewals: [{ from: 133 * MIN, at: 134 * MIN }, { from: 150 * MIN, at: 151 * MIN }] });
    assert.deepEqual(updatesOf(paged, [failover(), stale, fresh], 10 * MIN, 80 * MIN, 10 * MIN), [151 * MIN], 'the run at 133 lies in the hold');
    assert.deepEqual(updatesOf(paged, [failover(), stale], 10 * MIN, 80 * MIN, 10 * MIN), [134 * MIN], 'by the clock the run at 133 is not held (151 then comes too soon)');
  });
  it('the store gives the failover to an incident that opens when the values move again', async () => {
    const store = new SqliteStore(':memory:');
    try {
      await store.insertEvents([failover(), stale, fresh, restart(60 * MIN)]);
      const ids = (await overlappingEvents(store, after, 10 * MIN)).map((e) => e.id);
      assert.deepEqual(ids, ['failover-100', fresh.id], 'the failover and the end of the stretch (the stale start and older events are not read)');
      assert.equal(holdUntil(after, await overlappingEvents(store, after, 10 * MIN), 10 * MIN), 140 * MIN);
    } finally {
      await store.close();
    }
  });
});

describe('a failover during an outage of the collector (holdEnd reads the same gaps as retraining: effectFrom)', () => {
  // the collector had no data from 99 to 125; tm-2 is lost at 100: what that did shows only from 125
  const failover = (machines = ['tm-1']): FlinkEvent => ({ id: `failover-${machines.join()}`, ts: 100 * MIN, kind: 'failover', machines, detail: 'TaskManager lost' });
  const resumed = collectResumedEvent(125 * MIN, 99 * MIN, 'failed', false);
  const after = inc({ onset: 126 * MIN, openedAt: 126 * MIN, lastSeen: 130 * MIN });
  it('holds from where the data came back, on any machine the event names, and for a cluster-wide one', () => {
    assert.equal(holdUntil(after, [failover(), resumed], 10 * MIN), 135 * MIN);
    assert.equal(holdUntil(after, [failover([]), resumed], 10 * MIN), 135 * MIN, 'a cluster-wide deploy is held too');
    assert.equal(holdUntil(after, [failover(['tm-2']), resumed], 10 * MIN), -Infinity, 'an event on another machine is not');
    assert.equal(holdUntil(after, [failover(), collectResumedEvent(125 * MIN, 99 * MIN, 'failed', true)], 10 * MIN), -Infinity, 'a stretch read after all: the clock');
  });
  it('the outage itself holds nothing', () => {
    const failed = { ...resumed, id: 'collect-failed', kind: 'collect-failed' as const, ts: 99.5 * MIN };
    assert.equal(holdUntil(inc({ onset: 100 * MIN, openedAt: 100 * MIN }), [failed, resumed], 10 * MIN), -Infinity);
  });
  it('the store gives the failover to an incident that opens when the data comes back', async () => {
    const store = new SqliteStore(':memory:');
    try {
      await store.insertEvents([failover(), resumed, restart(60 * MIN)]);
      const ids = (await overlappingEvents(store, after, 10 * MIN)).map((e) => e.id);
      assert.deepEqual(ids, ['failover-tm-1', resumed.id]);
      assert.equal(holdUntil(after, await overlappingEvents(store, after, 10 * MIN), 10 * MIN), 135 * MIN);
    } finally {
      await store.close();
    }
  });
});

describe('updates of a paged incident (src/app/enrich.ts updatesOf)', () => {
  const ren = (from: number): Renewal => ({ from: from * MIN, at: (from + 1) * MIN, quietMs: MIN });
  const renewed = inc({ openedAt: 100 * MIN, lastSeen: 200 * MIN, renewals: [ren(98), ren(120), ren(140)] });
  it('a renewal after the page notifies; none before it, none while it has not paged', () => {
    assert.deepEqual(updatesOf(renewed, [], 10 * MIN, 100 * MIN, 10 * MIN), [121 * MIN, 141 * MIN], '21 min after the page, then 20 more (≥ 2 × 10)');
    assert.deepEqual(updatesOf(renewed, [], 10 * MIN, 121 * MIN, 10 * MIN), [141 * MIN], 'the renewal that paged a held incident is its page');
    assert.deepEqual(updatesOf(renewed, [], 10 * MIN, undefined, 10 * MIN), []);
    assert.deepEqual(updatesOf(inc({}), [], 10 * MIN, 100 * MIN, 10 * MIN), [], 'no renewal, no update');
  });
  it('a flapping incident falls silent: each update waits twice as long as the one before', () => {
    const flaps = inc({ openedAt: 100 * MIN, renewals: [102, 111, 113, 131, 140, 150, 172, 200].map(ren) });
    // 112 (12 ≥ 10 after the page), 132 (20 ≥ 20), 173 (41 ≥ 40); 114, 141, 151 and 201 come too soon
    assert.deepEqual(updatesOf(flaps, [], 10 * MIN, 100 * MIN, 10 * MIN), [112 * MIN, 132 * MIN, 173 * MIN]);
    assert.deepEqual(updatesOf(flaps, [], 10 * MIN, 100 * MIN, 0), flaps.renewals!.map((r) => r.at), 'afterMs 0: every renewal');
    assert.deepEqual(updatesOf(flaps, [], 10 * MIN, 100 * MIN, Infinity), [], 'afterMs Infinity (`--update-after off`): none');
    // what was sent stays, and the spacing continues from it (a restarted watcher, or renewals no longer kept)
    assert.deepEqual(updatesOf(flaps, [], 10 * MIN, 100 * MIN, 10 * MIN, [112 * MIN]), [112 * MIN, 132 * MIN, 173 * MIN]);
    assert.deepEqual(updatesOf(flaps, [], 10 * MIN, 100 * MIN, 10 * MIN, [105 * MIN]), [105 * MIN, 132 * MIN, 173 * MIN]);
  });
  it('a renewal judged another incident\'s symptom (skip) is passed over; the next one is timed from the last sent', () => {
    assert.equal(nextUpdate(renewed, [], 100 * MIN, 10 * MIN, [])?.from, 120 * MIN);
    assert.equal(nextUpdate(renewed, [], 100 * MIN, 10 * MIN, [], new Set([120 * MIN]))?.from, 140 * MIN, '41 min after the page');
    assert.equal(nextUpdate(renewed, [], 100 * MIN, 10 * MIN, [121 * MIN], new Set([140 * MIN])), undefined);
    assert.equal(nextUpdate(renewed, [], undefined, 10 * MIN, []), undefined, 'not paged: none');
  });
  it('a renewal whose run began in an event\'s grace period is that event\'s after-effect: no update', () => {
    const u = (events: FlinkEvent[], grace = 10 * MIN): number[] => updatesOf(renewed, events, grace, 100 * MIN, 10 * MIN);
    assert.deepEqual(u([restart(135 * MIN)]), [121 * MIN], 'the restart at 135 holds the run from 140');
    assert.deepEqual(u([restart(141 * MIN)]), [121 * MIN, 141 * MIN], 'an event after the run began does not');
    assert.deepEqual(u([restart(125 * MIN)]), [121 * MIN, 141 * MIN], 'nor one more than the grace period before it');
    assert.deepEqual(u([restart(135 * MIN)], 0), [121 * MIN, 141 * MIN], 'grace 0: events hold nothing');
    const lag: FlinkEvent = { id: 'lag', ts: 135 * MIN, kind: 'lag-growing', machines: ['tm-1'], detail: 'lag' };
    assert.deepEqual(u([lag]), [121 * MIN, 141 * MIN], 'a symptom event holds no update');
  });
});

describe('a held incident that outgrows what the event did pages (src/app/enrich.ts, src/inspect/outgrow.ts)', () => {
  // a restart at 100 holds tm-1's incident (open from 100) until 110; the restart's own disturbance peaks at 40
  const held = (lastSeen: number): Incident => inc({ type: 'sustained-high', openedAt: 100 * MIN, lastSeen: lastSeen * MIN, sustainedFrom: 100 * MIN });
  const run = async (after: number[], o: { stored?: boolean; events?: FlinkEvent[] } = {}) => {
    const store = new SqliteStore(':memory:');
    try {
      await store.insertEvents(o.events ?? [restart(100 * MIN)]);
      const during = [20, 40, 35, 30, 25, 20, 15, 12, 10, 10, 10].map((score, k) => ({ t: (100 + k) * MIN, score }));
      const later = after.map((score, k) => ({ t: (111 + k) * MIN, score }));
      const points = o.stored === false ? during : [...during, ...later];
      await store.commitStep({ scores: [{ machine: 'tm-1', points }], modelId: null, scorerStates: [], incidents: [], alerts: [], status: [], meta: {} });
      const last = 110 + after.length;
      const i = held(last);
      const stepScores = new Map([['tm-1', o.stored === false ? later : []]]);
      return await enrich(store, i, [], [i], last * MIN, false, { eventGraceMs: 10 * MIN, sustainMs: 30 * MIN, stepScores });
    } finally {
      await store.close();
    }
  };
  it('bursts at the opening level below the restart\'s peak stay its after-effect', async () => {
    const d = await run([12, 38, 39, 40, 12, 30, 35]);
    assert.equal(d.paged, false);
    assert.equal(d.afterEffectOf, 'r-6000000');
  });
  it('a run above it for the persistence pages at once, with the step\'s data time', async () => {
    const d = await run([12, 50, 60, 70]);
    assert.equal(d.paged, true);
    assert.equal(d.pagedAt, 114 * MIN);
    assert.equal(d.afterEffectOf, undefined);
    assert.equal((await run([12, 50, 60])).paged, false, 'two points above it are not yet the persistence (3)');
  });
  it('reads the step\'s own scores, not yet stored', async () => {
    assert.equal((await run([12, 50, 60, 70], { stored: false })).paged, true);
  });
  it('a run in a later event\'s grace period is that event\'s', async () => {
    const d = await run([12, 50, 60, 70], { events: [restart(100 * MIN), restart(111 * MIN)] });
    assert.equal(d.paged, false);
  });
  // open since the restart at 100 (peak 40, calm at 3 after it); a second restart at `second` disturbs it less (peak
  // 15) and holds it for 10 min; then a run at 20–25 (a hotspot that begins on the machine)
  const twice = async (second: number) => {
    const store = new SqliteStore(':memory:');
    try {
      await store.insertEvents([restart(100 * MIN), restart(second * MIN)]);
      const first = [20, 40, 35, 30, 25, 20, 15, 12, 10, 10, 10];
      const score = (m: number): number => m <= 110 ? first[m - 100] : m < second ? 3 : m <= second + 3 ? [8, 15, 12, 10][m - second] : m <= second + 11 ? 5 : 20 + m - second - 12;
      const end = second + 14;
      const points = Array.from({ length: end - 100 + 1 }, (_, k) => ({ t: (100 + k) * MIN, score: score(100 + k) }));
      await store.commitStep({ scores: [{ machine: 'tm-1', points }], modelId: null, scorerStates: [], incidents: [], alerts: [], status: [], meta: {} });
      const i = inc({ type: 'sustained-high', openedAt: 100 * MIN, lastSeen: end * MIN, sustainedFrom: second * MIN });
      return await enrich(store, i, [], [i], end * MIN, false, { eventGraceMs: 10 * MIN, sustainMs: 30 * MIN, stepScores: new Map() });
    } finally {
      await store.close();
    }
  };
  it('after a second event, a run is measured against what the second did, not the first', async () => {
    const d = await twice(130);
    assert.equal(d.paged, true, 'above the second restart\'s 15, below the first\'s 40: a hotspot after the second');
    assert.equal(d.pagedAt, 144 * MIN);
    assert.equal(d.afterEffectOf, undefined);
  });
  it('events less than a grace period apart are one disturbance: the first one\'s peak still counts', async () => {
    const d = await twice(114);
    assert.equal(d.paged, false, 'the second restart 4 min after the first\'s hold: the run stays below 40');
    assert.equal(d.afterEffectOf, 'r-6840000');
  });
});

describe('a renewal in the grace period after an event\'s hold notifies only above what the event did (src/app/enrich.ts, runAboveHolds)', () => {
  // tm-1's hotspot paged at 100; a restart at 120 disturbs it (scores up to 40 in its hold, 120–130); the incident
  // stays open and renews at 140 (the run 140–142): an after-effect when the run stays below 40, an update above it
  const paged = async (run: number[], o: { events?: FlinkEvent[]; muted?: number[]; reread?: boolean } = {}) => {
    const store = new SqliteStore(':memory:');
    try {
      await store.insertEvents(o.events ?? [restart(120 * MIN)]);
      const before = [20, 25, 22, 18, 9, 8].map((score, k) => ({ t: (100 + k) * MIN, score }));
      const hold = [35, 40, 30, 20, 15, 12, 10, 9, 9, 9, 9].map((score, k) => ({ t: (120 + k) * MIN, score }));
      const renewed = run.map((score, k) => ({ t: (140 + k) * MIN, score }));
      await store.commitStep({ scores: [{ machine: 'tm-1', points: [...before, ...hold, ...renewed] }], modelId: null, scorerStates: [], incidents: [], alerts: [], status: [], meta: {} });
      const i = inc({ type: 'sustained-high', openedAt: 100 * MIN, lastSeen: 142 * MIN, renewals: [{ from: 140 * MIN, at: 142 * MIN }] });
      const d = await enrich(store, i, [], [i], 142 * MIN, true, { eventGraceMs: 10 * MIN, updateAfterMs: 10 * MIN }, () => undefined, 100 * MIN, [], o.muted);
      if (o.reread) {
        // the judgment goes through the store with the incident and is taken from it, not made again
        await store.commitStep({ scores: [], modelId: null, scorerStates: [], incidents: [{ ...i, ...d }], alerts: [], status: [], meta: {} });
        const [back] = (await store.incidents()).items;
        assert.deepEqual(back.muted, d.muted);
        return await enrich(store, i, [], [i], 142 * MIN, true, { eventGraceMs: 0, updateAfterMs: 10 * MIN }, () => undefined, 100 * MIN, [], back.muted);
      }
      return d;
    } finally {
      await store.close();
    }
  };
  it('a run below the restart\'s peak is its after-effect: no update', async () => {
    assert.equal((await paged([30, 35, 38])).updates, undefined);
  });
  it('a run above it is a second hotspot: an update', async () => {
    assert.deepEqual((await paged([45, 50, 55])).updates, [142 * MIN]);
  });
  it('a renewal more than a grace period after the hold is judged as any other: an update', async () => {
    // a restart at 110 holds until 120 (it saw 35 at 120); the run at 140 comes 20 min after, past one grace period
    assert.deepEqual((await paged([30, 35, 38], { events: [restart(110 * MIN)] })).updates, [142 * MIN]);
  });
  it('without an event the same run is an update', async () => {
    assert.deepEqual((await paged([30, 35, 38], { events: [] })).updates, [142 * MIN]);
  });
  it('a renewal judged to send no update is kept as muted, and not judged again', async () => {
    const d = await paged([30, 35, 38]);
    assert.deepEqual(d.muted, [140 * MIN]);
    assert.equal((await paged([45, 50, 55])).muted, undefined, 'an update is no muted renewal');
    // read again without the hold (grace 0) it would be an update; muted, it is not judged again
    assert.equal((await paged([30, 35, 38], { reread: true })).updates, undefined);
    assert.deepEqual((await paged([30, 35, 38], { events: [], muted: [140 * MIN] })).updates, undefined);
    assert.deepEqual((await paged([30, 35, 38], { events: [], muted: [130 * MIN] })).updates, [142 * MIN], 'a start no renewal has is dropped');
  });
});
