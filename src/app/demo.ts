// The demo IS the product path on an embedded store: a bundled synthetic Flink cluster (generated from a seed, no
// download) is delivered to the store as a collector would deliver it — its first half as history, the second half
// batch by batch — a CCL model is trained on the stored history, and the watcher scores each delivery, raising typed,
// enriched incidents and queuing alerts exactly as `watch` does. The result is checked against the generator's
// ground truth; the store is then what `serve` and `report` read.
import { rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generateCluster, jobSamples, culpritJob, FLINK_CHANNELS, type GeneratedHotspot, type SyntheticCluster } from '../data/index.js';
import type { TrainProgress } from '../detectors/index.js';
import type { Sample } from '../core/sample.js';
import type { IncidentRecord } from '../core/incident.js';
import { SqliteStore } from '../store/sqlite.js';
import type { Store } from '../store/store.js';
import { historyFromStore, trainModel } from './train.js';
import { Watcher } from './watch.js';

export interface DemoOptions {
  machines: number;
  days: number;
  seed: number;
  epochs: number;
  /** Directory for the store, the model artifact and the report. */
  out: string;
  /** Rows per delivery (a collector's batch). Default 30. */
  batch?: number;
  onTrain?: (p: TrainProgress) => void;
  onDelivery?: (done: number, total: number) => void;
}

export interface DemoResult {
  store: Store;
  cluster: SyntheticCluster;
  modelPath: string;
  threshold: number;
  thresholdRule: string;
  trainMs: number;
  incidents: IncidentRecord[];
  truth: { hotspots: number; found: number; typed: number; falseIncidents: number; jobsBlamed: number; jobsJudged: number; bpNamed: number; bpTotal: number };
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

/** The cluster's machine-level samples of timeline rows [from, to). */
function machineSamples(c: SyntheticCluster, from: number, to: number): Sample[] {
  const out: Sample[] = [];
  const step = c.options.intervalSec * 1000;
  for (const m of c.machines) {
    for (const metric of FLINK_CHANNELS) {
      const col = m.frame[metric];
      for (let t = from; t < Math.min(to, c.T); t++) {
        const v = col[t];
        if (Number.isFinite(v)) out.push({ ts: c.options.t0Ms + t * step, machine: m.name, metric, value: v });
      }
    }
  }
  return out;
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const cluster = generateCluster({ machines: o.machines, days: o.days, seed: o.seed, contamination: 0.1 });
  mkdirSync(o.out, { recursive: true });
  const dbPath = join(o.out, 'demo.db');
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) rmSync(f, { force: true });
  const store = new SqliteStore(dbPath);
  const step = cluster.options.intervalSec * 1000;
  const tsOf = (i: number): number => cluster.options.t0Ms + i * step;
  // per-job samples are generated once per machine over the whole timeline (their noise is one sequence)
  const jobs = new Map(cluster.machines.map((m) => [m.name, jobSamples(cluster, m.name, 0, cluster.T).map((j) => ({ ...j, machine: m.name }))]));
  const jobRows = (from: number, to: number): Sample[] => [...jobs.values()].flatMap((rows) => rows.filter((r) => r.ts >= tsOf(from) && r.ts < tsOf(to)));
  const placement = Object.fromEntries(cluster.machines.map((m) => [m.name, m.jobs]));

  // history: the first half, as a collector would have stored it
  await store.insertSamples([...machineSamples(cluster, 0, cluster.trainEnd), ...jobRows(0, cluster.trainEnd)]);
  await store.recordPlacement(placement, tsOf(cluster.trainEnd - 1));
  const history = await historyFromStore(store, { to: tsOf(cluster.trainEnd - 1), channels: [...FLINK_CHANNELS] });
  const trained = await trainModel({
    history, kind: 'ccl', params: { epochs: o.epochs, maxTrainWindows: 512, patience: o.epochs }, onProgress: o.onTrain,
    provenance: { source: `synthetic:flink?machines=${o.machines}&days=${o.days}&seed=${o.seed}&contamination=0.1`, command: 'demo' },
  });
  const modelPath = join(o.out, 'ccl.model');
  trained.detector.save(modelPath);
  const modelId = await store.addModel('ccl', modelPath, { reason: 'demo' });

  // the inspected half, delivery by delivery, through the watcher
  const watcher = await Watcher.open(store, trained.detector, trained.detector.threshold, modelId, { window: 64, maxRowsPerStep: o.batch ?? 30, startAt: tsOf(cluster.trainEnd - 1) });
  const latenciesMs: number[] = [];
  const batch = o.batch ?? 30;
  for (let from = cluster.trainEnd; from < cluster.T; from += batch) {
    const to = Math.min(from + batch, cluster.T);
    const delivery = [...machineSamples(cluster, from, to), ...jobRows(from, to)];
    const t0 = performance.now();
    await store.insertSamples(delivery);
    await store.recordPlacement(placement, tsOf(to - 1));
    while ((await watcher.step()).progressed);
    latenciesMs.push(performance.now() - t0);
    o.onDelivery?.(to - cluster.trainEnd, cluster.T - cluster.trainEnd);
  }

  const incidents: IncidentRecord[] = [];
  for (let cursor: string | null | undefined; cursor !== null;) {
    const page = await store.incidents({ limit: 500, cursor: cursor ?? undefined });
    incidents.push(...page.items);
    cursor = page.next;
  }
  incidents.reverse(); // oldest first
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
    store, cluster, modelPath, threshold: trained.detector.threshold, thresholdRule: trained.detector.thresholdRule, trainMs: trained.trainMs, incidents,
    truth: { hotspots: testHotspots.length, found: m.found, typed: m.typed, falseIncidents: m.falseIncidents, jobsBlamed, jobsJudged, bpNamed, bpTotal: bp.length },
    latenciesMs,
  };
}
