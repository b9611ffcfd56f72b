// `flinkscope watch` as a loop the CLI only configures: optionally collect from a source into the store (from Flink
// also the job graphs and the job-state checks' events), score what is new (in fixed-size transactional steps until
// caught up), capture evidence for new incidents in the background, deliver due alerts from the outbox to each sink
// (webhook, Alertmanager; open incidents re-posted to Alertmanager), run the model life-cycle, sleep until the next
// tick. Stops on the signal or after `ticks`.
import type { Detector } from '../detectors/index.js';
import { loadDetector } from '../detectors/index.js';
import type { ThresholdRule } from '../eval/index.js';
import type { AlarmLevels } from '../inspect/levels.js';
import { alarmLevels, displayThreshold } from './alarms.js';
import type { Store, RetentionPolicy } from '../store/store.js';
import { WebhookAlerter, type AlertConfig } from '../inspect/alerts.js';
import { AlertmanagerAlerter, type AlertmanagerConfig } from '../inspect/alertmanager.js';
import type { CheckOptions } from '../inspect/checks.js';
import { FlinkEvidenceSource, FlinkGraphSource } from '../collect/index.js';
import { CollectPollError, StoreCollector, type PollOutcome, type SourceSpec } from './collect.js';
import { AlertDispatcher } from './alerts.js';
import { EvidenceCollector, type EvidenceOptions } from './evidence.js';
import { JobStateWatcher } from './jobstate.js';
import { ModelLifecycle } from './lifecycle.js';
import { Watcher, type StepResult, type WatchOptions } from './watch.js';

export interface WatchRun {
  store: Store;
  modelPath: string;
  /** Re-threshold the model with this rule (applied to the training-score sample kept in its artifact). */
  threshold?: ThresholdRule;
  /** A false-alarm budget in pages per machine-day instead (per-machine thresholds from the artifact's tails). */
  falseAlarmsPerDay?: number;
  source?: SourceSpec;
  intervalMs: number;
  /** Stop after this many ticks (default: until the signal). */
  ticks?: number;
  webhook?: AlertConfig;
  /** Alerts to Alertmanager as well (or instead): its own outbox rows, open incidents re-posted every resendMs. */
  alertmanager?: AlertmanagerConfig;
  /** With a Flink source: the job-state checks' settings, and the evidence captured at an incident's onset (false:
   *  none). Job graphs are collected with it either way (the root cause needs them). */
  checks?: CheckOptions;
  evidence?: EvidenceOptions | false;
  /** The model life-cycle: retrain every `everyMs` (and earlier on drift), and/or `afterEventMs` after a failover,
   *  deploy or rescale that came after the model's history (src/inspect/lifecycle.ts PLACEMENT_EVENTS); on
   *  `historyMs` of history; new versions go to `modelDir`. */
  retrain?: { everyMs?: number; afterEventMs?: number; historyMs: number; modelDir: string };
  /** Retention, applied at the first tick and then every `everyMs` of wall time, by DATA time (the newest sample):
   *  older than retainMs deleted, older than rawMs rolled up into bucketMs means. */
  retention?: RetentionPolicy & { everyMs: number };
  watch?: WatchOptions;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Progress lines (stderr). */
  status?: (line: string) => void;
}

export interface WatchSummary {
  ticks: number;
  polls: number;
  failedPolls: number;
  /** Samples the source delivered over the whole run (none at all: a failed watch). */
  collected: number;
  scored: number;
  paged: number;
  /** Updates sent: a paged incident rose again while open. */
  updates: number;
  resolved: number;
  /** Events the job-state checks raised. */
  events: number;
}

/** The model to watch with: its artifact, its alarm levels (its threshold, a rule's over its training scores, or a
 *  false-alarm budget over its per-machine tails), its version id. */
export async function modelInUse(store: Store, path: string, rule?: ThresholdRule, perDay?: number): Promise<{ detector: Detector; levels: AlarmLevels; threshold: number; rule: string; modelId: number }> {
  const detector = loadDetector(path);
  let levels: AlarmLevels;
  try {
    levels = alarmLevels(detector, { rule, perDay });
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  const latest = await store.latestModel();
  const modelId = latest && latest.path === path ? latest.id : await store.addModel(detector.kind, path, { reason: 'manual' });
  return { detector, levels, threshold: displayThreshold(levels, Object.keys(detector.machineFacts)), rule: levels.rule, modelId };
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> => new Promise((res) => {
  if (signal?.aborted) return res();
  const done = (): void => {
    clearTimeout(t);
    signal?.removeEventListener('abort', done);
    res();
  };
  const t = setTimeout(done, ms);
  signal?.addEventListener('abort', done, { once: true });
});

export async function runWatch(r: WatchRun): Promise<WatchSummary> {
  const log = r.log ?? ((l: string) => console.log(l));
  const status = r.status ?? (() => {});
  const m = await modelInUse(r.store, r.modelPath, r.threshold, r.falseAlarmsPerDay);
  log(`model ${r.modelPath} (${m.detector.kind}, version #${m.modelId}); threshold ${m.threshold.toFixed(4)} (${m.rule}${r.falseAlarmsPerDay !== undefined ? ', per machine: the median shown' : ''})`);
  const am = r.alertmanager ? new AlertmanagerAlerter(r.alertmanager) : null;
  const dispatchers = [r.webhook ? new AlertDispatcher(r.store, new WebhookAlerter(r.webhook)) : null, am ? new AlertDispatcher(r.store, am) : null]
    .filter((d): d is AlertDispatcher => d !== null);
  // alerts are queued for the configured sinks (the webhook's rows when none is, as before)
  const alertSinks = dispatchers.length ? dispatchers.map((d) => d.sink.name) : ['webhook'];
  const watcher = await Watcher.open(r.store, m.detector, m.levels, m.modelId, { ...r.watch, alertSinks });
  const collector = r.source ? new StoreCollector(r.store, r.source, Date.now(), await r.store.newestSample()) : null; // a gap since the last run is told
  const flink = r.source?.flink;
  const jobState = collector ? new JobStateWatcher(r.store, flink ? new FlinkGraphSource(flink, r.source?.http ?? {}) : null, r.checks) : null;
  const evidence = flink && r.evidence !== false ? new EvidenceCollector(r.store, new FlinkEvidenceSource(flink, r.source?.http ?? {}), r.evidence || {}) : null;
  let lastRefresh = -Infinity;
  const rt = r.retrain;
  const life = rt && (rt.everyMs || rt.afterEventMs)
    ? new ModelLifecycle(r.store, {
      kind: m.detector.kind, params: m.detector.params as Record<string, unknown>, threshold: r.threshold, modelDir: rt.modelDir,
      quietMs: r.watch?.resolveAfterMs, minPoints: r.watch?.minPoints,
      policy: { intervalMs: rt.everyMs || Infinity, historyMs: rt.historyMs, onDrift: Boolean(rt.everyMs), afterEventMs: rt.afterEventMs },
    })
    : null;
  const sum: WatchSummary = { ticks: 0, polls: 0, failedPolls: 0, collected: 0, scored: 0, paged: 0, updates: 0, resolved: 0, events: 0 };
  let lastDrift: boolean | null = null;
  let lastRetention = -Infinity;
  while (!r.signal?.aborted && (r.ticks === undefined || sum.ticks < r.ticks)) {
    sum.ticks++;
    let polled: PollOutcome | null = null;
    if (collector) {
      sum.polls++;
      try {
        polled = await collector.poll();
        sum.collected += polled.samples.length;
        for (const e of polled.errors) status(`collect: ${e}`);
        for (const e of polled.events) log(`EVENT    ${e.kind} ${e.job ?? ''} ${e.detail}`);
        sum.events += polled.events.length;
      } catch (e) {
        sum.failedPolls++;
        status(`collect failed (will retry): ${(e as Error).message}`);
        if (e instanceof CollectPollError) {
          for (const ev of e.events) log(`EVENT    ${ev.kind} ${ev.detail}`);
          sum.events += e.events.length;
        }
      }
    }
    if (jobState) {
      const j = await jobState.tick(polled?.lag ?? []);
      for (const e of j.errors) status(`job graphs: ${e}`);
      for (const e of j.events) log(`EVENT    ${e.kind} ${e.job ?? ''} ${e.detail}`);
      sum.events += j.events.length;
    }
    // catch up in fixed-size steps, each committed on its own
    let res: StepResult;
    do {
      res = await watcher.step();
      sum.scored += res.scored;
      for (const i of res.opened) log(`OPEN     ${i.id} ${i.machine} ${i.type} since ${new Date(i.onset).toISOString()}`);
      for (const i of res.held) log(`HELD     ${i.id} ${i.machine} ${i.type} since ${new Date(i.onset).toISOString()} (within an event's grace period: recorded, not paged)`);
      for (const i of res.updated) log(`UPDATE   ${i.id} ${i.machine} ${i.type} rose again while open (last seen ${new Date(i.lastSeen).toISOString()})`);
      for (const i of res.resolved) log(`RESOLVED ${i.id} ${i.machine} ${i.type}`);
      sum.paged += res.opened.length;
      sum.updates += res.updated.length;
      sum.resolved += res.resolved.length;
      // evidence at the onset, in the background: the next step does not wait for Flink's sampling
      if (evidence && res.created.length) evidence.capture((await Promise.all(res.created.map((i) => r.store.incident(i.id)))).filter((x) => x !== null));
    } while (res.progressed && !r.signal?.aborted);
    for (const d of dispatchers) {
      const out = await d.deliver();
      for (const e of out.errors) status(`${d.sink.name} alert failed (will retry): ${e}`);
    }
    if (am && Date.now() - lastRefresh >= am.resendMs) {
      // Alertmanager ends an alert that is not re-sent: keep the open ones firing
      try {
        await am.refresh(await r.store.activeIncidents());
        lastRefresh = Date.now();
      } catch (e) {
        status(`alertmanager refresh failed (will retry): ${(e as Error).message}`);
      }
    }
    if (r.retention && Date.now() - lastRetention >= r.retention.everyMs) {
      lastRetention = Date.now();
      const newest = await r.store.newestSample();
      if (Number.isFinite(newest)) {
        const x = await r.store.applyRetention(newest, r.retention);
        if (x.deletedSamples || x.rolledUpSamples) log(`RETAIN   ${x.deletedSamples} samples older than ${Math.round(r.retention.retainMs / 86_400_000)} d deleted, ${x.rolledUpSamples} rolled up; ${x.deletedScores} scores, ${x.deletedEvents} events, ${x.deletedIncidents} resolved incidents deleted`);
      }
    }
    status(`tick ${sum.ticks}: scored ${sum.scored} samples so far; open incidents ${watcher.tracker.incidents.filter((i) => i.state !== 'resolved').length}`);
    if (life) {
      const l = await life.step(watcher.channels);
      if (l.drift && l.drift.drifted !== lastDrift) {
        log(`DRIFT    ${l.drift.drifted ? 'score distribution shifted' : 'no drift'}: KS ${l.drift.ks.toFixed(3)} (critical ${l.drift.critical.toFixed(3)}), median ${l.drift.trainMedian.toFixed(3)} → ${l.drift.recentMedian.toFixed(3)}`);
        lastDrift = l.drift.drifted;
      }
      if (l.retrained) {
        watcher.swapModel(l.retrained.detector, alarmLevels(l.retrained.detector, { rule: r.threshold, perDay: r.falseAlarmsPerDay }), l.retrained.id);
        const why = l.event ? `after the ${l.event.kind} at ${new Date(l.event.ts).toISOString()} (${l.event.detail})` : l.decision.reason;
        log(`RETRAIN  ${why}: model #${l.retrained.id} on ${l.retrained.series} machines (${Math.round(l.retrained.trainMs)} ms), threshold ${l.retrained.threshold.toFixed(3)} → ${l.retrained.path}`);
        lastDrift = null;
      }
    }
    if (r.ticks !== undefined && sum.ticks >= r.ticks) break;
    await sleep(r.intervalMs, r.signal);
  }
  // a stopped watch ends its captures (stored as unfinished); a run that ran its ticks lets them finish
  if (evidence) await (r.signal?.aborted ? evidence.close() : evidence.idle());
  return sum;
}
