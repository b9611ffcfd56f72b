// A flink-lab recording (src/data/readers/flinklab.ts) as a replay of the product path (src/app/replay.ts): each
// TaskManager's history before the manifest's trainEnd is the training part, the rest is delivered as a collector
// would deliver it — machine rows with the per-operator samples of the same times, and the Flink events the recorder
// collected when they happened. Faults of the inspected part are judged as recorded: hotspots must page, failovers
// (page: false) must not. The recorder compresses a day's load into minutes and scrapes every 2 s instead of 10 s, so
// the watcher's durations are scaled the same way: the product's 10 min quiet period, merge gap and event grace are
// 60 of its 10-s points, here 60 of the recording's scrapes (and so is the slack with which an early incident counts).
// The persistence is not scaled here: it counts Flink's readings, and the watcher takes it from the model, which
// training sets from the scrape interval (persistPoints: 6 of the lab's 2-s points hold 3 readings, as 3 points at 10 s).
import { sliceSeries, type Series } from '../core/series.js';
import type { Sample } from '../core/sample.js';
import { LAB_SPEC_SYNTAX, labTrainEnd, parseLabSpec, readFlinkLab, type FlinkLabRecording } from '../data/index.js';
import type { Fault } from '../eval/incidents.js';
import { loadDetector, type Detector } from '../detectors/index.js';
import { replay, type ReplayCluster, type ReplayOptions, type ReplayResult } from './replay.js';
import type { Trained } from './train.js';

/** Rows of a series in [from, to) as samples of `machine` (job / operator when given). */
function samplesOf(s: Series, machine: string, from: number, to: number, job?: string, operator?: string): Sample[] {
  const out: Sample[] = [];
  const C = s.channels.length;
  for (let t = 0; t < s.timestamps.length; t++) {
    const ts = s.timestamps[t];
    if (ts < from || ts >= to) continue;
    for (let c = 0; c < C; c++) {
      const value = s.values[t * C + c];
      if (Number.isFinite(value)) out.push({ ts, machine, metric: s.channels[c], value, ...(job !== undefined ? { job, operator } : {}) });
    }
  }
  return out;
}

/** The jobs each TaskManager ran at any time of the recording (from the manifest's placement). */
function jobsByMachine(rec: FlinkLabRecording): Map<string, Set<string>> {
  const on = new Map<string, Set<string>>(rec.manifest.taskManagers.map((m) => [m, new Set<string>()]));
  for (const p of rec.manifest.placement) {
    for (const [job, ops] of Object.entries(p.jobs)) {
      for (const machines of Object.values(ops)) for (const m of machines) (on.get(m) ?? on.set(m, new Set()).get(m)!).add(job);
    }
  }
  return on;
}

/** `dir` = a recording; `trainShare` moves the end of the training part to that share of the span (default: the
 *  manifest's trainEnd). */
export function labReplay(dir: string, trainShare?: number): ReplayCluster {
  const rec = readFlinkLab(dir);
  const trainEnd = labTrainEnd(rec, trainShare);
  const jobs = jobsByMachine(rec);
  const machines = rec.machines.map((s) => {
    const n = s.timestamps.findIndex((t) => t >= trainEnd);
    if (n <= 0) throw new Error(`${dir}: trainEnd ${trainEnd} leaves no training or no inspected rows for ${s.name}`);
    const train = sliceSeries(s, 0, n);
    delete train.labels; // training is unlabelled, as in production
    return { name: s.name, jobs: [...(jobs.get(s.name) ?? [])].sort(), train, test: sliceSeries(s, n, s.timestamps.length) };
  });
  const faults: Fault[] = rec.faults
    .filter((f) => f.end > trainEnd)
    .map((f) => ({ id: f.id, kind: f.kind, machines: f.machines, start: Math.max(f.start, trainEnd), end: f.end, page: f.page }));
  return {
    machines,
    extraSamples: (from, to) => rec.jobs.flatMap((j) => samplesOf(j.series, j.machine, from, to, j.job, j.operator)),
    events: rec.events,
    faults,
    slackMs: 60 * rec.manifest.scrapeMs,
    watchDefaults: { resolveAfterMs: 60 * rec.manifest.scrapeMs, mergeGapMs: 60 * rec.manifest.scrapeMs, eventGraceMs: 60 * rec.manifest.scrapeMs },
  };
}

/** 'flink-lab:<dir>[?train=<share>]' → the recording replayed; null when the spec is of another kind (the syntax and
 *  its errors: parseLabSpec). */
export function labReplayOf(spec: string): ReplayCluster | null {
  const lab = parseLabSpec(spec);
  return lab && labReplay(lab.dir, lab.train);
}

/** A model from a file as the replay's trained model: the watcher scores the recording with it instead of training
 *  one on the recording's history (`watch --replay <spec> --model M`). Its channels must be the recording's. */
export function trainedFrom(detector: Detector, cluster: ReplayCluster): Trained {
  const want = cluster.machines[0]?.train.channels ?? [];
  const have = detector.channels;
  if (have.length !== want.length || have.some((c, i) => c !== want[i])) {
    throw new Error(`the model reads ${have.join(', ')}; the recording has ${want.join(', ')} — train it on this kind of recording (flinkscope train --dataset flink-lab:…)`);
  }
  return { detector, machineScores: [], trainScores: Float32Array.from(detector.trainScores), groups: [], trainMs: 0 };
}

/** `watch --replay <spec> --model M`: the recording after its training part delivered to a store in `o.dir` and
 *  watched with the model from the file (its threshold, or the alarm policy given), judged against the recorded faults. */
export async function replayWithModel(spec: string, modelPath: string, o: Pick<ReplayOptions, 'dir' | 'alarms' | 'watch' | 'batch'>): Promise<ReplayResult> {
  const c = labReplayOf(spec);
  if (!c) throw new Error(`'${spec}' is not ${LAB_SPEC_SYNTAX}`);
  return replay(c, { ...o, trained: trainedFrom(loadDetector(modelPath), c), provenance: { source: spec, command: 'watch --replay', model: modelPath } });
}
