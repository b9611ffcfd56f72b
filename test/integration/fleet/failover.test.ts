// Fleet failover with the real parts: a Kafka broker (KRaft) and a PostgreSQL server of the test's own, three
// `flinkscope watch --from kafka://… --group …` worker processes of the real CLI, and a stream of 200 machines × 90
// scrapes with injected hotspots published the way `collect --to` publishes. One worker — the one holding the most
// partitions — is killed with SIGKILL mid-stream. The store must then hold every (machine, timestamp) scored exactly
// once (a trigger counts every write to the scores table, so an overwrite is seen, not hidden by the upsert), every
// injected hotspot exactly one incident (and no other incident), one 'open' alert per incident, a poison message
// reported and skipped, and scoring of the dead worker's partitions resumed within a bound after the kill.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresStore } from '../../../src/store/postgres.js';
import { createDetector } from '../../../src/detectors/index.js';
import { KafkaSink, SCHEMA_HEADER, decodeRecord, kafkaClient, partitionOf } from '../../../src/collect/kafka.js';
import type { Sample } from '../../../src/core/sample.js';
import { startPostgres, type Postgres } from '../../helpers/postgres.js';
import { startKafka, type KafkaBroker } from '../../helpers/kafka.js';
import { receiver } from '../../helpers/webhook.js';

const ROOT = process.env.FLINKSCOPE_ROOT ?? '.';
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'flinkscope-fleet-'));
const T0 = 1.7e12;
const at = (i: number): number => T0 + i * 60_000;
const MACHINES = 200;
const ROUNDS = 90;
const PARTITIONS = 6;
const TOPIC = 'samples';
const KILL_AT = 32;
const machine = (m: number): string => `tm-${String(m).padStart(3, '0')}`;
/** Injected hotspots: every 10th machine (offset 3), one per machine, at three moments — before, across and after
 *  the kill. */
const hotspots = Array.from({ length: MACHINES }, (_, m) => m).filter((m) => m % 10 === 3).map((m) => ({ machine: machine(m), from: 24 + (m % 3) * 14, to: 24 + (m % 3) * 14 + 8 }));

function scrape(m: number, i: number): Sample[] {
  const h = hotspots.some((x) => x.machine === machine(m) && i >= x.from && i < x.to) ? 8 : 0;
  return [
    { ts: at(i), machine: machine(m), metric: 'cpu_load', value: Math.sin(i / 9 + m) + ((i * 7 + m) % 5) * 0.05 + h },
    { ts: at(i), machine: machine(m), metric: 'latency_ms', value: 50 + Math.cos(i / 7 + m) + h * 10 },
  ];
}

interface Worker { proc: ChildProcess; out: string; err: string; assigned: number[]; exited: Promise<number | null> }


function startWorker(model: string, db: string, broker: string, hook: string): Worker {
  const proc = spawn(process.execPath, [CLI, 'watch', '--model', model, '--db', db, '--from', `kafka://${broker}/${TOPIC}`, '--group', 'fleet', '--session-timeout', '6s',
    '--webhook', hook, '--alert-rate', '100000/1m'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const w: Worker = { proc, out: '', err: '', assigned: [], exited: new Promise((r) => proc.on('exit', (c) => r(c))) };
  proc.stdout!.on('data', (d) => {
    w.out += d;
    const all = [...w.out.matchAll(/^ASSIGNED \S+ \[([\d,]*)\]/gm)];
    if (all.length) w.assigned = all[all.length - 1][1].split(',').filter(Boolean).map(Number);
  });
  proc.stderr!.on('data', (d) => (w.err += d));
  return w;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('fleet: three Kafka-group workers over PostgreSQL, one killed mid-stream', { timeout: 300_000 }, () => {
  let pgs: Postgres;
  let kafka: KafkaBroker;
  let db: string;
  const workers: Worker[] = [];
  const others: ChildProcess[] = [];

  before(async () => {
    [pgs, kafka] = await Promise.all([startPostgres(), startKafka()]);
    await kafka.createTopic(TOPIC, PARTITIONS);
    db = await pgs.createDb('fleet');
    const store = await PostgresStore.open(db);
    // a witness of every write to the scores table (insert or overwrite), with its time
    await store.pool.query(`CREATE TABLE score_writes (machine TEXT NOT NULL, ts BIGINT NOT NULL, n INT NOT NULL, first_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (machine, ts));
      CREATE FUNCTION count_score_write() RETURNS trigger AS $$ BEGIN
        INSERT INTO score_writes (machine, ts, n) VALUES (NEW.machine, NEW.ts, 1) ON CONFLICT (machine, ts) DO UPDATE SET n = score_writes.n + 1; RETURN NEW; END $$ LANGUAGE plpgsql;
      CREATE TRIGGER score_writes AFTER INSERT OR UPDATE ON scores FOR EACH ROW EXECUTE FUNCTION count_score_write();`);
    await store.close();
    // the model: z-scores fit on a clean history of one machine
    const hist = Array.from({ length: 200 }, (_, i) => scrape(0, i - 300)).flat();
    const det = createDetector('zscore');
    const values = new Float64Array(hist.length);
    hist.forEach((s, k) => (values[k] = s.value));
    await det.fit({ name: 'tm-000', timestamps: Float64Array.from({ length: 200 }, (_, i) => at(i - 300)), channels: ['cpu_load', 'latency_ms'], values }, { threshold: { rule: 'fixed:6', of: () => 6 } });
    det.save(join(dir, 'z.model'));
  });

  after(async () => {
    for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
    for (const p of others) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await Promise.allSettled([kafka?.stop(), pgs?.stop()]);
  });

  it('scores every (machine, ts) exactly once, raises one incident per hotspot, and resumes after a SIGKILL', async () => {
    const hook = await receiver();
    for (let k = 0; k < 3; k++) workers.push(startWorker(join(dir, 'z.model'), db, kafka.broker, hook.url));
    // wait for a stable group of three members holding all partitions
    const admin = kafkaClient([kafka.broker], 'fleet-test').admin();
    await admin.connect();
    for (const until = Date.now() + 90_000; ;) {
      const g = (await admin.describeGroups(['fleet'])).groups[0];
      const held = workers.flatMap((w) => w.assigned);
      if (g.state === 'Stable' && g.members.length === 3 && new Set(held).size === PARTITIONS && held.length === PARTITIONS) break;
      for (const w of workers) assert.equal(w.proc.exitCode, null, `a worker exited early: ${w.err}`);
      if (Date.now() > until) assert.fail(`the group did not settle: ${g.state}, ${g.members.length} members, held ${held}`);
      await sleep(250);
    }
    await admin.disconnect();

    const sink = new KafkaSink({ brokers: [kafka.broker], topic: TOPIC }, 'fleet-test-producer');
    // a message that is not the wire format: reported by its owner and skipped, never stored
    const raw = kafkaClient([kafka.broker], 'fleet-test-raw').producer();
    await raw.connect();
    await raw.send({ topic: TOPIC, messages: [{ key: machine(7), value: '{"v":2,"machine":"tm-007"}' }] });
    await raw.disconnect();

    // `serve` on the same PostgreSQL while the workers write
    const serve = spawn(process.execPath, [CLI, 'serve', '--db', db, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    others.push(serve);
    const served = new Promise<string>((res, rej) => {
      let o = '';
      serve.stdout!.on('data', (d) => { o += d; const m = /dashboard and API: (http:\/\/127\.0\.0\.1:\d+)\//.exec(o); if (m) res(m[1]); });
      serve.on('exit', (c) => rej(new Error(`serve exited (${c})`)));
    });
    const api = async (path: string): Promise<Record<string, unknown>> => {
      const r = await fetch(`${await served}${path}`);
      assert.equal(r.status, 200, `${path}: ${r.status}`);
      return (await r.json()) as Record<string, unknown>;
    };
    const store = await PostgresStore.open(db);
    let victim: Worker | null = null;
    let killedAt = 0;
    let victimParts: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      await sink.send(Array.from({ length: MACHINES }, (_, m) => scrape(m, i)).flat());
      if (i === KILL_AT) {
        // mid-stream: the worker holding the most partitions, killed while it has work in hand
        victim = workers.reduce((a, b) => (b.assigned.length > a.assigned.length ? b : a));
        victimParts = [...victim.assigned];
        victim.proc.kill('SIGKILL');
        killedAt = Date.now();
      }
      if (i === KILL_AT + 5) assert.equal(typeof (await api('/api/health')).machines, 'number', 'serve answers while the workers write');
      await sleep(150);
    }
    await sink.close();
    assert.ok(victim && victimParts.length > 0);
    assert.equal(await victim.exited, null, 'the victim died of the SIGKILL');

    // wait until everything is scored
    const total = MACHINES * ROUNDS;
    const count = async (): Promise<number> => Number((await store.pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM scores')).rows[0].n);
    for (const until = Date.now() + 120_000; (await count()) < total;) {
      for (const w of workers) if (w !== victim) assert.equal(w.proc.exitCode, null, `a surviving worker exited: ${w.err}`);
      if (Date.now() > until) assert.fail(`only ${await count()} of ${total} scored after 120 s; stderr: ${workers.map((w) => w.err.slice(-500)).join(' | ')}`);
      await sleep(500);
    }
    await sleep(1000); // anything still in flight would show as a second write

    // exactly once: one score per (machine, ts) of the stream, each written once
    const writes = (await store.pool.query<{ n: number; k: number }>('SELECT n, COUNT(*) AS k FROM score_writes GROUP BY n')).rows;
    assert.deepEqual(writes.map((r) => [r.n, r.k]), [[1, total]], 'every (machine, ts) was written exactly once');
    const perMachine = (await store.pool.query<{ machine: string; n: number; a: number; b: number }>('SELECT machine, COUNT(*) AS n, MIN(ts) AS a, MAX(ts) AS b FROM scores GROUP BY machine')).rows;
    assert.equal(perMachine.length, MACHINES);
    for (const r of perMachine) assert.deepEqual([r.n, r.a, r.b], [ROUNDS, at(0), at(ROUNDS - 1)], `${r.machine}: every scrape scored`);

    // one incident per injected hotspot, on its machine, overlapping it; nothing else
    const incidents = (await store.incidents({ limit: 500 })).items;
    for (const h of hotspots) {
      const mine = incidents.filter((x) => x.machine === h.machine && x.onset <= at(h.to) && (x.resolvedAt ?? x.lastSeen) >= at(h.from));
      assert.equal(mine.length, 1, `${h.machine} (hotspot ${h.from}..${h.to}): ${mine.length} incidents (${mine.map((x) => x.id).join(', ')})`);
      assert.match(mine[0].id, new RegExp(`^inc-p${partitionOf(h.machine, PARTITIONS)}-\\d+$`), 'numbered by the partition');
    }
    assert.equal(incidents.length, hotspots.length, `no incident besides the hotspots' (${incidents.map((x) => `${x.id}@${x.machine}`).join(', ')})`);
    const page = await api('/api/incidents?limit=500');
    assert.deepEqual((page.items as { id: string }[]).map((x) => x.id).sort(), incidents.map((x) => x.id).sort(), 'serve shows the incidents the workers wrote');
    assert.equal((await api('/api/health')).machines, MACHINES);
    serve.kill('SIGTERM');
    const opens = (await store.alerts()).filter((a) => a.kind === 'open');
    assert.deepEqual(opens.map((a) => a.incidentId).sort(), incidents.map((x) => x.id).sort(), 'one open alert per incident');
    // each member delivers its own partitions' alerts: every queued alert reaches the webhook (at least once)
    const keys = (await store.alerts()).map((a) => a.key).sort();
    for (const until = Date.now() + 30_000; new Set(hook.ids).size < keys.length && Date.now() < until;) await sleep(200);
    assert.deepEqual([...new Set(hook.ids)].sort(), keys, 'every alert of the outbox was delivered, none other');
    hook.close();

    // the poison message was reported by the worker that held partition of tm-007, and nothing of it was stored
    assert.ok(workers.some((w) => /rejected: .*wire format version 2/.test(w.err)), 'the bad message was reported');

    // the dead worker's partitions were taken over (their fences claimed again) and scoring on them resumed
    for (const p of victimParts) assert.ok(Number(await store.meta(`fleet/${TOPIC}/${p}/fence`)) >= 2, `partition ${p} was claimed by another member`);
    const theirs = Array.from({ length: MACHINES }, (_, m) => machine(m)).filter((x) => victimParts.includes(partitionOf(x, PARTITIONS)));
    const resumed = (await store.pool.query<{ t: Date }>('SELECT MIN(first_at) AS t FROM score_writes WHERE machine = ANY($1) AND first_at > to_timestamp($2 / 1000.0)', [theirs, killedAt])).rows[0].t;
    assert.ok(resumed, 'the dead worker\'s machines were scored after the kill');
    const pause = resumed.getTime() - killedAt;
    console.log(`# fleet failover: partitions [${victimParts}] of the killed worker resumed ${(pause / 1000).toFixed(1)} s after the SIGKILL (session timeout 6 s)`);
    assert.ok(pause < 60_000, `scoring of the dead worker's partitions resumed ${pause} ms after the kill (bound: 60 s)`);
    await store.close();

    // the survivors stop cleanly on SIGTERM (they leave the group)
    for (const w of workers) if (w !== victim) w.proc.kill('SIGTERM');
    for (const w of workers) if (w !== victim) assert.equal(await w.exited, 0, w.err);
  });

  it('collect --file … --to kafka:// publishes wire-format v1 messages keyed by machine, one per scrape', async () => {
    await kafka.createTopic('files', 3);
    const f = join(dir, 'tm-42.csv');
    writeFileSync(f, 'timestamp,bytes,cpu\n1700000000,123456789.25,0.5\n1700000060,7,x\n');
    const r = spawnSync(process.execPath, [CLI, 'collect', '--file', f, '--to', `kafka://${kafka.broker}/files`], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /tm-42\.csv → tm-42: 3 samples published to kafka:\/\/.*\/files/);
    const consumer = kafkaClient([kafka.broker], 'files-reader').consumer({ groupId: 'files-reader' });
    const got: { partition: number; key: string; header: string; rec: ReturnType<typeof decodeRecord> }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: 'files', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ partition, message }) => { got.push({ partition, key: String(message.key), header: String(message.headers?.[SCHEMA_HEADER]), rec: decodeRecord(message.value, 'files') }); } });
    for (const until = Date.now() + 30_000; got.length < 2 && Date.now() < until;) await sleep(100);
    await consumer.disconnect();
    assert.equal(got.length, 2, 'one message per scrape');
    for (const g of got) assert.deepEqual([g.key, g.header, g.partition], ['tm-42', '1', partitionOf('tm-42', 3)]);
    assert.deepEqual(got.map((g) => g.rec.samples), [
      [{ machine: 'tm-42', ts: 1700000000000, metric: 'bytes', value: 123456789.25 }, { machine: 'tm-42', ts: 1700000000000, metric: 'cpu', value: 0.5 }],
      [{ machine: 'tm-42', ts: 1700000060000, metric: 'bytes', value: 7 }],
    ], 'float64 exact; a value that is not a number is a gap, not 0');
  });

  it('a worker reads from the store\'s offsets when the group\'s committed offsets are ahead of them', async () => {
    // the group is empty now; one more scrape is published and the group's offsets are moved past it (as a reset
    // to latest would): a worker that trusted Kafka's offsets would never store or score that scrape (nor see a batch
    // of that partition to notice: it must seek to the store's offsets when the partitions are assigned)
    const sink = new KafkaSink({ brokers: [kafka.broker], topic: TOPIC }, 'fleet-test-producer-2');
    await sink.send(Array.from({ length: MACHINES }, (_, m) => scrape(m, ROUNDS)).flat());
    await sink.close();
    const admin = kafkaClient([kafka.broker], 'fleet-test-admin').admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(TOPIC);
    await admin.setOffsets({ groupId: 'fleet', topic: TOPIC, partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })) });
    await admin.disconnect();
    const w = startWorker(join(dir, 'z.model'), db, kafka.broker, 'http://127.0.0.1:9/unused');
    workers.push(w);
    const store = await PostgresStore.open(db);
    try {
      const n = async (): Promise<number> => Number((await store.pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM scores WHERE ts = $1', [at(ROUNDS)])).rows[0].n);
      for (const until = Date.now() + 90_000; (await n()) < MACHINES;) {
        if (Date.now() > until) assert.fail(`${await n()} of ${MACHINES} machines scored at the new scrape; worker: ${w.err.slice(-600)}`);
        await sleep(300);
      }
      const twice = (await store.pool.query<{ k: number }>('SELECT COUNT(*) AS k FROM score_writes WHERE n > 1')).rows[0].k;
      assert.equal(Number(twice), 0, 'still no (machine, ts) written twice');
    } finally {
      await store.close();
      w.proc.kill('SIGTERM');
      await w.exited;
    }
  });
});
