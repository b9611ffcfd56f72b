// The Kafka wire format (version 1): samples grouped one message per (machine, ts), encoded and decoded without
// loss (float64 exact, per-job samples, placement), every malformed message refused with an error naming it and what
// is wrong; kafka:// locations parsed strictly; the machine → partition map is Kafka's default partitioner.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRecord, encodeRecord, parseKafkaUrl, partitionOf, toRecords, WireError } from '../../../src/collect/kafka.js';
import type { Sample } from '../../../src/core/sample.js';

describe('kafka wire format', () => {
  it('groups samples per (machine, ts) in time order and round-trips them exactly', () => {
    const s: Sample[] = [
      { machine: 'tm-1', ts: 2000, metric: 'cpu', value: 0.1 },
      { machine: 'tm-1', ts: 1000, metric: 'cpu', value: 123456789.12345679 },
      { machine: 'tm-1', ts: 1000, metric: 'heap', value: 1e300 },
      { machine: 'tm-1', ts: 1000, metric: 'cpu', value: 99 }, // second value of a metric: the first wins, as in the store
      { machine: 'tm-1', ts: 1000, metric: 'busy', value: 7, job: 'orders', operator: 'map' },
      { machine: 'tm-2', ts: 1000, metric: 'cpu', value: NaN }, // a gap is never sent
    ];
    const recs = toRecords(s, { 'tm-1': ['orders'] });
    assert.deepEqual(recs.map((r) => [r.machine, r.ts]), [['tm-1', 1000], ['tm-1', 2000]]);
    assert.deepEqual(recs[1].placement, ['orders'], 'placement rides on the newest message of the machine');
    const back = decodeRecord(encodeRecord(recs[0]), 't/0@0');
    assert.deepEqual(back.samples, [
      { machine: 'tm-1', ts: 1000, metric: 'cpu', value: 123456789.12345679 },
      { machine: 'tm-1', ts: 1000, metric: 'heap', value: 1e300 },
      { machine: 'tm-1', ts: 1000, metric: 'busy', value: 7, job: 'orders', operator: 'map' },
    ]);
    assert.equal(JSON.parse(encodeRecord(recs[0]).toString()).v, 1);
  });

  it('refuses malformed messages with one line naming the message and the fault', () => {
    const bad: [string | null, RegExp][] = [
      [null, /t\/3@7: empty message/],
      ['nope', /not JSON/],
      ['[1]', /not a JSON object/],
      ['{"v":2,"machine":"a","ts":1,"metrics":{}}', /version 2; this flinkscope reads version 1/],
      ['{"v":1,"machine":"","ts":1,"metrics":{}}', /'machine' must be a non-empty string/],
      ['{"v":1,"machine":"a","ts":1.5,"metrics":{}}', /'ts' must be an integer epoch ms/],
      ['{"v":1,"machine":"a","ts":1,"metrics":{"cpu":"0x10"}}', /metric 'cpu' of a is "0x10", not a finite number/],
      ['{"v":1,"machine":"a","ts":1,"metrics":{"cpu":null}}', /not a finite number/],
      ['{"v":1,"machine":"a","ts":1,"metrics":[]}', /'metrics' must be an object/],
      ['{"v":1,"machine":"a","ts":1,"metrics":{},"jobs":[{"job":"j"}]}', /a 'jobs' entry must be/],
      ['{"v":1,"machine":"a","ts":1,"metrics":{},"placement":[1]}', /'placement' must be an array of job names/],
    ];
    for (const [v, re] of bad) assert.throws(() => decodeRecord(v === null ? null : Buffer.from(v), 't/3@7'), (e: Error) => e instanceof WireError && re.test(e.message) && e.message.startsWith('t/3@7'), String(v));
  });

  it('parses kafka:// locations strictly', () => {
    assert.deepEqual(parseKafkaUrl('kafka://127.0.0.1:9092/samples'), { brokers: ['127.0.0.1:9092'], topic: 'samples' });
    assert.deepEqual(parseKafkaUrl('kafka://a:1,b.example:9093/flink.metrics-v1'), { brokers: ['a:1', 'b.example:9093'], topic: 'flink.metrics-v1' });
    for (const u of ['http://a:1/t', 'kafka://a/t', 'kafka://a:1', 'kafka://a:1/', 'kafka://a:99999/t', 'kafka://a:1/t/x', 'kafka://a:1/t?x=1']) assert.throws(() => parseKafkaUrl(u), WireError, u);
  });

  it('maps machines to partitions as Kafka\'s default partitioner does: stable, spread, within range', () => {
    const counts = new Array(6).fill(0);
    for (let m = 0; m < 600; m++) {
      const p = partitionOf(`tm-${m}`, 6);
      assert.ok(Number.isInteger(p) && p >= 0 && p < 6);
      assert.equal(partitionOf(`tm-${m}`, 6), p, 'the same key, the same partition');
      counts[p]++;
    }
    assert.ok(Math.min(...counts) > 60, `spread over the partitions: ${counts}`);
  });
});
