// Samples over Apache Kafka (docs/scale.md): `collect --to kafka://HOST:PORT/TOPIC` publishes, `watch --from …
// --group NAME` consumes (src/app/fleet.ts). One message per (machine, scrape time), keyed by the machine, so a
// machine's samples stay in order in one partition and the partition — hence the worker — owning a machine is
// fixed by the key: Kafka's default partitioner (murmur2 of the key, Java client compatible), computed here by
// `partitionOf` for machines that have no message in flight.
//
// Wire format, version 1 (JSON, UTF-8; header `flinkscope-schema: 1`):
//   {"v":1,"machine":"tm-1","ts":1700000000000,"metrics":{"cpu_load":0.5,…},
//    "jobs":[{"job":"orders","operator":"map","metric":"busy_ms_per_s","value":12}],   (optional: per-job samples)
//    "placement":["orders","clicks"]}                                                    (optional: jobs on the machine)
// Values are finite float64 JSON numbers (a gap is left out, never 0). A reader refuses any other version or shape
// with a WireError naming what is wrong; nothing is guessed.
import { Kafka, Partitioners, logLevel, type Producer } from 'kafkajs';
import type { Sample } from '../core/sample.js';

export const WIRE_VERSION = 1;
export const SCHEMA_HEADER = 'flinkscope-schema';

export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

/** What one message carries: the samples of one machine at one time, and optionally its job placement. */
export interface WireRecord {
  machine: string;
  ts: number;
  samples: Sample[];
  placement?: string[];
}

/** A parsed kafka://host:port[,host:port…]/topic. */
export interface KafkaLocation {
  brokers: string[];
  topic: string;
}

export function parseKafkaUrl(url: string): KafkaLocation {
  const m = /^kafka:\/\/([^/?#]+)\/([A-Za-z0-9._-]{1,249})$/.exec(url.trim());
  if (!m) throw new WireError(`'${url}' is not kafka://HOST:PORT[,HOST:PORT…]/TOPIC (topic: letters, digits, '.', '_', '-')`);
  const brokers = m[1].split(',');
  for (const b of brokers) {
    const hp = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(b);
    if (!hp || Number(hp[2]) < 1 || Number(hp[2]) > 65535) throw new WireError(`'${b}' in ${url} is not HOST:PORT`);
  }
  return { brokers, topic: m[2] };
}

/** Samples → one record per (machine, ts), in time order per machine (first value of a metric wins, as in the store). */
export function toRecords(samples: Sample[], placement: Record<string, string[]> = {}): WireRecord[] {
  const by = new Map<string, Map<number, Sample[]>>();
  for (const s of samples) {
    if (!Number.isFinite(s.value) || !Number.isFinite(s.ts)) continue;
    const ts = Math.round(s.ts);
    const m = by.get(s.machine) ?? by.set(s.machine, new Map()).get(s.machine)!;
    (m.get(ts) ?? m.set(ts, []).get(ts)!).push({ ...s, ts });
  }
  const out: WireRecord[] = [];
  for (const [machine, m] of by) {
    const times = [...m.keys()].sort((a, b) => a - b);
    times.forEach((ts, k) => out.push({ machine, ts, samples: m.get(ts)!, ...(k === times.length - 1 && placement[machine] ? { placement: placement[machine] } : {}) }));
  }
  return out;
}

export function encodeRecord(r: WireRecord): Buffer {
  const metrics: Record<string, number> = {};
  const jobs: { job: string; operator: string; metric: string; value: number }[] = [];
  for (const s of r.samples) {
    if (s.job !== undefined) jobs.push({ job: s.job, operator: s.operator ?? '', metric: s.metric, value: s.value });
    else if (!(s.metric in metrics)) metrics[s.metric] = s.value;
  }
  return Buffer.from(JSON.stringify({ v: WIRE_VERSION, machine: r.machine, ts: r.ts, metrics, ...(jobs.length ? { jobs } : {}), ...(r.placement ? { placement: r.placement } : {}) }));
}

const isName = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= 1024;
const isValue = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** A message's bytes → its record; `where` (topic/partition@offset) names the message in errors. */
export function decodeRecord(value: Buffer | null, where: string): WireRecord {
  if (value === null || value.length === 0) throw new WireError(`${where}: empty message`);
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(value.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new WireError(`${where}: not JSON (${JSON.stringify(value.subarray(0, 40).toString('utf8'))}…)`);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new WireError(`${where}: not a JSON object`);
  if (o.v !== WIRE_VERSION) throw new WireError(`${where}: wire format version ${JSON.stringify(o.v)}; this flinkscope reads version ${WIRE_VERSION}`);
  if (!isName(o.machine)) throw new WireError(`${where}: 'machine' must be a non-empty string`);
  if (!(typeof o.ts === 'number' && Number.isSafeInteger(o.ts))) throw new WireError(`${where}: 'ts' must be an integer epoch ms (got ${JSON.stringify(o.ts)})`);
  const machine = o.machine;
  const ts = o.ts;
  if (typeof o.metrics !== 'object' || o.metrics === null || Array.isArray(o.metrics)) throw new WireError(`${where}: 'metrics' must be an object of metric → number`);
  const samples: Sample[] = [];
  for (const [metric, value] of Object.entries(o.metrics as Record<string, unknown>)) {
    if (!isValue(value)) throw new WireError(`${where}: metric '${metric}' of ${machine} is ${JSON.stringify(value)}, not a finite number`);
    samples.push({ machine, ts, metric, value });
  }
  if (o.jobs !== undefined) {
    if (!Array.isArray(o.jobs)) throw new WireError(`${where}: 'jobs' must be an array`);
    for (const j of o.jobs as Record<string, unknown>[]) {
      if (!(j && isName(j.job) && typeof j.operator === 'string' && isName(j.metric) && isValue(j.value))) throw new WireError(`${where}: a 'jobs' entry must be {job, operator, metric, value: finite number} (got ${JSON.stringify(j).slice(0, 80)})`);
      samples.push({ machine, ts, metric: j.metric, value: j.value, job: j.job, operator: j.operator });
    }
  }
  let placement: string[] | undefined;
  if (o.placement !== undefined) {
    if (!(Array.isArray(o.placement) && o.placement.every(isName))) throw new WireError(`${where}: 'placement' must be an array of job names`);
    placement = o.placement as string[];
  }
  return { machine, ts, samples, ...(placement ? { placement } : {}) };
}

const defaultPartitioner = Partitioners.DefaultPartitioner();

/** The partition Kafka's default partitioner gives a machine's key among n partitions. */
export function partitionOf(machine: string, n: number): number {
  return defaultPartitioner({ topic: '', partitionMetadata: Array.from({ length: n }, (_, i) => ({ partitionErrorCode: 0, partitionId: i, leader: 0, replicas: [0], isr: [0] })), message: { key: machine, value: null } });
}

/** A client whose own errors (most are retried: a coordinator still loading, a leader moving) are one stderr line
 *  each, not kafkajs's JSON on stdout. */
export function kafkaClient(brokers: string[], clientId: string): Kafka {
  return new Kafka({
    clientId, brokers, logLevel: logLevel.ERROR, retry: { retries: 8, initialRetryTime: 200 },
    logCreator: () => ({ log }) => { process.stderr.write(`kafka (${clientId}): ${log.message}${typeof log.error === 'string' ? `: ${log.error}` : ''}\n`); },
  });
}

/** Publishes samples to a topic: one message per (machine, ts), keyed by machine, acknowledged by all in-sync
 *  replicas, idempotent producer (a retried send is not duplicated in the log). */
export class KafkaSink {
  private readonly producer: Producer;
  private connected = false;

  constructor(readonly location: KafkaLocation, clientId = 'flinkscope-collect') {
    this.producer = kafkaClient(location.brokers, clientId).producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  }

  /** Sends a batch; returns how many samples were published. */
  async send(samples: Sample[], placement: Record<string, string[]> = {}): Promise<number> {
    const records = toRecords(samples, placement);
    if (records.length === 0) return 0;
    if (!this.connected) {
      await this.producer.connect();
      this.connected = true;
    }
    await this.producer.send({
      topic: this.location.topic, acks: -1,
      messages: records.map((r) => ({ key: r.machine, value: encodeRecord(r), timestamp: String(Date.now()), headers: { [SCHEMA_HEADER]: String(WIRE_VERSION) } })),
    });
    return records.reduce((n, r) => n + r.samples.length, 0);
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
    this.connected = false;
  }
}
