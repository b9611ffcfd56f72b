// `flinkscope watch --from kafka://HOST:PORT/TOPIC --group NAME --db postgres://…`: one member of a Kafka consumer
// group of scoring workers over a shared store (docs/scale.md). Kafka spreads the topic's partitions — hence the
// machines, keyed by name — over the members and moves them when a member joins, leaves or dies.
//
// The guarantee: exactly-once effects in the store, over at-least-once delivery. Per assigned partition the worker
// runs its own Watcher (src/app/watch.ts) restricted to the partition's machines, numbering incidents per partition
// (inc-p<P>-<n>) with its meta keys under fleet/<topic>/<P>/. For each batch it
//   1. stores the batch's samples (idempotent: a re-delivered sample is ignored),
//   2. scores what is new after each machine's cursor, in steps; every step commits scores + scorer state +
//      incidents + outbox + cluster view + the cursor + the batch's next offset in ONE transaction, fenced,
//   3. commits the offset to Kafka too (for lag tools; the store's copy is the one that counts).
// A member that takes a partition over claims its fence (every earlier owner's commits fail from then on), rebuilds
// the Watcher from the store (active incidents, segment state, windows, cursors), skips re-delivered messages below
// the stored offset and seeks back to it when the group's committed offset is ahead. Since a machine's cursor moves
// only in the transaction that writes its scores, no (machine, ts) is scored twice, none is skipped (samples precede
// their scoring, and a machine's samples arrive in order in its one partition), and an incident is opened once: its
// id and its open segment are committed with the step that opened it.
import type { Detector } from '../detectors/index.js';
import type { ThresholdRule } from '../eval/index.js';
import type { Store, StepWrite } from '../store/store.js';
import { FencedError } from '../store/store.js';
import { decodeRecord, kafkaClient, partitionOf, WireError, type KafkaLocation } from '../collect/kafka.js';
import { WebhookAlerter, type AlertConfig } from '../inspect/alerts.js';
import { AlertmanagerAlerter, type AlertmanagerConfig } from '../inspect/alertmanager.js';
import { AlertDispatcher } from './alerts.js';
import { modelInUse } from './run.js';
import { Watcher, type StepResult, type WatchOptions } from './watch.js';

export interface FleetRun {
  store: Store;
  modelPath: string;
  threshold?: ThresholdRule;
  /** A false-alarm budget per machine and day instead of one threshold (src/app/alarms.ts). */
  falseAlarmsPerDay?: number;
  from: KafkaLocation;
  group: string;
  /** This member's name in logs and in Kafka (default: flinkscope-<pid>). */
  clientId?: string;
  watch?: WatchOptions;
  /** Deliver the alerts of this member's partitions (their incidents' ids carry the partition) from the outbox,
   *  every `deliverEveryMs` (default 1 s), one dispatcher per sink, each reading its own sink's rows. The rate limit
   *  is this member's own. */
  webhook?: AlertConfig;
  alertmanager?: AlertmanagerConfig;
  deliverEveryMs?: number;
  /** Kafka session timeout: a member silent this long is taken out and its partitions move. Default 10 s. */
  sessionTimeoutMs?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
  status?: (line: string) => void;
}

export interface FleetSummary {
  batches: number;
  messages: number;
  /** Messages below the stored offset (re-delivered after a takeover), skipped. */
  redelivered: number;
  /** Messages that were not the wire format, reported and skipped. */
  rejected: number;
  scored: number;
  paged: number;
  /** Updates sent: a paged incident rose again while open. */
  updates: number;
  /** Partition takeovers (a Watcher rebuilt from the store). */
  takeovers: number;
  /** Alerts delivered (at least once: a member that dies between a POST and marking it delivered leaves it to the
   *  next owner, which sends it again; receivers de-duplicate by the alert's id). */
  alerts: number;
}

/** One assigned partition's scoring state. */
interface Part {
  watcher: Watcher;
  fence: { key: string; epoch: number };
  /** The next offset whose samples are not yet in the store (-1: none stored yet). */
  offset: number;
  /** Until the first batch is scored: score every machine of the partition (the previous owner may have stored
   *  samples it never scored), and check the group's offset against the store's. */
  first: boolean;
  /** Whether this owner already moved the group's position back to the store's offset. */
  sought?: boolean;
}

const key = (topic: string, p: number, what: string): string => `fleet/${topic}/${p}/${what}`;

export async function runFleetWorker(r: FleetRun): Promise<FleetSummary> {
  const log = r.log ?? ((l: string) => console.log(l));
  const status = r.status ?? (() => {});
  const { topic } = r.from;
  const m = await modelInUse(r.store, r.modelPath, r.threshold, r.falseAlarmsPerDay);
  // the partitions this member has opened (a partition is opened by its first batch after an assignment)
  const mine = (): string[] => [...parts.keys()].map((p) => `inc-p${p}-`);
  const dispatchers = [r.webhook ? new WebhookAlerter(r.webhook) : null, r.alertmanager ? new AlertmanagerAlerter(r.alertmanager) : null]
    .filter((a) => a !== null).map((a) => new AlertDispatcher(r.store, a, { incidentPrefixes: mine }));
  // alerts are queued for the configured sinks (the webhook's rows when none is, as a single watch does)
  const alertSinks = dispatchers.length ? dispatchers.map((d) => d.sink.name) : ['webhook'];
  const kafka = kafkaClient(r.from.brokers, r.clientId ?? `flinkscope-${process.pid}`);
  const admin = kafka.admin();
  await admin.connect();
  let partitions: number;
  try {
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    partitions = md.topics[0].partitions.length;
  } catch (e) {
    throw new Error(`cannot read topic '${topic}' on ${r.from.brokers.join(',')}: ${(e as Error).message}`);
  } finally {
    await admin.disconnect();
  }
  log(`model ${r.modelPath} (${m.detector.kind}, version #${m.modelId}); threshold ${m.threshold.toFixed(4)} (${m.rule}); group ${r.group} on ${topic} (${partitions} partitions)`);
  const sum: FleetSummary = { batches: 0, messages: 0, redelivered: 0, rejected: 0, scored: 0, paged: 0, updates: 0, takeovers: 0, alerts: 0 };
  const parts = new Map<number, Part>();
  const consumer = kafka.consumer({ groupId: r.group, sessionTimeout: r.sessionTimeoutMs ?? 10_000, heartbeatInterval: 1_000, rebalanceTimeout: 30_000, maxWaitTimeInMs: 200, retry: { retries: 10 } });
  // every (re)join: what this member held may have moved in between, so each partition is rebuilt from the store
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    parts.clear();
    const assigned = e.payload.memberAssignment[topic] ?? [];
    log(`ASSIGNED ${topic} [${assigned.join(',')}] (member ${e.payload.memberId})`);
    // read each assigned partition from the store's offset, not the group's (the store is the truth); a partition
    // the store has never seen starts where the group is (the beginning for a new group)
    void (async () => {
      for (const p of assigned) {
        const stored = await r.store.meta(key(topic, p, 'offset'));
        if (stored !== null) consumer.seek({ topic, partition: p, offset: stored });
      }
    })().catch((err: Error) => status(`could not read the stored offsets (the group's are used): ${err.message}`));
  });
  const crashed = new Promise<Error>((res) => consumer.on(consumer.events.CRASH, (e) => { if (!e.payload.restart) res(e.payload.error); }));

  const open = async (p: number): Promise<Part> => {
    const fence = { key: key(topic, p, 'fence'), epoch: await r.store.claim(key(topic, p, 'fence')) };
    const watcher = await Watcher.open(r.store, m.detector as Detector, m.levels, m.modelId, {
      ...(r.watch ?? {}), alertSinks, owns: (machine) => partitionOf(machine, partitions) === p, idPrefix: `inc-p${p}-`, metaPrefix: `fleet/${topic}/${p}/`, fence, startAt: 0,
    });
    const stored = await r.store.meta(key(topic, p, 'offset'));
    sum.takeovers++;
    status(`partition ${p}: taken over at offset ${stored ?? 'start'} (epoch ${fence.epoch})`);
    return { watcher, fence, offset: stored === null ? -1 : Number(stored), first: true };
  };

  const report = (res: StepResult): void => {
    sum.scored += res.scored;
    sum.paged += res.opened.length;
    sum.updates += res.updated.length;
    for (const i of res.opened) log(`OPEN     ${i.id} ${i.machine} ${i.type} since ${new Date(i.onset).toISOString()}`);
    for (const i of res.updated) log(`UPDATE   ${i.id} ${i.machine} ${i.type} rose again while open (last seen ${new Date(i.lastSeen).toISOString()})`);
    for (const i of res.held) log(`HELD     ${i.id} ${i.machine} ${i.type} since ${new Date(i.onset).toISOString()} (within an event's grace period: recorded, not paged)`);
    for (const i of res.resolved) log(`RESOLVED ${i.id} ${i.machine} ${i.type}`);
  };

  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 1,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      if (!isRunning() || isStale() || batch.messages.length === 0) return;
      const p = batch.partition;
      let part = parts.get(p);
      try {
        if (!part) parts.set(p, (part = await open(p)));
        const firstOffset = Number(batch.messages[0].offset);
        if (part.first && part.offset >= 0 && firstOffset > part.offset) {
          // the group's committed offset is past the store's (a reset group, a restored store): the store is the
          // truth, so read from its offset — once; if those messages are gone (retention), say what was lost
          if (!part.sought) {
            part.sought = true;
            status(`partition ${p}: the group's offset ${firstOffset} is past the store's ${part.offset}: reading from the store's`);
            consumer.seek({ topic, partition: p, offset: String(part.offset) });
            return;
          }
          status(`partition ${p}: messages ${part.offset}..${firstOffset - 1} are no longer in the topic: their samples were never stored`);
        }
        const samples = [];
        const placement: Record<string, string[]> = {};
        const machines = new Set<string>();
        let last = -1;
        for (const msg of batch.messages) {
          const off = Number(msg.offset);
          last = off;
          sum.messages++;
          if (off < part.offset) { sum.redelivered++; continue; }
          try {
            const rec = decodeRecord(msg.value, `${topic}/${p}@${off}`);
            if (partitionOf(rec.machine, partitions) !== p) throw new WireError(`${topic}/${p}@${off}: machine ${rec.machine} belongs to partition ${partitionOf(rec.machine, partitions)} (keyed by another partitioner?)`);
            samples.push(...rec.samples);
            machines.add(rec.machine);
            if (rec.placement) placement[rec.machine] = rec.placement;
          } catch (e) {
            if (!(e instanceof WireError)) throw e;
            sum.rejected++;
            status(`rejected: ${e.message}`);
          }
        }
        const next = String(last + 1);
        if (samples.length) await r.store.insertSamples(samples);
        if (Object.keys(placement).length) await r.store.recordPlacement(placement, Date.now());
        // a takeover first catches up on every machine of the partition (the previous owner may have stored samples
        // it never scored); after that only the batch's machines have new rows
        const only = part.first ? undefined : machines;
        let committed = false;
        for (let res = await part.watcher.step(only, { [key(topic, p, 'offset')]: next }); res.progressed; res = await part.watcher.step(only, { [key(topic, p, 'offset')]: next })) {
          committed = true;
          report(res);
          await heartbeat();
          if (!res.more) break;
        }
        if (!committed && Number(next) > part.offset) {
          const w: StepWrite = { scores: [], modelId: null, scorerStates: [], incidents: [], alerts: [], status: [], meta: { [key(topic, p, 'offset')]: next }, fence: part.fence };
          await r.store.commitStep(w);
        }
        part.offset = Math.max(part.offset, Number(next));
        part.first = false;
        resolveOffset(String(last));
        await consumer.commitOffsets([{ topic, partition: p, offset: next }]);
        sum.batches++;
        await heartbeat();
      } catch (e) {
        // the in-memory state may be ahead of the store: rebuild it from the store when the batch comes again
        parts.delete(p);
        if (e instanceof FencedError) {
          status(`partition ${p}: ${e.message} — it moved to another member`);
          return;
        }
        throw e;
      }
    },
  });
  const stopped = new Promise<void>((res) => {
    if (r.signal?.aborted) res();
    r.signal?.addEventListener('abort', () => res(), { once: true });
  });
  let done = false;
  const delivering = (async () => {
    if (!dispatchers.length) return;
    while (!done) {
      for (const dispatcher of dispatchers) {
        try {
          const d = await dispatcher.deliver();
          sum.alerts += d.delivered;
          for (const e of d.errors) status(`${dispatcher.sink.name} alert failed (will retry): ${e}`);
        } catch (e) {
          status(`${dispatcher.sink.name} alert delivery failed (will retry): ${(e as Error).message}`);
        }
      }
      await Promise.race([new Promise((res) => setTimeout(res, r.deliverEveryMs ?? 1000)), stopped]);
    }
  })();
  const outcome = await Promise.race([stopped.then(() => null), crashed]);
  done = true;
  await delivering;
  await consumer.disconnect().catch(() => {});
  if (outcome) throw new Error(`the Kafka consumer stopped: ${outcome.message}`);
  return sum;
}
