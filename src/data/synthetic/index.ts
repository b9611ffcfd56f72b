// Synthetic Flink cluster generator (spec `synthetic:flink?machines=20&days=7&contamination=0.1&seed=1`).
// The timeline of every machine is split at `trainFraction`: the training part carries unlabelled hotspots covering
// `contamination` of its timestamps (kept aside only for noise studies), the test part carries labelled hotspots.
import { Rng } from '../../tensor/index.js';
import type { Series } from '../../core/series.js';
import { FLINK_CHANNELS, machineName, normalMachine, placeJobs, type JobPlacement, type MachineFrame } from './cluster.js';
import { HOTSPOT_KINDS, applyHotspot, applySlowDownstream, hotspotLength, type Hotspot, type HotspotKind } from './hotspots.js';

export { FLINK_CHANNELS, HOTSPOT_KINDS };
export type { Hotspot, HotspotKind, JobPlacement };

export interface ClusterOptions {
  machines: number;
  days: number;
  intervalSec: number;
  contamination: number;
  seed: number;
  trainFraction: number;
  /** Mean labelled hotspots per machine in the test part. */
  hotspotsPerMachine: number;
  /** Start of the timeline, epoch ms (a Monday, 00:00 UTC). */
  t0Ms: number;
}
export const clusterDefaults: ClusterOptions = {
  machines: 20, days: 7, intervalSec: 60, contamination: 0.1, seed: 1, trainFraction: 0.5, hotspotsPerMachine: 1.5, t0Ms: Date.UTC(2026, 0, 5),
};

export interface GeneratedHotspot extends Hotspot {
  split: 'train' | 'test';
}
export interface SyntheticCluster {
  options: ClusterOptions;
  T: number;
  trainEnd: number;
  jobs: JobPlacement[];
  /** `restarts`: timeline indices where the machine's jobs restart (normal life, seen by collectors as events). */
  machines: { name: string; jobs: string[]; frame: MachineFrame; restarts: number[] }[];
  hotspots: GeneratedHotspot[];
}

export function generateCluster(partial: Partial<ClusterOptions> = {}): SyntheticCluster {
  const o = { ...clusterDefaults, ...partial };
  if (!(o.machines >= 2 && Number.isInteger(o.machines))) throw new RangeError(`synthetic: machines must be an integer ≥ 2, got ${o.machines}`);
  if (!(o.days > 0)) throw new RangeError(`synthetic: days must be > 0, got ${o.days}`);
  if (!(o.contamination >= 0 && o.contamination < 0.5)) throw new RangeError(`synthetic: contamination must be in [0, 0.5), got ${o.contamination}`);
  const rng = new Rng(o.seed);
  const T = Math.round((o.days * 86400) / o.intervalSec);
  const trainEnd = Math.round(T * o.trainFraction);
  const jobs = placeJobs(o.machines, rng);
  const machines = Array.from({ length: o.machines }, (_, i) => {
    const name = machineName(i);
    const here = jobs.filter((j) => j.machines.includes(name)).map((j) => j.job);
    const restarts: number[] = [];
    return { name, jobs: here, frame: normalMachine(T, o.intervalSec, o.t0Ms, here.length, rng, restarts), restarts };
  });
  const byName = new Map(machines.map((m) => [m.name, m]));
  const busy = new Map<string, [number, number][]>(machines.map((m) => [m.name, []]));
  const free = (m: string, s: number, e: number): boolean => busy.get(m)!.every(([a, b]) => e + 30 <= a || s >= b + 30);
  const hotspots: GeneratedHotspot[] = [];

  const place = (split: 'train' | 'test', kind: HotspotKind): number => {
    const lo = split === 'train' ? 0 : trainEnd;
    const hi = split === 'train' ? trainEnd : T;
    const len = Math.min(hotspotLength(kind, o.intervalSec, rng), Math.floor((hi - lo) / 4));
    for (let attempt = 0; attempt < 20; attempt++) {
      const start = lo + rng.int(Math.max(1, hi - lo - len));
      const end = start + len;
      if (kind === 'backpressure') {
        const job = jobs[rng.int(jobs.length)];
        const up = job.machines[0];
        const down = job.machines[job.machines.length - 1];
        if (up === down || !free(up, start, end) || !free(down, start, end)) continue;
        applyHotspot(byName.get(up)!.frame, 'backpressure', start, end, rng);
        applySlowDownstream(byName.get(down)!.frame, start, end, rng);
        busy.get(up)!.push([start, end]);
        busy.get(down)!.push([start, end]);
        hotspots.push({ machine: up, type: 'backpressure', start, end, cause: down, split });
        hotspots.push({ machine: down, type: 'plateau', start, end, split });
        return 2 * len;
      }
      const m = machines[rng.int(machines.length)].name;
      if (!free(m, start, end)) continue;
      applyHotspot(byName.get(m)!.frame, kind, start, end, rng);
      busy.get(m)!.push([start, end]);
      hotspots.push({ machine: m, type: kind, start, end, split });
      return len;
    }
    return 0;
  };

  // labelled test hotspots: the paper's two Flink kinds are the most frequent
  const weights: [HotspotKind, number][] = [['slow-rise', 0.3], ['plateau', 0.25], ['spike', 0.15], ['level-shift', 0.15], ['backpressure', 0.15]];
  const draw = (): HotspotKind => {
    let u = rng.next();
    for (const [k, w] of weights) if ((u -= w) < 0) return k;
    return 'slow-rise';
  };
  const nTest = Math.round(o.machines * o.hotspotsPerMachine);
  for (let i = 0; i < nTest; i++) place('test', draw());
  // unlabelled contamination of the training part
  let covered = 0;
  const target = o.contamination * trainEnd * o.machines;
  for (let guard = 0; covered < target && guard < 10000; guard++) covered += place('train', draw());
  return { options: o, T, trainEnd, jobs, machines, hotspots };
}

export interface MachineSplit {
  machine: string;
  train: Series;
  test: Series;
  /** Hidden labels of the training part (contamination): for noise studies only, never used to fit. */
  trainLabels: Uint8Array;
}

/** Per-machine train / test series (channels FLINK_CHANNELS; labels on test). */
export function clusterSeries(c: SyntheticCluster): MachineSplit[] {
  const { T, trainEnd } = c;
  const C = FLINK_CHANNELS.length;
  const ts = Float64Array.from({ length: T }, (_, i) => c.options.t0Ms + i * c.options.intervalSec * 1000);
  return c.machines.map((m) => {
    const values = new Float32Array(T * C);
    FLINK_CHANNELS.forEach((ch, j) => {
      const col = m.frame[ch];
      for (let t = 0; t < T; t++) values[t * C + j] = col[t];
    });
    const labels = new Uint8Array(T);
    for (const h of c.hotspots) if (h.machine === m.name) labels.fill(1, h.start, h.end);
    const meta = { source: 'synthetic:flink', host: m.name, jobs: m.jobs };
    const part = (a: number, b: number, withLabels: boolean): Series => ({
      name: m.name,
      timestamps: ts.slice(a, b),
      channels: [...FLINK_CHANNELS],
      values: values.slice(a * C, b * C),
      labels: withLabels ? labels.slice(a, b) : undefined,
      meta,
    });
    return { machine: m.name, train: part(0, trainEnd, false), test: part(trainEnd, T, true), trainLabels: labels.slice(0, trainEnd) };
  });
}
