// `npm run bench:fleet`: scale-out through Kafka and PostgreSQL (docs/scale.md), with the real parts on loopback — a
// Kafka broker (KRaft) and a PostgreSQL of its own (test/helpers), N `flinkscope watch --from kafka://… --group`
// worker processes of the real CLI. Prints JSON lines:
//   reference  one process, SQLite (the embedded default): the same backlog inserted and scored, samples/s
//   produce    the backlog of machines × scrapes published as `collect --to` does: samples/s and CPU of the producer
//   throughput N = 1, 2, 3 workers, joined and idle, then the backlog published to them, consumed until every
//              (machine, ts) is scored in PostgreSQL: samples/s from the first message sent to the last score, and
//              the CPU seconds the workers, PostgreSQL and the Kafka broker spent per 100 000 samples (from /proc;
//              what the 100 000-machine estimate in docs/scale.md is built on — wall-clock rates on 2 shared cores
//              cannot show scale-out)
//   latency    with 3 workers on a live stream (one scrape of every machine per `interval`): produce → incident row
//              for injected hotspots (an incident opens on the 2nd anomalous scrape; clock: the same machine), p50/p99
//   rebalance  one of the 3 workers SIGKILLed mid-stream: time until the scores of its machines move again
// The detector is z-score (cheap): the figures are the plumbing's — Kafka, PostgreSQL, the watcher — not a deep
// model's (bench:inspect measures CCL scoring). All processes share this machine's cores.
// Usage: node dist/bench/fleet.js [machines=1000] [scrapes=30] [metrics=10]
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SqliteStore } from '../src/store/index.js';
import { PostgresStore } from '../src/store/postgres.js';
import { Watcher } from '../src/app/watch.js';
import { createDetector } from '../src/detectors/index.js';
import { KafkaSink, encodeRecord, kafkaClient, partitionOf, toRecords } from '../src/collect/kafka.js';
import { quantile } from '../src/core/stats.js';
import type { Sample } from '../src/core/sample.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { startKafka } from '../test/helpers/kafka.js';

const MACHINES = Number(process.argv[2] ?? 1000);
const SCRAPES = Number(process.argv[3] ?? 30);
const METRICS = Number(process.argv[4] ?? 10);
const PARTITIONS = 6;
const CLI = resolve(process.env.FLINKSCOPE_ROOT ?? '.', 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'flinkscope-bench-fleet-'));
const T0 = Date.UTC(2026, 0, 5);
const STEP = 10_000;
const names = Array.from({ length: METRICS }, (_, k) => `m${String(k).padStart(2, '0')}`);
const machine = (m: number): string => `tm-${String(m).padStart(5, '0')}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const out = (o: Record<string, unknown>): void => console.log(JSON.stringify(o));
const children = new Set<ChildProcess>();
const HZ = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;

/** CPU seconds (user + system) a process has used so far; 0 when it is gone. */
function cpuOf(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / HZ;
  } catch {
    return 0;
  }
}
/** CPU seconds of a process and its live children (the postmaster and its backends). */
function cpuTree(pid: number): number {
  let t = cpuOf(pid);
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const f = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(f.slice(f.lastIndexOf(')') + 2).split(' ')[1]) === pid) t += cpuOf(Number(d));
    } catch { /* gone */ }
  }
  return t;
}
const per100k = (cpu: number, samples: number): number => +((cpu / samples) * 1e5).toFixed(3);
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

/** One scrape of one machine; `hot` adds a hotspot on every metric. */
function scrape(m: number, i: number, hot = false): Sample[] {
  return names.map((metric, k) => ({ ts: T0 + i * STEP, machine: machine(m), metric, value: Math.sin(i / 9 + m + k) + ((i * 7 + m + k) % 5) * 0.05 + (hot ? 8 : 0) }));
}

// the model: z-scores on a clean history, fixed threshold
const det = createDetector('zscore');
{
  const T = 300;
  const values = new Float64Array(T * METRICS);
  for (let i = 0; i < T; i++) scrape(0, i - 1000).forEach((s, k) => (values[i * METRICS + k] = s.value));
  await det.fit({ name: 'x', timestamps: Float64Array.from({ length: T }, (_, i) => T0 + (i - 1000) * STEP), channels: names, values }, { threshold: { rule: 'fixed:6', of: () => 6 } });
}
const modelPath = join(dir, 'z.model');
det.save(modelPath);
const backlog = (): Sample[] => Array.from({ length: SCRAPES }, (_, i) => Array.from({ length: MACHINES }, (_, m) => scrape(m, i)).flat()).flat();
const totalSamples = MACHINES * SCRAPES * METRICS;

// the reference: one process, SQLite
{
  const store = new SqliteStore(join(dir, 'ref.db'));
  const t0 = performance.now();
  const all = backlog();
  for (let i = 0; i < all.length; i += MACHINES * METRICS) await store.insertSamples(all.slice(i, i + MACHINES * METRICS));
  const w = await Watcher.open(store, det, 6, null, {});
  let scored = 0;
  for (let r = await w.step(); r.progressed; r = await w.step()) scored += r.scored;
  const s = (performance.now() - t0) / 1000;
  out({ case: 'reference', impl: 'one process, SQLite', machines: MACHINES, scrapes: SCRAPES, metrics: METRICS, scored, seconds: +s.toFixed(2), samples_per_s: Math.round(totalSamples / s) });
  await store.close();
}

const [pgs, kafka] = await Promise.all([startPostgres(), startKafka()]);
try {
  const admin = kafkaClient([kafka.broker], 'bench-admin').admin();
  await admin.connect();

  interface Worker { proc: ChildProcess; err: string; exited: Promise<number | null>; assigned: number[] }
  const startWorker = (db: string, topic: string, group: string): Worker => {
    const proc = spawn(process.execPath, [CLI, 'watch', '--model', modelPath, '--db', db, '--from', `kafka://${kafka.broker}/${topic}`, '--group', group, '--session-timeout', '6s'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLINKSCOPE_THREADS: '1' } });
    children.add(proc);
    const w: Worker = { proc, err: '', assigned: [], exited: new Promise((r) => proc.on('exit', (c) => { children.delete(proc); r(c); })) };
    let so = '';
    proc.stdout!.on('data', (d) => {
      so += d;
      const all = [...so.matchAll(/^ASSIGNED \S+ \[([\d,]*)\]/gm)];
      if (all.length) w.assigned = all[all.length - 1][1].split(',').filter(Boolean).map(Number);
    });
    proc.stderr!.on('data', (d) => (w.err = (w.err + d).slice(-2000)));
    return w;
  };
  const settle = async (group: string, workers: Worker[]): Promise<void> => {
    for (const until = Date.now() + 120_000; ;) {
      const g = (await admin.describeGroups([group])).groups[0];
      const held = workers.flatMap((w) => w.assigned);
      if (g.state === 'Stable' && g.members.length === workers.length && held.length === PARTITIONS && new Set(held).size === PARTITIONS) return;
      if (Date.now() > until) throw new Error(`group ${group} did not settle: ${workers.map((w) => w.err).join(' | ')}`);
      await sleep(200);
    }
  };
  const size = async (store: PostgresStore): Promise<number> => Number((await store.pool.query<{ n: number }>('SELECT pg_database_size(current_database()) AS n')).rows[0].n);
  const count = async (store: PostgresStore): Promise<number> => Number((await store.pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM scores')).rows[0].n);

  let live: { workers: Worker[]; db: string; topic: string } | null = null;
  for (const N of [1, 2, 3]) {
    const topic = `backlog-${N}`;
    await kafka.createTopic(topic, PARTITIONS);
    const db = await pgs.createDb(`bench${N}`);
    await (await PostgresStore.open(db)).close(); // migrated once, before the workers race to it
    // the workers first, joined and idle on the empty topic (start-up and the group join are not scoring); then
    // the backlog, published as collectors would; the workers consume it while it arrives
    const workers = Array.from({ length: N }, () => startWorker(db, topic, `g${N}`));
    await settle(`g${N}`, workers);
    const store = await PostgresStore.open(db);
    const bytes0 = await size(store);
    const at0 = { workers: workers.reduce((a, w) => a + cpuOf(w.proc.pid!), 0), postgres: cpuTree(pgs.pid), kafka: cpuOf(kafka.pid) };
    const sink = new KafkaSink({ brokers: [kafka.broker], topic }, 'bench-producer');
    const all = backlog();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < all.length; i += MACHINES * METRICS) await sink.send(all.slice(i, i + MACHINES * METRICS));
    const produced = (performance.now() - t0) / 1000;
    const pc = process.cpuUsage(c0);
    await sink.close();
    const msgBytes = toRecords(all.slice(0, MACHINES * METRICS)).reduce((a, r) => a + encodeRecord(r).length, 0) / MACHINES;
    if (N === 1) out({ case: 'produce', impl: 'KafkaSink (collect --to), JSON wire v1, acks=all, idempotent, while 1 worker consumes', machines: MACHINES, scrapes: SCRAPES, metrics: METRICS, seconds: +produced.toFixed(2), samples_per_s: Math.round(totalSamples / produced), producer_cpu_s_per_100k_samples: per100k((pc.user + pc.system) / 1e6, totalSamples), message_bytes: Math.round(msgBytes) });
    const want = MACHINES * SCRAPES;
    for (const until = Date.now() + 600_000; (await count(store)) < want;) {
      if (Date.now() > until) throw new Error(`N=${N}: not scored within 10 min`);
      await sleep(100);
    }
    const done = performance.now();
    const cpu = { workers: workers.reduce((a, w) => a + cpuOf(w.proc.pid!), 0) - at0.workers, postgres: cpuTree(pgs.pid) - at0.postgres, kafka: cpuOf(kafka.pid) - at0.kafka };
    const counted = totalSamples;
    out({
      case: 'throughput', impl: `${N} worker${N > 1 ? 's' : ''}, Kafka + PostgreSQL`, workers: N, partitions: PARTITIONS, machines: MACHINES, scrapes: SCRAPES, metrics: METRICS,
      seconds: +((done - t0) / 1000).toFixed(2), samples_per_s: Math.round(counted / ((done - t0) / 1000)),
      cpu_s: { workers: +cpu.workers.toFixed(2), postgres: +cpu.postgres.toFixed(2), kafka: +cpu.kafka.toFixed(2) },
      cpu_s_per_100k_samples: { workers: per100k(cpu.workers, counted), postgres: per100k(cpu.postgres, counted), kafka: per100k(cpu.kafka, counted) },
      // samples, scores, machine status; before autovacuum (a new database: no dead rows yet)
      store_bytes_per_row: Math.round(((await size(store)) - bytes0) / want),
    });
    await store.close();
    if (N === 3) {
      live = { workers, db, topic };
    } else {
      for (const w of workers) w.proc.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));
    }
  }

  // live stream through the 3 workers: latency produce → incident, then a SIGKILL
  const { workers, db, topic } = live!;
  const store = await PostgresStore.open(db);
  await store.pool.query(`ALTER TABLE incidents ADD COLUMN created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()`);
  const sink = new KafkaSink({ brokers: [kafka.broker], topic }, 'bench-live');
  const ROUNDS = 40;
  const INTERVAL = 1000;
  const KILL = 26;
  const hot = Array.from({ length: Math.min(50, MACHINES) }, (_, k) => ({ m: Math.floor((k * MACHINES) / Math.min(50, MACHINES)), from: 8 + (k % 8), len: 5 }));
  const sentAt = new Map<number, number>();
  const live0 = { workers: workers.map((w) => cpuOf(w.proc.pid!)), postgres: cpuTree(pgs.pid), kafka: cpuOf(kafka.pid), producer: process.cpuUsage(), t: performance.now() };
  let liveCpu: Record<string, number> = {};
  let killedAt = 0;
  let victim: Worker | null = null;
  let lastBefore = 0;
  let theirs: string[] = [];
  const maxTs = async (): Promise<number> => Number((await store.pool.query<{ t: number | null }>('SELECT MAX(last_ts) AS t FROM machine_status WHERE machine = ANY($1)', [theirs])).rows[0].t ?? 0);
  let resumedAt = 0;
  const watchResume = (async () => {
    while (!killedAt) await sleep(20);
    for (const until = Date.now() + 300_000; Date.now() < until; await sleep(50)) if ((await maxTs()) > lastBefore) { resumedAt = Date.now(); return; }
  })();
  for (let r = 0; r < ROUNDS; r++) {
    const i = SCRAPES + r;
    const started = Date.now();
    const batch = Array.from({ length: MACHINES }, (_, m) => scrape(m, i, hot.some((h) => h.m === m && r >= h.from && r < h.from + h.len))).flat();
    await sink.send(batch);
    sentAt.set(T0 + i * STEP, Date.now());
    if (r === KILL) {
      // CPU over the steady part of the stream (before the kill), in cores
      const secs = (performance.now() - live0.t) / 1000;
      const pu = process.cpuUsage(live0.producer);
      liveCpu = {
        workers: +(workers.reduce((a, w, k) => a + cpuOf(w.proc.pid!) - live0.workers[k], 0) / secs).toFixed(3),
        postgres: +((cpuTree(pgs.pid) - live0.postgres) / secs).toFixed(3), kafka: +((cpuOf(kafka.pid) - live0.kafka) / secs).toFixed(3),
        producer_and_bench: +((pu.user + pu.system) / 1e6 / secs).toFixed(3),
      };
      victim = workers.reduce((a, b) => (b.assigned.length > a.assigned.length ? b : a));
      theirs = Array.from({ length: MACHINES }, (_, m) => machine(m)).filter((x) => victim!.assigned.includes(partitionOf(x, PARTITIONS)));
      lastBefore = await maxTs();
      victim.proc.kill('SIGKILL');
      killedAt = Date.now();
    }
    await sleep(Math.max(0, INTERVAL - (Date.now() - started)));
  }
  await sink.close();
  await watchResume;
  const want = MACHINES * (SCRAPES + ROUNDS);
  for (const until = Date.now() + 300_000; (await count(store)) < want && Date.now() < until;) await sleep(200);
  // an incident opens on its 2nd anomalous scrape: latency from that scrape's send to the incident row
  const rows = (await store.pool.query<{ machine: string; onset: number; c: Date }>('SELECT machine, onset, created_at AS c FROM incidents')).rows;
  const lat: number[] = [];
  let missed = 0;
  for (const h of hot.filter((x) => x.from + 1 < KILL)) {
    const inc = rows.find((x) => x.machine === machine(h.m) && x.onset === T0 + (SCRAPES + h.from) * STEP);
    const sent = sentAt.get(T0 + (SCRAPES + h.from + 1) * STEP);
    if (inc && sent) lat.push(inc.c.getTime() - sent);
    else missed++;
  }
  const q = (p: number): number => Math.round(quantile(Float64Array.from(lat), p));
  out({ case: 'latency', impl: '3 workers, Kafka + PostgreSQL', machines: MACHINES, metrics: METRICS, interval_ms: INTERVAL, hotspots: lat.length, missed, p50_ms: q(0.5), p99_ms: q(0.99), max_ms: Math.max(...lat), offered_samples_per_s: Math.round((MACHINES * METRICS * 1000) / INTERVAL), cores_used: liveCpu });
  out({ case: 'rebalance', impl: '3 workers, one SIGKILLed', partitions_moved: victim!.assigned.length, session_timeout_ms: 6000, pause_ms: resumedAt ? resumedAt - killedAt : null, all_scored: (await count(store)) === want });
  await store.close();
  for (const w of workers) if (w !== victim) w.proc.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  await admin.disconnect();
} finally {
  await Promise.allSettled([kafka.stop(), pgs.stop()]);
}
