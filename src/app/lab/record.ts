// `flinkscope record`: a labelled hotspot recording from a real Flink cluster. Starts the lab (cluster, Prometheus,
// jobs), warms up, then for `minutes` polls flinkscope's own collectors every scrape interval (Flink REST per
// TaskManager / job / operator, the event collector, placement and checkpoint statistics) while a seeded schedule
// switches real faults on and off inside the jobs (control channel) or kills and restarts a TaskManager. At the end
// it reads Prometheus over the whole span, writes the recording (docs/flink-lab.md) and stops everything it started.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CATALOGUE } from '../../core/catalogue.js';
import { FlinkRestSource } from '../../collect/flink.js';
import { FlinkEventSource } from '../../collect/events.js';
import { PrometheusSource } from '../../collect/prometheus.js';
import { getJson } from '../../collect/http.js';
import type { FlinkEvent } from '../../core/event.js';
import { STALE_REFRESHES, StaleEvents } from '../../core/stale.js';
import { CollectOutage } from '../../core/outage.js';
import type { Sample } from '../../core/sample.js';
import { FLINK_LAB_FORMAT, LAB_METRICS_FETCHER_MS, type LabFault, type LabManifest, type LabPlacement } from '../../data/readers/flinklab.js';
import { writeControl, type ActiveFault } from './control.js';
import { LAB_DAY_MS, SOURCE_PEAKS } from './load.js';
import { startLab, type Lab } from './lab.js';
import { writeRecording, type Table } from './output.js';
import { defaultFaultCount, planSchedule, type PlannedFault } from './schedule.js';
import { vertexFor, type Placement } from './topology.js';
import { requireTool } from './tools.js';

export interface RecordOptions {
  out: string;
  minutes: number;
  seed: number;
  scrapeMs: number;
  taskManagers?: number;
  /** Time between the jobs running and the first recorded row (rates and busy time average over 60 s). */
  warmupMs?: number;
  /** Share of the recording that is the training part (default: defaultTrainShare). */
  trainShare?: number;
  faults?: number;
  failovers?: number;
  /** Replaces the seeded schedule (tests). */
  schedule?: PlannedFault[];
  gzip?: boolean;
  /** Keep the run directory (Flink logs, checkpoints, Prometheus TSDB) under <out>/.run (default: only logs). */
  keepRun?: boolean;
  progress?: (line: string) => void;
  signal?: AbortSignal;
}

export interface RecordResult {
  dir: string;
  manifest: LabManifest;
  faults: LabFault[];
  events: FlinkEvent[];
}

/** Checks the options; throws a one-line error naming the first bad one. */
export function checkRecordOptions(o: RecordOptions): void {
  if (!o.out) throw new Error('--out DIR is required');
  if (!(Number.isFinite(o.minutes) && o.minutes >= 2 && o.minutes <= 24 * 60)) throw new Error(`--minutes must be a number from 2 to 1440, got ${o.minutes}`);
  if (!Number.isInteger(o.seed) || o.seed < 0) throw new Error(`--seed must be a non-negative integer, got ${o.seed}`);
  if (!(o.scrapeMs >= 1000 && o.scrapeMs <= 60_000)) throw new Error(`--scrape must be between 1s and 60s, got ${o.scrapeMs} ms`);
  const tms = o.taskManagers ?? 3;
  if (!Number.isInteger(tms) || tms < 2 || tms > 8) throw new Error(`--task-managers must be an integer from 2 to 8, got ${tms}`);
  for (const k of ['faults', 'failovers'] as const) if (o[k] !== undefined && !(Number.isInteger(o[k]) && o[k]! >= 0)) throw new Error(`--${k} must be a non-negative integer, got ${o[k]}`);
  if (o.trainShare !== undefined && !(o.trainShare > 0 && o.trainShare < 1)) throw new Error(`train share must be in (0, 1), got ${o.trainShare}`);
  if (existsSync(o.out) && readdirSync(o.out).some((f) => f !== '.run')) throw new Error(`--out ${o.out} is not empty: give a new directory`);
}

const clock = (ms: number): string => `${String(Math.floor(ms / 60_000)).padStart(2, '0')}:${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}`;
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((r) => {
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      r();
    };
    const t = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A fault as the recorder tracks it while the recording runs. */
interface Running {
  plan: PlannedFault;
  state: 'pending' | 'on' | 'down' | 'restarting' | 'recovering' | 'done';
  label?: LabFault;
  active?: ActiveFault;
  restart?: Promise<void>;
  /** Failover: the jobs that ran on the killed TaskManager. */
  hitJobs?: string[];
}

/** The default training share: one compressed day of load + 5 % when the recording is long enough to keep 40 % for
 *  judging (35 minutes or more: 0.6 at 35, 0.35 at 60); shorter recordings keep 0.3 and their history holds less than
 *  a day (a detector then meets load levels it never saw — fine for a test recording, weak for a benchmark). */
export function defaultTrainShare(spanMs: number): number {
  const day = (LAB_DAY_MS * 1.05) / spanMs;
  return day <= 0.6 ? Math.max(0.3, day) : 0.3;
}

export async function record(o: RecordOptions): Promise<RecordResult> {
  checkRecordOptions(o);
  requireTool('java', '-version');
  requireTool('mvn', '-v');
  requireTool('prometheus');
  const say = o.progress ?? (() => {});
  const out = resolve(o.out);
  const runDir = join(out, '.run');
  const spanMs = Math.round(o.minutes * 60_000);
  const warmupMs = o.warmupMs ?? 60_000;
  const trainShare = o.trainShare ?? defaultTrainShare(spanMs);
  const counts = defaultFaultCount(o.minutes);
  const taskManagers = o.taskManagers ?? 3;
  const plan = o.schedule ?? planSchedule({ // before the cluster starts: a schedule that does not fit fails at once
    seed: o.seed, spanMs, trainEndMs: Math.round(spanMs * trainShare), taskManagers, parallelism: taskManagers,
    faults: o.faults ?? counts.faults, failovers: o.failovers ?? counts.failovers,
  });
  mkdirSync(runDir, { recursive: true });
  const lab = await startLab({ dir: runDir, taskManagers, seed: o.seed, spanMs: spanMs + warmupMs + 120_000, scrapeMs: o.scrapeMs, progress: say });
  let ok = false;
  try {
    say(`warming up ${Math.round(warmupMs / 1000)} s`);
    await sleep(warmupMs, o.signal);
    const result = await run(lab, o, out, spanMs, trainShare, plan, say);
    ok = true;
    return result;
  } finally {
    await lab.close();
    if (!o.keepRun) for (const d of ['checkpoints', 'prometheus']) rmSync(join(runDir, d), { recursive: true, force: true });
    if (!ok) say(`stopped; logs in ${join(runDir, 'logs')}`);
  }
}

async function run(lab: Lab, o: RecordOptions, out: string, spanMs: number, trainShare: number, plan: PlannedFault[], say: (s: string) => void): Promise<RecordResult> {
  const { cluster } = lab;
  const scrape = o.scrapeMs;
  const start = Math.ceil(Date.now() / scrape) * scrape; // on Prometheus' step grid, so its samples line up
  const end = start + spanMs;
  const trainEnd = start + Math.round(spanMs * trainShare);
  const faults: Running[] = plan.map((p) => ({ plan: p, state: 'pending' }));
  const rest = new FlinkRestSource(cluster.restUrl, { timeoutMs: 5000, retries: 1 }, STALE_REFRESHES * LAB_METRICS_FETCHER_MS);
  const staleEvents = new StaleEvents(); // stale values are left out of the rows; the events say where
  const outage = new CollectOutage(); // a poll of the REST API that failed leaves no row: the events say where
  const eventSource = new FlinkEventSource(cluster.restUrl, { timeoutMs: 5000, retries: 1 });
  const events: FlinkEvent[] = [];
  const seenEvents = new Set<string>();
  const rows: number[] = [];
  const machines = new Map<string, Table>();
  const jobs = new Map<string, Table>();
  const graphs = await lab.watcher.graphs();
  let placement: Placement = await lab.watcher.placement();
  const placements: LabPlacement[] = [{ ts: start, jobs: placement }];
  let lastJobSamples: Sample[] = [];
  let errors = 0;
  let lastError = '';
  const unplanned: LabFault[] = [];
  const skipped: string[] = [];
  const put = (t: Map<string, Table>, machine: string, ts: number, col: string, v: number): void => {
    const table = t.get(machine) ?? t.set(machine, new Map()).get(machine)!;
    (table.get(ts) ?? table.set(ts, new Map()).get(ts)!).set(col, v);
  };
  const known = new Set(cluster.taskManagerIds);
  const store = (ts: number, samples: Sample[]): void => {
    for (const s of samples) {
      if (!known.has(s.machine)) continue; // subtasks waiting for a slot show as '(unassigned)'
      if (s.job === undefined) put(machines, s.machine, ts, s.metric, s.value);
      else put(jobs, s.machine, ts, `${s.job.replace(/\|/g, '_')}|${(s.operator ?? '').replace(/\|/g, '_')}|${s.metric}`, s.value);
    }
  };
  const soFar = (): string => clock(Date.now() - start);
  say(`recording ${o.minutes} min from ${new Date(start).toISOString()} (training part until ${clock(trainEnd - start)}); ${plan.filter((p) => p.kind !== 'failover').length} faults and ${plan.filter((p) => p.kind === 'failover').length} failovers planned`);

  const writeActive = (): void => writeControl(lab.controlFile, faults.filter((f) => f.state === 'on' && f.active).map((f) => f.active!));

  /** The input rate of one subtask of (job, vertex) from the last poll, or a guess from the load profile. */
  const rateOf = (job: string, vertex: string, machine: string): number => {
    const onMachine = (placement[job]?.[vertex] ?? []).filter((m) => m === machine).length || 1;
    const s = lastJobSamples.find((x) => x.machine === machine && x.job === job && x.operator === vertex && x.metric === 'records_in_per_s');
    const guess = (0.6 * (job === 'orders' ? SOURCE_PEAKS['orders-source'] : SOURCE_PEAKS['clicks-source'])) / lab.parallelism;
    return s && s.value / onMachine >= 5 ? s.value / onMachine : guess;
  };

  const startFault = async (f: Running, now: number): Promise<void> => {
    const p = f.plan;
    if (p.kind === 'failover') {
      const tm = `tm-${p.taskManager}`;
      const hit = Object.keys(placement).filter((j) => Object.values(placement[j]).some((ms) => ms.includes(tm)));
      f.hitJobs = hit;
      const killedAt = Date.now(); // before the signal: Flink may notice the loss within milliseconds
      await cluster.killTaskManager(p.taskManager!);
      f.label = { id: p.id, kind: 'failover', page: false, machines: [tm], start: killedAt, end: -1, params: { restartAfterMs: p.strength.restartAfterMs } };
      f.state = 'down';
      say(`${soFar()} ${p.id} failover: killed ${tm} (SIGKILL); restart in ${Math.round(p.strength.restartAfterMs / 1000)} s`);
      return;
    }
    placement = await lab.watcher.placement();
    const vertex = vertexFor(Object.keys(placement[p.job!] ?? {}), p.operator!);
    if (!vertex) throw new Error(`fault ${p.id}: job ${p.job} has no operator ${p.operator} (vertices: ${Object.keys(placement[p.job!] ?? {}).join(', ')})`);
    const machine = placement[p.job!][vertex][p.subtask!];
    if (!known.has(machine)) return; // not deployed right now (a restart in progress): try again at the next tick
    const rate = rateOf(p.job!, vertex, machine);
    const params: Record<string, number> = { ...p.strength };
    if (p.kind === 'hot-udf') params.burnMicros = Math.round(Math.min(20_000, Math.max(200, (p.strength.util * 1e6) / rate)));
    if (p.kind === 'slow-sink') params.sleepMicros = Math.round(Math.min(100_000, Math.max(500, 1e6 / (p.strength.capacity * rate))));
    // state growth: enough bytes per record to add ~targetMB over the fault at the current rate
    if (p.kind === 'state-growth') params.bytesPerRecord = Math.round(Math.min(16_384, Math.max(512, (p.strength.targetMB * 2 ** 20) / (rate * (p.durationMs / 1000)))));
    params.inputPerSec = Math.round(rate * 10) / 10;
    const { rampMs, ...rest } = params;
    f.active = { id: p.id, kind: p.kind, job: p.job!, operator: p.operator!, subtask: p.subtask!, since: now, rampMs: rampMs ?? 0, params: rest };
    f.state = 'on';
    writeActive();
    f.label = { id: p.id, kind: p.kind, page: true, machines: [machine], job: p.job, operator: vertex, subtask: p.subtask, start: Date.now(), end: -1, params };
    say(`${soFar()} ${p.id} ${p.kind} on ${p.job}/${vertex}#${p.subtask} → ${machine} for ${clock(p.durationMs)} (${Object.entries(params).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  };

  const endFault = (f: Running): void => {
    f.state = 'done';
    writeActive();
    f.label!.end = Date.now();
    say(`${soFar()} ${f.plan.id} ${f.plan.kind} off`);
  };

  /** After a failover: every job that ran on the killed TaskManager has restarted, and all tasks run again. */
  const recovered = async (f: Running): Promise<boolean> => {
    try {
      const restarted = await lab.watcher.lastRestart();
      return (f.hitJobs ?? []).every((j) => (restarted[j] ?? 0) >= f.label!.start) && (await lab.watcher.allRunning());
    } catch {
      return false;
    }
  };

  /** Fault transitions due at `now`; failover recovery is checked against the jobs' state. */
  const step = async (now: number): Promise<void> => {
    for (const f of faults) {
      const p = f.plan;
      const at = start + p.atMs;
      if (f.state === 'pending' && now >= at + p.durationMs / 2) {
        f.state = 'done'; // its subtask never got a TaskManager in the first half of its time: left out, and said so
        skipped.push(p.id);
        say(`${soFar()} warning: ${p.id} ${p.kind} skipped: ${p.job}/${p.operator}#${p.subtask} was not running`);
      } else if (f.state === 'pending' && now >= at) await startFault(f, Date.now());
      else if (f.state === 'on' && now >= at + p.durationMs) endFault(f);
      else if (f.state === 'down' && now >= f.label!.start + p.strength.restartAfterMs) {
        f.state = 'restarting';
        f.restart = cluster.restartTaskManager(p.taskManager!).then(() => {
          f.state = 'recovering';
          say(`${soFar()} ${p.id} tm-${p.taskManager} is back; waiting for the jobs to run again`);
        }, (e: Error) => {
          f.state = 'recovering';
          say(`${soFar()} ${p.id} warning: restarting tm-${p.taskManager}: ${e.message}`);
        });
      } else if (f.state === 'recovering' && ((await recovered(f)) || now > f.label!.start + 240_000)) {
        f.state = 'done';
        f.label!.end = Date.now();
        say(`${soFar()} ${p.id} failover over: all tasks running (${clock(f.label!.end - f.label!.start)} after the kill)`);
      }
    }
    // a TaskManager that died without being killed by the schedule: label it (an event), restart it
    for (let i = 1; i <= cluster.taskManagerIds.length; i++) {
      const ours = faults.some((f) => f.plan.taskManager === i && (f.state === 'down' || f.state === 'restarting'));
      if (ours || cluster.taskManagerPid(i) !== undefined) continue;
      const fault: LabFault = { id: `u${unplanned.length + 1}`, kind: 'failover', page: false, machines: [`tm-${i}`], start: now, end: -1, params: { unplanned: 1 } };
      unplanned.push(fault);
      say(`${soFar()} warning: tm-${i} died on its own (see ${cluster.logDir}); restarting it`);
      await cluster.restartTaskManager(i).catch((e: Error) => say(`warning: ${e.message}`));
      fault.end = Date.now();
    }
  };

  let k = 0;
  let lastReport = start;
  let promRestarts = 0;
  for (;;) {
    const ts = start + k * scrape;
    if (ts > end || o.signal?.aborted) break;
    await sleep(ts - Date.now(), o.signal);
    if (o.signal?.aborted) break;
    await step(ts);
    let polled = false;
    try {
      const r = await rest.poll(ts);
      polled = true;
      for (const e of [...outage.ok(ts), ...staleEvents.next(ts, r.stale, (m) => rest.servedSince(m))]) {
        events.push(e);
        say(`${soFar()} event: ${e.detail}`);
      }
      lastJobSamples = r.samples.filter((s) => s.job !== undefined);
      store(ts, r.samples);
      if (r.errors.length) {
        errors += r.errors.length;
        lastError = r.errors[0];
      }
      eventSource.jobsOn = Object.fromEntries(Object.entries(placement).map(([j, ops]) => [j, [...new Set(Object.values(ops).flat())]]));
      const ev = await eventSource.poll(ts);
      for (const e of ev.events) if (!seenEvents.has(e.id)) {
        seenEvents.add(e.id);
        events.push(e);
        say(`${soFar()} event: ${e.detail}`);
      }
      if (k % 5 === 0) {
        const pl = await lab.watcher.placement();
        if (JSON.stringify(pl) !== JSON.stringify(placement)) placements.push({ ts, jobs: pl });
        placement = pl;
      }
      store(ts, await lab.watcher.checkpointSamples(ts, placement));
      rows.push(ts);
    } catch (e) {
      errors++;
      lastError = (e as Error).message;
      if (!polled) for (const ev of outage.failed(ts, lastError)) events.push(ev);
    }
    if (lab.prometheus && !lab.prometheus.running) {
      promRestarts++;
      say(`${soFar()} warning: Prometheus exited (log: ${join(cluster.logDir, 'prometheus.log')}); restarting it on the same port and TSDB`);
      await lab.prometheus.restart().catch((e: Error) => say(`warning: ${e.message}`));
    }
    if (Date.now() - lastReport >= 60_000) {
      lastReport = Date.now();
      const on = faults.filter((f) => f.state !== 'pending' && f.state !== 'done').map((f) => `${f.plan.id} ${f.plan.kind}`);
      say(`${soFar()} / ${clock(spanMs)} · ${rows.length} polls · ${errors} errors${lastError ? ` (last: ${lastError.slice(0, 100)})` : ''} · on: ${on.join(', ') || 'nothing'}`);
    }
    k = Math.max(k + 1, Math.ceil((Date.now() - start) / scrape)); // a slow poll skips ticks rather than bunching rows
  }
  if (o.signal?.aborted) throw new Error('recording interrupted: nothing written');
  for (const f of faults) {
    if (f.state === 'on') endFault(f);
    if (f.restart) await f.restart;
    if (f.label && f.label.end < 0) f.label.end = Date.now();
  }
  writeControl(lab.controlFile, []);

  let prometheusError: string | undefined;
  if (lab.prometheus) {
    say('reading Prometheus over the whole span');
    const promOnly = new Set(CATALOGUE.filter((m) => m.rest === null).map((m) => m.name));
    try {
      const prom = await new PrometheusSource(lab.prometheus.url, { stepMs: scrape, perJob: false, timeoutMs: 30_000 }).range(start, end);
      if (prom.errors.length > 0) say(`warning: Prometheus queries failed: ${prom.errors.join('; ')}`);
      const grid = new Set(rows);
      for (const s of prom.samples) if (promOnly.has(s.metric) && grid.has(s.ts) && known.has(s.machine) && !machines.get(s.machine)?.get(s.ts)?.has(s.metric)) put(machines, s.machine, s.ts, s.metric, s.value);
    } catch (e) {
      prometheusError = (e as Error).message; // the REST data stand on their own: write them, and say what is missing
      say(`warning: no Prometheus columns: ${prometheusError}`);
    }
  }
  const flinkVersion = (await getJson<{ 'flink-version': string }>(`${cluster.restUrl}/config`))['flink-version'];
  const labels = [...faults.map((f) => f.label).filter((l): l is LabFault => !!l), ...unplanned].sort((a, b) => a.start - b.start);
  const manifest = writeRecording(out, {
    manifest: {
      format: FLINK_LAB_FORMAT, flinkVersion, seed: o.seed, scrapeMs: scrape, start, end: rows[rows.length - 1] ?? end, trainEnd,
      taskManagers: cluster.taskManagerIds, slotsPerTaskManager: cluster.slots, jobs: graphs, placement: placements,
      schedule: plan.map((p) => ({ ...p })), load: { ...lab.load },
      recorder: { command: `flinkscope record --minutes ${o.minutes} --seed ${o.seed} --scrape ${scrape / 1000}s --task-managers ${cluster.taskManagerIds.length} --faults ${plan.filter((p) => p.kind !== 'failover').length} --failovers ${plan.filter((p) => p.kind === 'failover').length}`, warmupMs: o.warmupMs ?? 60_000, metricsFetcherMs: LAB_METRICS_FETCHER_MS, polls: rows.length, pollErrors: errors, ...(prometheusError ? { prometheusError } : {}), ...(skipped.length ? { skipped } : {}), ...(promRestarts ? { prometheusRestarts: promRestarts } : {}), node: process.version, recordedAt: new Date().toISOString() },
    },
    faults: labels, events, rows, machines,
    machineColumns: [...CATALOGUE.map((m) => m.name), 'state_bytes'], jobs,
  }, o.gzip ?? true);
  say(`wrote ${out}: ${manifest.taskManagers.length} TaskManagers × ${rows.length} rows, ${labels.length} faults (${labels.filter((l) => l.page).length} paging), ${events.length} events`);
  return { dir: out, manifest, faults: labels, events };
}
