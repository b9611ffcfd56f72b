// The collector's outages as events (src/core/outage.ts): one when polls start failing, one when data comes again,
// and the data gap the second one ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CollectOutage, collectorFailing, dataGapOf } from '../../../src/core/outage.js';
import { freshEvent, staleEvent } from '../../../src/core/stale.js';

const S = 1000;

test('failing polls: one collect-failed event at the first, one collect-resumed when data comes again', () => {
  const o = new CollectOutage();
  assert.deepEqual(o.ok(10 * S), [], 'the first data: no gap');
  assert.deepEqual(o.ok(20 * S), []);
  const [failed] = o.failed(30 * S, 'connect ECONNREFUSED');
  assert.deepEqual([failed.kind, failed.machines, failed.attrs], ['collect-failed', [], { since: 20 * S, error: 'connect ECONNREFUSED' }]);
  assert.match(failed.detail, /could not collect from the cluster \(no data since 1970-01-01T00:00:20\.000Z\): connect ECONNREFUSED/);
  assert.deepEqual(o.failed(40 * S, 'again'), [], 'one event per outage');
  const [back] = o.ok(50 * S);
  assert.deepEqual([back.kind, back.ts, back.attrs], ['collect-resumed', 50 * S, { since: 20 * S, cause: 'failed', backfilled: false }]);
  assert.match(back.detail, /again after 0\.5 min without data \(its polls failed\)/);
  assert.deepEqual(dataGapOf(back), { since: 20 * S, machines: [] }, 'a gap on every machine');
  assert.deepEqual(o.ok(60 * S), [], 'nothing more until the next failure');
  assert.equal(o.failed(70 * S, 'x')[0].attrs?.since, 60 * S);
});

test('a collector that never had data: the failure has no "since"; the gap runs from the first failure', () => {
  const o = new CollectOutage();
  const [failed] = o.failed(10 * S, 'down');
  assert.equal(failed.attrs?.since, undefined);
  assert.doesNotMatch(failed.detail, /no data since/);
  assert.equal(o.ok(30 * S)[0].attrs?.since, 10 * S);
});

test('a collector started after a stop: the gap since the store\'s newest data is told, when longer than a minute', () => {
  const [back] = new CollectOutage(0).ok(600 * S);
  assert.deepEqual(back.attrs, { since: 0, cause: 'not-running', backfilled: false });
  assert.match(back.detail, /after 10\.0 min without data \(flinkscope was not collecting\)/);
  assert.deepEqual(new CollectOutage(0).ok(30 * S), [], 'a restart that missed a poll or two');
  assert.deepEqual(new CollectOutage(-Infinity).ok(30 * S), [], 'an empty store: nothing to tell');
  const b = new CollectOutage(0).ok(600 * S, (since) => since >= 0)[0];
  assert.equal(b.attrs?.backfilled, true, 'a source that read the stretch from its history');
  assert.equal(dataGapOf(b), null, 'no gap left');
});

test('dataGapOf: the end of a stale stretch is a gap on its machine; other events are none', () => {
  assert.deepEqual(dataGapOf(freshEvent('tm-1', 130 * S, 101 * S, 102 * S)), { since: 101 * S, machines: ['tm-1'] });
  assert.equal(dataGapOf(staleEvent('tm-1', 102 * S, 101 * S)), null, 'its start is not the end of a gap');
  assert.equal(dataGapOf({ id: 'f', ts: 0, kind: 'failover', machines: ['tm-1'], detail: '' }), null);
  assert.equal(dataGapOf({ id: 'r', ts: 0, kind: 'collect-resumed', machines: [], detail: '' }), null, 'without its facts: none');
});

test('collectorFailing: the latest outage event decides', () => {
  const o = new CollectOutage();
  o.ok(10 * S);
  const failed = o.failed(20 * S, 'down');
  assert.deepEqual(collectorFailing(failed), { at: 20 * S, since: 10 * S, error: 'down' });
  const back = o.ok(30 * S);
  assert.equal(collectorFailing([...failed, ...back]), null);
  assert.equal(collectorFailing([...back, ...failed]), null, 'by time, not by the order given');
  assert.deepEqual(collectorFailing(new CollectOutage().failed(5 * S, 'never reached')), { at: 5 * S, since: null, error: 'never reached' });
  assert.equal(collectorFailing([]), null);
});
