// Replay: a recorded cluster (a training history and an inspected period) through the product path exactly as `watch`
// runs it — delivered to a store as a collector would deliver it, a model trained on the stored history, the
// inspected period delivered batch by batch (samples, placement, Flink events) and scored by the watcher (alarm
// levels, hysteresis, events' grace periods, enrichment) — and the incidents it raised judged against the labelled
// faults with the incident-level metrics (src/eval/incidents.ts). The demo is one replay; the study replays
// synthetic clusters (and flink-lab recordings) the same way.
import { rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Series } from '../core/series.js';
import type { Sample } from '../core/sample.js';
import type { FlinkEvent } from '../core/event.js';
import type { IncidentRecord } from '../core/incident.js';
import type { TrainProgress } from '../detectors/index.js';
import { median } from '../core/stats.js';
import { incidentMetrics, type Fault, type IncidentMetrics } from '../eval/incidents.js';
import type { ThresholdRule } from '../eval/index.js';
import { SqliteStore } from '../store/sqlite.js';
import type { Store } from '../store/store.js';
import { historyFromStore, trainModel, type Trained } from './train.js';
import { alarmLevels, type AlarmPolicy } from './alarms.js';
import { Watcher, type WatchOptions } from './watch.js';
import { ModelLifecycle, defaultRetrainAfterMs } from './lifecycle.js';

export interface ReplayMachine {
  name: string;
  jobs: string[];
  /** Training history and the inspected period (the same channels; all machines sampled at the same times). */
  train: Series;
  test: Series;
}

export interface ReplayCluster {
  machines: ReplayMachine[];
  /** Further samples (per job / operator) with ts in [from, to), delivered with the machine-level ones. */
  extraSamples?: (from: number, to: number) => Sample[];
  /** Flink events, delivered when they happen. */
  events?: FlinkEvent[];
  /** Faults of the inspected period: page = true for hotspots, false for events that must not page. */
  faults: Fault[];
  /** The cluster's own time scale for the watcher (quiet period, merge gap, event grace), under the caller's
   *  options: a recording that compresses a day into minutes compresses these durations as well. */
  watchDefaults?: WatchOptions;
  /** An incident starting this much before a fault is the same alarm a moment early (default 10 min), on the same
   *  time scale. */
  slackMs?: number;
}

export interface ReplayOptions {
  kind?: string;
  params?: Record<string, unknown>;
  /** Threshold rule of the model (default mad:8). */
  threshold?: ThresholdRule;
  /** How the watcher alarms (a false-alarm budget, or the model's threshold; hysteresis). */
  alarms?: AlarmPolicy;
  watch?: WatchOptions;
  /** Rows per delivery (a collector's batch). Default 30. */
  batch?: number;
  /** Directory for the store and the model artifact (emptied of earlier replay files). */
  dir: string;
  /** A model trained on this cluster's history already (compare alarm policies without retraining). */
  trained?: Trained;
  /** Retrain on the stored history this long after a failover, deploy or rescale, as `watch` does (`--retrain-after`;
   *  src/inspect/lifecycle.ts). Default: defaultRetrainAfterMs of the watcher's event grace; 0: never. */
  retrainAfterEventMs?: number;
  /** An incident starting this much before a fault is the same alarm a moment early. Default 10 min. */
  slackMs?: number;
  provenance?: Record<string, unknown>;
  onTrain?: (p: TrainProgress) => void;
  onDelivery?: (done: number, total: number) => void;
}

/** Warnings ahead of SLO breaches: per hotspot whose machine's metric crossed its limit while (or just after) it ran,
 *  how long before that crossing the product first said when it would happen. */
export interface BreachLead {
  /** Hotspots during which a metric with a limit crossed it. */
  breached: number;
  /** Of those, warned before the crossing (by an incident on the machine carrying an estimate for that metric). */
  warnedAhead: number;
  /** Median warning lead (ms) over the hotspots warned ahead; NaN if none. */
  medianLeadMs: number;
}

export interface ReplayResult {
  store: Store;
  trained: Trained;
  modelPath: string;
  alarmRule: string;
  incidents: IncidentRecord[];
  metrics: IncidentMetrics;
  /** With limits (watch.slo): how far ahead of the breaches the product warned. */
  breach: BreachLead | null;
  /** Wall-clock ms from a delivery's arrival to its committed scores and incidents. */
  latenciesMs: number[];
  /** Models retrained during the replay after a placement event (data time of the last row delivered, the event's kind). */
  retrains: { at: number; event: string }[];
}

/** Machine-level samples of rows [from, to) of each machine's series. */
function rowsOf(machines: { name: string; s: Series }[], from: number, to: number): Sample[] {
  const out: Sample[] = [];
  for (const { name, s } of machines) {
    const C = s.channels.length;
    for (let t = from; t < Math.min(to, s.timestamps.length); t++) {
      for (let c = 0; c < C; c++) {
        const v = s.values[t * C + c];
        if (Number.isFinite(v)) out.push({ ts: s.timestamps[t], machine: name, metric: s.channels[c], value: v });
      }
    }
  }
  return out;
}

export async function replay(c: ReplayCluster, opts: ReplayOptions): Promise<ReplayResult> {
  const o: ReplayOptions = c.watchDefaults ? { ...opts, watch: { ...c.watchDefaults, ...opts.watch } } : opts;
  if (c.machines.length === 0) throw new Error('replay: no machines');
  const first = c.machines[0];
  for (const m of c.machines) {
    if (m.test.timestamps.length !== first.test.timestamps.length || m.test.timestamps.some((t, i) => t !== first.test.timestamps[i])) {
      throw new Error(`replay: '${m.name}' is not sampled at the same times as '${first.name}' in the inspected period`);
    }
  }
  mkdirSync(o.dir, { recursive: true });
  const dbPath = join(o.dir, 'replay.db');
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) rmSync(f, { force: true });
  const store = new SqliteStore(dbPath);
  const placement = Object.fromEntries(c.machines.map((m) => [m.name, m.jobs]));
  const channels = first.train.channels;
  const trainEnd = Math.max(...c.machines.map((m) => m.train.timestamps[m.train.timestamps.length - 1]));
  const testTs = first.test.timestamps;
  const step = testTs.length > 1 ? testTs[1] - testTs[0] : 60_000;
  const events = [...(c.events ?? [])].sort((a, b) => a.ts - b.ts);
  const eventsIn = (from: number, to: number): FlinkEvent[] => events.filter((e) => e.ts >= from && e.ts < to);

  // history, as a collector would have stored it
  await store.insertSamples([...rowsOf(c.machines.map((m) => ({ name: m.name, s: m.train })), 0, Infinity), ...(c.extraSamples?.(-Infinity, trainEnd + 1) ?? [])]);
  await store.insertEvents(eventsIn(-Infinity, trainEnd + 1));
  await store.recordPlacement(placement, trainEnd);
  let trained = o.trained;
  if (!trained) {
    const history = await historyFromStore(store, { to: trainEnd, channels });
    trained = await trainModel({
      history, kind: o.kind ?? 'ccl', params: o.params, threshold: o.threshold, placement: await store.placements(), onProgress: o.onTrain,
      quietMs: o.watch?.resolveAfterMs, minPoints: o.watch?.minPoints, provenance: o.provenance,
    });
  }
  const modelPath = join(o.dir, `${trained.detector.kind}.model`);
  trained.detector.save(modelPath);
  const modelId = await store.addModel(trained.detector.kind, modelPath, { reason: 'replay', to: trainEnd });

  const levels = alarmLevels(trained.detector, o.alarms);
  const batch = o.batch ?? 30;
  const watcher = await Watcher.open(store, trained.detector, levels, modelId, { window: 64, ...o.watch, maxRowsPerStep: batch, startAt: trainEnd });
  const latenciesMs: number[] = [];
  const warnings = new Map<string, { metric: string; at: number }>(); // incident id → its first breach warning
  const tests = c.machines.map((m) => ({ name: m.name, s: m.test }));
  const afterEventMs = o.retrainAfterEventMs ?? defaultRetrainAfterMs(o.watch?.eventGraceMs);
  const life = afterEventMs > 0
    ? new ModelLifecycle(store, {
      kind: trained.detector.kind, params: trained.detector.params as Record<string, unknown>, threshold: o.threshold, modelDir: o.dir,
      quietMs: o.watch?.resolveAfterMs, minPoints: o.watch?.minPoints, policy: { intervalMs: Infinity, historyMs: Infinity, onDrift: false, afterEventMs },
    })
    : null;
  const retrains: { at: number; event: string }[] = [];
  for (let from = 0; from < testTs.length; from += batch) {
    const to = Math.min(from + batch, testTs.length);
    const a = testTs[from];
    const b = to < testTs.length ? testTs[to] : testTs[to - 1] + step;
    const t0 = performance.now();
    await store.insertSamples([...rowsOf(tests, from, to), ...(c.extraSamples?.(a, b) ?? [])]);
    // the first batch also brings the events since the history's last row (a collector stores them as they come,
    // also while no row is delivered: a stale stretch between history and inspection, or the last scrape interval)
    await store.insertEvents(eventsIn(from === 0 ? trainEnd + 1 : a, b));
    await store.recordPlacement(placement, testTs[to - 1]);
    while ((await watcher.step()).progressed) {
      for (const [id, w] of watcher.scorer.breaches) if (!warnings.has(id)) warnings.set(id, { metric: w.metric, at: w.firstWarnedAt });
    }
    const l = await life?.step(channels);
    if (l?.retrained) {
      watcher.swapModel(l.retrained.detector, alarmLevels(l.retrained.detector, o.alarms), l.retrained.id);
      retrains.push({ at: testTs[to - 1], event: l.event?.kind ?? l.decision.reason });
    }
    latenciesMs.push(performance.now() - t0);
    o.onDelivery?.(to, testTs.length);
  }

  const incidents: IncidentRecord[] = [];
  for (let cursor: string | null | undefined; cursor !== null;) {
    const page = await store.incidents({ limit: 500, cursor: cursor ?? undefined });
    incidents.push(...page.items);
    cursor = page.next;
  }
  incidents.reverse(); // oldest first
  const observed = c.machines.map((m) => ({ machine: m.name, from: testTs[0], to: testTs[testTs.length - 1] + step }));
  const metrics = incidentMetrics(incidents.map((i) => ({ machine: i.machine, onset: i.onset, end: i.lastSeen, paged: i.paged, ...(typeof i.pagedAt === 'number' ? { pagedAt: i.pagedAt } : {}), ...(i.paged && i.updates?.length ? { updates: i.updates } : {}), symptom: Boolean(i.symptomOf), afterEffect: Boolean(i.afterEffectOf) })), c.faults, observed, o.slackMs ?? c.slackMs ?? 600_000);
  const breach = o.watch?.slo ? breachLead(c, incidents, warnings, o.watch.slo, o.slackMs ?? c.slackMs ?? 600_000) : null;
  return { store, trained, modelPath, alarmRule: levels.rule, incidents, metrics, breach, latenciesMs, retrains };
}

/** For each hotspot during which (up to `slack` after its end) a limited metric of its machine crossed the limit:
 *  the first crossing vs the first warning for that metric by an incident on that machine overlapping the hotspot. */
function breachLead(c: ReplayCluster, incidents: IncidentRecord[], warnings: Map<string, { metric: string; at: number }>, slo: Record<string, number>, slack: number): BreachLead {
  const leads: number[] = [];
  let breached = 0;
  for (const f of c.faults.filter((x) => x.page)) {
    const m = c.machines.find((x) => x.name === f.machines[0]);
    if (!m) continue;
    const C = m.test.channels.length;
    let first: { metric: string; at: number } | null = null;
    for (const [metric, limit] of Object.entries(slo)) {
      const ch = m.test.channels.indexOf(metric);
      if (ch < 0) continue;
      for (let t = 0; t < m.test.timestamps.length; t++) {
        const ts = m.test.timestamps[t];
        if (ts < f.start || ts > f.end + slack) continue;
        if (m.test.values[t * C + ch] >= limit) {
          if (!first || ts < first.at) first = { metric, at: ts };
          break;
        }
      }
    }
    if (!first) continue;
    breached++;
    const warned = incidents
      .filter((i) => i.machine === m.name && i.onset < f.end && i.lastSeen >= f.start - slack)
      .map((i) => warnings.get(i.id))
      .filter((w): w is { metric: string; at: number } => w !== undefined && w.metric === first!.metric && w.at < first!.at)
      .map((w) => w.at);
    if (warned.length) leads.push(first.at - Math.min(...warned));
  }
  return { breached, warnedAhead: leads.length, medianLeadMs: leads.length ? median(leads) : NaN };
}
