// A real Apache Kafka broker for tests and bench:fleet (real-components.md): one KRaft node (broker + controller in
// one JVM) from the Maven Central jars in harness/kafka/lib (scripts/build-kafka.sh), a generated server.properties
// in a temporary directory, its storage formatted first, PLAINTEXT and CONTROLLER listeners on free loopback ports.
// stop() ends that JVM (SIGTERM, then SIGKILL after 20 s) and removes the directory.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from '../../src/app/lab/tools.js';

const ROOT = resolve(process.env.FLINKSCOPE_ROOT ?? '.');
const LIB = join(ROOT, 'harness', 'kafka', 'lib');

export interface KafkaBroker {
  /** host:port of the PLAINTEXT listener. */
  broker: string;
  /** The broker JVM's process id. */
  pid: number;
  createTopic(topic: string, partitions: number, config?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

export function buildKafka(): void {
  if (existsSync(join(LIB, 'kafka_2.13-3.9.1.jar'))) return;
  const r = spawnSync('bash', [join(ROOT, 'scripts', 'build-kafka.sh')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('fetching the Kafka broker jars failed (see above)');
}

/** A cluster id as `kafka-storage random-uuid` makes one: 16 random bytes, base64url. Like Kafka's Uuid.randomUuid it
 *  never starts with '-' — one in 64 would, and the storage tool's argument parser reads such an id as an option
 *  ("argument --cluster-id/-t: expected one argument"). */
export function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export async function startKafka(): Promise<KafkaBroker> {
  buildKafka();
  const dir = mkdtempSync(join(tmpdir(), 'flinkscope-kafka-'));
  const port = await freePort();
  const cport = await freePort();
  const props = {
    'process.roles': 'broker,controller', 'node.id': '1', 'controller.quorum.voters': `1@127.0.0.1:${cport}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${cport}`, 'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER', 'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT', 'log.dirs': join(dir, 'data'),
    'num.partitions': '1', 'offsets.topic.replication.factor': '1', 'offsets.topic.num.partitions': '4',
    'transaction.state.log.replication.factor': '1', 'transaction.state.log.min.isr': '1', 'group.initial.rebalance.delay.ms': '0',
    'auto.create.topics.enable': 'false', 'log.flush.interval.messages': '9223372036854775807',
  };
  const cfg = join(dir, 'server.properties');
  writeFileSync(cfg, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  writeFileSync(join(dir, 'log4j.properties'), `log4j.rootLogger=WARN, F\nlog4j.appender.F=org.apache.log4j.FileAppender\nlog4j.appender.F.File=${join(dir, 'broker.log')}\nlog4j.appender.F.layout=org.apache.log4j.PatternLayout\nlog4j.appender.F.layout.ConversionPattern=%d %p %c: %m%n\n`);
  const jvm = ['-Xms256m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`, '-cp', `${LIB}/*`];
  const id = clusterId();
  const fmt = spawnSync('java', [...jvm, 'kafka.tools.StorageTool', 'format', '-t', id, '-c', cfg], { encoding: 'utf8', timeout: 120_000 });
  if (fmt.status !== 0) throw new Error(`formatting the Kafka storage failed: ${(fmt.stderr || fmt.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  const proc: ChildProcess = spawn('java', [...jvm, 'kafka.Kafka', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => { err = (err + d).slice(-4000); });
  let exited = false;
  proc.on('exit', () => { exited = true; });
  const broker = `127.0.0.1:${port}`;
  const kafka = new Kafka({ clientId: 'flinkscope-test', brokers: [broker], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  const stop = async (): Promise<void> => {
    if (!exited) {
      const gone = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      await gone;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // ready = the admin client lists topics
  const until = Date.now() + 90_000;
  for (;;) {
    if (exited) { await stop(); throw new Error(`the Kafka broker exited during start: ${err.trim().split('\n').slice(-3).join(' | ')}`); }
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.listTopics();
      await admin.disconnect();
      break;
    } catch {
      await admin.disconnect().catch(() => {});
      if (Date.now() > until) { await stop(); throw new Error('the Kafka broker did not become ready within 90 s'); }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return {
    broker,
    pid: proc.pid!,
    async createTopic(topic: string, partitions: number, config: Record<string, string> = {}): Promise<void> {
      const admin = kafka.admin();
      await admin.connect();
      try {
        await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries: Object.entries(config).map(([name, value]) => ({ name, value })) }] });
      } finally {
        await admin.disconnect();
      }
    },
    stop,
  };
}
