// The demo IS the product path on an embedded store: a bundled synthetic Flink cluster (generated from a seed, no
// download) is delivered to the store as a collector would deliver it — its first half as history, the second half
// batch by batch — a CCL model is trained on the stored history, and the watcher scores each delivery, raising typed,
// enriched incidents and queuing alerts exactly as `watch` does. The result is checked against the generator's
// ground truth; the store is then what `serve` and `report` read.
import { generateCluster, clusterSeries, jobSamples, culpritJob, parseLabSpec, LAB_SPEC_SYNTAX, type GeneratedHotspot, type SyntheticCluster } from '../data/index.js';
import type { TrainProgress } from '../detectors/index.js';
import type { Sample } from '../core/sample.js';
import type { FlinkEvent } from '../core/event.js';
import type { IncidentRecord } from '../core/incident.js';
import type { Fault, IncidentMetrics } from '../eval/incidents.js';
import type { Store } from '../store/store.js';
import type { AlarmPolicy } from './alarms.js';
import type { WatchOptions } from './watch.js';
import { replay, type ReplayCluster, type ReplayResult } from './replay.js';
import { labReplay } from './lab-replay.js';

export interface DemoOptions {
  machines: number;
  days: number;
  seed: number;
  epochs: number;
  /** Directory for the store, the model artifact and the report. */
  out: string;
  /** Rows per delivery (a collector's batch). Default 30. */
  batch?: number;
  /** Detector and parameters (default: CCL as the product ships it). */
  kind?: string;
  params?: Record<string, unknown>;
  alarms?: AlarmPolicy;
  watch?: WatchOptions;
  /** Deliver the cluster's job restarts as Flink events (what a Flink collector records). Default true. */
  events?: boolean;
  onTrain?: (p: TrainProgress) => void;
  onDelivery?: (done: number, total: number) => void;
}

export interface DemoResult {
  store: Store;
  /** The synthetic cluster (absent when the demo replays a flink-lab recording). */
  cluster?: SyntheticCluster;
  /** The recording replayed (`demo --dataset flink-lab:<dir>`). */
  recording?: { dir: string; machines: number; trainRows: number; inspectedRows: number; faults: number; events: number };
  modelPath: string;
  threshold: number;
  thresholdRule: string;
  trainMs: number;
  incidents: IncidentRecord[];
  /** Synthetic only: the generator's ground truth matched against the incidents. */
  truth?: { hotspots: number; found: number; typed: number; falseIncidents: number; jobsBlamed: number; jobsJudged: number; bpNamed: number; bpTotal: number };
  /** Incident-level metrics against the generator's ground truth (restarts as events that must not page). */
  metrics: IncidentMetrics;
  alarmRule: string;
  breach: ReplayResult['breach'];
  /** Wall-clock ms from a delivery's arrival to its committed scores and incidents. */
  latenciesMs: number[];
}

const TYPE_OF: Record<string, string> = { 'slow-rise': 'trend', plateau: 'sustained-high', spike: 'spike', 'level-shift': 'level-shift', backpressure: 'backpressure' };

/** Ground-truth hotspots found by an incident on the same machine that overlaps them (with slack). */
export function matchHotspots(hotspots: GeneratedHotspot[], incidents: { id: string; machine: string; type: string; onset: number; lastSeen: number }[], tsOf: (i: number) => number, slackMs: number): { found: number; typed: number; falseIncidents: number; hits: Map<GeneratedHotspot, string> } {
  let found = 0;
  let typed = 0;
  const used = new Set<string>();
  const hits = new Map<GeneratedHotspot, string>();
  for (const h of hotspots) {
    const a = tsOf(h.start) - slackMs;
    const b = tsOf(h.end - 1) + slackMs;
    // the longest incident overlapping the hotspot speaks for it
    const hit = incidents.filter((i) => i.machine === h.machine && i.onset <= b && i.lastSeen >= a).sort((x, y) => y.lastSeen - y.onset - (x.lastSeen - x.onset))[0];
    if (hit) {
      found++;
      used.add(hit.id);
      hits.set(h, hit.id);
      if (hit.type === TYPE_OF[h.type]) typed++;
    }
  }
  return { found, typed, falseIncidents: incidents.filter((i) => !used.has(i.id)).length, hits };
}

/** A restart's visible effects: the restart itself (5 min) and the catch-up after it. */
const RESTART_MS = 15 * 60_000;

/** The synthetic cluster as a replay: its machines, per-job samples, restarts as Flink events, and its test-period
 *  hotspots (page) and restarts (must not page) as faults. */
export function syntheticReplay(cluster: SyntheticCluster, o: { events?: boolean } = {}): ReplayCluster {
  const step = cluster.options.intervalSec * 1000;
  const tsOf = (i: number): number => cluster.options.t0Ms + i * step;
  const splits = clusterSeries(cluster);
  // per-job samples are generated once per machine over the whole timeline (their noise is one sequence)
  const jobs = cluster.machines.map((m) => jobSamples(cluster, m.name, 0, cluster.T).map((j): Sample => ({ ...j, machine: m.name })));
  const extraSamples = (from: number, to: number): Sample[] => jobs.flatMap((rows) => rows.filter((r) => r.ts >= from && r.ts < to));
  const withEvents = o.events ?? true;
  const events: FlinkEvent[] = withEvents
    ? cluster.machines.flatMap((m) => m.restarts.map((t) => ({ id: `${m.name}:restart:${t}`, ts: tsOf(t), kind: 'restart' as const, job: m.jobs[0], machines: [m.name], detail: `jobs on ${m.name} restarted` })))
    : [];
  const faults: Fault[] = cluster.hotspots.filter((h) => h.split === 'test').map((h, k) => ({ id: `hotspot-${k}`, kind: h.type, machines: [h.machine], start: tsOf(h.start), end: tsOf(h.end), page: true }));
  if (withEvents) for (const e of events) if (e.ts >= tsOf(cluster.trainEnd)) faults.push({ id: e.id, kind: 'restart', machines: e.machines, start: e.ts, end: e.ts + RESTART_MS, page: false });
  return {
    machines: cluster.machines.map((m, i) => ({ name: m.name, jobs: m.jobs, train: splits[i].train, test: splits[i].test })),
    extraSamples, events, faults,
  };
}

export async function runDemo(o: DemoOptions): Promise<DemoResult & Required<Pick<DemoResult, 'cluster' | 'truth'>>> {
  const cluster = generateCluster({ machines: o.machines, days: o.days, seed: o.seed, contamination: 0.1 });
  const step = cluster.options.intervalSec * 1000;
  const tsOf = (i: number): number => cluster.options.t0Ms + i * step;
  const r = await replay(syntheticReplay(cluster, { events: o.events }), {
    dir: o.out, kind: o.kind ?? 'ccl', params: { epochs: o.epochs, maxTrainWindows: 512, patience: o.epochs, ...o.params }, alarms: o.alarms, watch: o.watch, batch: o.batch,
    onTrain: o.onTrain, onDelivery: o.onDelivery,
    provenance: { source: `synthetic:flink?machines=${o.machines}&days=${o.days}&seed=${o.seed}&contamination=0.1`, command: 'demo' },
  });
  const store = r.store;
  const incidents = r.incidents;
  const testHotspots = cluster.hotspots.filter((h) => h.split === 'test');
  const m = matchHotspots(testHotspots, incidents, tsOf, 10 * 60_000);
  // the job that moved most vs the hotspot's culprit job, on found hotspots of machines running several jobs
  let jobsBlamed = 0, jobsJudged = 0;
  for (const [h, id] of m.hits) {
    const jobsHere = cluster.machines.find((mm) => mm.name === h.machine)?.jobs ?? [];
    if (jobsHere.length < 2) continue;
    jobsJudged++;
    if (incidents.find((i) => i.id === id)?.movers[0]?.job === culpritJob(jobsHere, h.start)) jobsBlamed++;
  }
  const bp = testHotspots.filter((h) => h.type === 'backpressure');
  const bpNamed = bp.filter((h) => incidents.some((i) => i.machine === h.machine && i.cause?.machine === h.cause && i.onset <= tsOf(h.end - 1) && i.lastSeen >= tsOf(h.start))).length;
  return {
    store, cluster, modelPath: r.modelPath, threshold: r.trained.detector.threshold, thresholdRule: r.trained.detector.thresholdRule, trainMs: r.trained.trainMs, incidents,
    truth: { hotspots: testHotspots.length, found: m.found, typed: m.typed, falseIncidents: m.falseIncidents, jobsBlamed, jobsJudged, bpNamed, bpTotal: bp.length },
    metrics: r.metrics, alarmRule: r.alarmRule, breach: r.breach,
    latenciesMs: r.latenciesMs,
  };
}

/** The demo on a flink-lab recording (`demo --dataset flink-lab:<dir>`): the recording replayed through the product
 *  path — its training part as history, the rest delivered batch by batch with its per-operator samples and Flink
 *  events — and the incidents judged against the recorded faults (failovers must not page). */
export async function runLabDemo(o: Omit<DemoOptions, 'machines' | 'days' | 'seed' | 'events'> & { dataset: string }): Promise<DemoResult> {
  const lab = parseLabSpec(o.dataset);
  if (!lab) throw new Error(`demo --dataset takes ${LAB_SPEC_SYNTAX}, got '${o.dataset}'`);
  const c = labReplay(lab.dir, lab.train);
  const r = await replay(c, {
    dir: o.out, kind: o.kind ?? 'ccl', params: { epochs: o.epochs, maxTrainWindows: 512, patience: o.epochs, ...o.params }, alarms: o.alarms, watch: o.watch, batch: o.batch ?? 15,
    onTrain: o.onTrain, onDelivery: o.onDelivery,
    provenance: { source: o.dataset, command: 'demo' },
  });
  return {
    store: r.store, modelPath: r.modelPath, threshold: r.trained.detector.threshold, thresholdRule: r.trained.detector.thresholdRule, trainMs: r.trained.trainMs,
    incidents: r.incidents, metrics: r.metrics, alarmRule: r.alarmRule, breach: r.breach, latenciesMs: r.latenciesMs,
    recording: { dir: lab.dir, machines: c.machines.length, trainRows: c.machines[0].train.timestamps.length, inspectedRows: c.machines[0].test.timestamps.length, faults: c.faults.length, events: (c.events ?? []).length },
  };
}
