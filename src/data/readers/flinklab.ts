// flink-lab recordings (docs/flink-lab.md): hotspots injected into real Flink jobs on a real cluster, recorded
// through flinkscope's collectors. A recording directory holds
//   manifest.json        format, Flink version, seed, scrape interval, start / end / trainEnd, jobs and their graphs,
//                        subtask placement over time, the fault schedule, the load profile, the files below
//   machines/<tm>.csv[.gz]  timestamp + one column per machine metric (catalogue names; empty cell = missing; an
//                        older recording's cumulative `gc_count` is read as its rate `gc_per_min`: LEGACY_COUNTERS)
//   jobs/<tm>.csv[.gz]      timestamp + one column per "<job>|<operator>|<metric>" on that TaskManager
//   labels.json          { faults: LabFault[] } — what was injected, where (machines resolved from the live
//                        placement when the fault started), when; failovers are events (page: false)
//   events.json          FlinkEvent[] the event collector saw
// readFlinkLab(dir) reads and checks all of it; errors name the file and what is wrong. Nothing about a particular
// recording (seed, machines, columns, jobs) is hard-coded: a new recording reads with no code change.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Series } from '../../core/series.js';
import type { FlinkEvent } from '../../core/event.js';
import { counterRateSeries } from '../../core/counter.js';
import { SERVED_AS_CACHED, SERVED_AS_CACHED_TASK } from '../../core/catalogue.js';
import { freshEvent, STALE_REFRESHES, staleEvent, staleRows, type StaleSpan } from '../../core/stale.js';
import { parseCsvText } from './csv.js';
import { DataError } from './report.js';

export const FLINK_LAB_FORMAT = 'flink-lab/1';
export const LAB_FAULT_KINDS = ['skew', 'hot-udf', 'slow-sink', 'state-growth', 'failover'] as const;
export type LabFaultKind = (typeof LAB_FAULT_KINDS)[number];

/** One injected fault, as labels.json states it. Times are epoch ms; the fault is on in [start, end). */
export interface LabFault {
  id: string;
  kind: LabFaultKind;
  /** Should an inspector page for it? Hotspots: true; a TaskManager failover is an event to annotate: false. */
  page: boolean;
  /** The TaskManager(s) it hits: where the named subtask ran when it started (failover: the killed one). */
  machines: string[];
  job?: string;
  /** The operator (job vertex) as Flink's REST API names it — the names per-job series carry. */
  operator?: string;
  subtask?: number;
  start: number;
  end: number;
  params: Record<string, number | string>;
}

export interface LabJobGraph {
  name: string;
  /** Job ids this job had during the recording (a new id only if it was resubmitted). */
  ids: string[];
  parallelism: number;
  vertices: { id: string; name: string; parallelism: number }[];
  /** Data exchanges between vertices (ship strategy as Flink's plan states it: HASH, FORWARD, REBALANCE, …). */
  edges: { from: string; to: string; ship: string }[];
}

/** Where each subtask ran, from `ts` on: job → operator → machine per subtask index. */
export interface LabPlacement {
  ts: number;
  jobs: Record<string, Record<string, string[]>>;
}

export interface LabManifest {
  format: string;
  flinkVersion: string;
  seed: number;
  scrapeMs: number;
  start: number;
  end: number;
  /** Rows before trainEnd are the training part (it may hold faults: the noisy-training setting). */
  trainEnd: number;
  taskManagers: string[];
  slotsPerTaskManager: number;
  jobs: LabJobGraph[];
  placement: LabPlacement[];
  /** The planned schedule (offsets from start); labels.json holds what happened. */
  schedule: Record<string, unknown>[];
  load: Record<string, unknown>;
  files: { machines: Record<string, string>; jobs: Record<string, string> };
  recorder: Record<string, unknown>;
}

/** The per-operator series of one job on one TaskManager (channels: metric names). */
export interface LabJobSeries {
  machine: string;
  job: string;
  operator: string;
  series: Series;
}

export interface FlinkLabRecording {
  dir: string;
  manifest: LabManifest;
  /** One series per TaskManager; labels: 1 inside a paging fault on that machine. */
  machines: Series[];
  jobs: LabJobSeries[];
  faults: LabFault[];
  /** Recorded events, with a 'metrics-stale' event at the start of each stale stretch and a 'metrics-fresh' one where
   *  its values move again (as the live collector raises them). */
  events: FlinkEvent[];
  /** Stretches of rows left out because Flink's REST API served them from a cache that had stopped refreshing
   *  (src/core/stale.ts): the machine's and its jobs' rows at those timestamps are not in `machines` / `jobs`. */
  stale: StaleSpan[];
}

/** How often the lab cluster's JobManager metric cache (what the REST API serves) refreshes from the TaskManagers, ms:
 *  the lab sets it (src/app/lab/cluster.ts), the recorder writes it into the manifest (`recorder.metricsFetcherMs`),
 *  and recordings that do not state it had it too (the lab's since its first recording). */
export const LAB_METRICS_FETCHER_MS = 1000;

function readJson<T>(file: string): T {
  if (!existsSync(file)) throw new DataError('missing (not a flink-lab recording?)', file);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new DataError(`not valid JSON: ${(e as Error).message}`, file);
  }
}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isStrArr = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');

function checkManifest(m: LabManifest, file: string): void {
  const bad = (what: string): never => {
    throw new DataError(what, file);
  };
  if (m.format !== FLINK_LAB_FORMAT) bad(`format '${String(m.format)}' is not ${FLINK_LAB_FORMAT}`);
  for (const k of ['seed', 'scrapeMs', 'start', 'end', 'trainEnd', 'slotsPerTaskManager'] as const) if (!isNum(m[k])) bad(`'${k}' must be a number`);
  if (!(m.start < m.trainEnd && m.trainEnd < m.end)) bad(`need start < trainEnd < end (got ${m.start}, ${m.trainEnd}, ${m.end})`);
  if (!isStrArr(m.taskManagers) || m.taskManagers.length === 0) bad(`'taskManagers' must list the TaskManager ids`);
  if (!m.files || typeof m.files.machines !== 'object' || typeof m.files.jobs !== 'object') bad(`'files' must give machines and jobs files`);
  for (const tm of m.taskManagers) if (typeof m.files.machines[tm] !== 'string') bad(`no machines file for TaskManager '${tm}'`);
  if (!Array.isArray(m.jobs) || !Array.isArray(m.placement) || !Array.isArray(m.schedule)) bad(`'jobs', 'placement' and 'schedule' must be lists`);
  const fetcher = m.recorder?.metricsFetcherMs;
  if (fetcher !== undefined && !(isNum(fetcher) && fetcher > 0)) bad(`'recorder.metricsFetcherMs' must be a positive number of ms (got ${JSON.stringify(fetcher)})`);
}

function checkFault(f: LabFault, i: number, file: string): void {
  const bad = (what: string): never => {
    throw new DataError(`fault ${i} (${String(f?.id)}): ${what}`, file);
  };
  if (typeof f.id !== 'string' || f.id === '') bad('no id');
  if (!(LAB_FAULT_KINDS as readonly string[]).includes(f.kind)) bad(`kind '${String(f.kind)}' is not one of ${LAB_FAULT_KINDS.join(', ')}`);
  if (typeof f.page !== 'boolean') bad(`'page' must be true or false`);
  if (!isStrArr(f.machines) || f.machines.length === 0) bad(`'machines' must list at least one TaskManager`);
  if (!isNum(f.start) || !isNum(f.end) || !(f.start < f.end)) bad(`need start < end (got ${f.start}, ${f.end})`);
  if (f.params === undefined || typeof f.params !== 'object') bad(`'params' must be an object`);
}

function checkEvent(e: FlinkEvent, i: number, file: string): void {
  if (typeof e.id !== 'string' || !isNum(e.ts) || typeof e.kind !== 'string' || !isStrArr(e.machines) || typeof e.detail !== 'string') {
    throw new DataError(`event ${i}: needs id, ts, kind, machines and detail`, file);
  }
}

/** A CSV (or gzipped CSV) table of one TaskManager; refuses malformed or unordered rows instead of repairing them. */
function readTable(path: string, name: string): Series {
  if (!existsSync(path)) throw new DataError('missing', path);
  let text: string;
  try {
    const raw = readFileSync(path);
    text = (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  } catch (e) {
    throw new DataError(`cannot read: ${(e as Error).message}`, path);
  }
  const { series, report } = parseCsvText(text, path, { timestampColumn: 'timestamp', name });
  if (report.skippedCount > 0) throw new DataError(`${report.skippedCount} malformed rows (first: line ${report.skipped[0].line}: ${report.skipped[0].reason})`, path);
  if (report.sorted || report.duplicates > 0) throw new DataError('timestamps are not strictly increasing', path);
  return series;
}

/** Columns that recordings made before 2026-12-03 hold as Flink's cumulative count, and the rate the product reads
 *  now under its own name (src/core/counter.ts; the live sources report the rate). */
export const LEGACY_COUNTERS: Readonly<Record<string, string>> = { gc_count: 'gc_per_min' };

/** A machine table with its legacy counter columns turned into their rates per minute, in place. */
function ratesOfLegacyCounters(s: Series, path: string): void {
  const C = s.channels.length;
  s.channels.forEach((ch, c) => {
    const rate = LEGACY_COUNTERS[ch];
    if (!rate) return;
    if (s.channels.includes(rate)) throw new DataError(`has both '${ch}' (a cumulative count) and its rate '${rate}'`, path);
    const col = new Float64Array(s.timestamps.length);
    for (let t = 0; t < col.length; t++) col[t] = s.values[t * C + c];
    counterRateSeries(s.timestamps, col).forEach((v, t) => (s.values[t * C + c] = v));
    s.channels[c] = rate;
  });
}

/** 1 where a paging fault on `machine` is on, per timestamp. */
export function faultLabels(timestamps: Float64Array, faults: LabFault[], machine: string): Uint8Array {
  const out = new Uint8Array(timestamps.length);
  for (const f of faults) {
    if (!f.page || !f.machines.includes(machine)) continue;
    for (let t = 0; t < timestamps.length; t++) if (timestamps[t] >= f.start && timestamps[t] < f.end) out[t] = 1;
  }
  return out;
}

/** Splits a per-TaskManager jobs table ("job|operator|metric" columns) into one series per (job, operator). */
function splitJobs(machine: string, s: Series, path: string): LabJobSeries[] {
  const groups = new Map<string, { job: string; operator: string; cols: number[]; metrics: string[] }>();
  s.channels.forEach((ch, c) => {
    const parts = ch.split('|');
    if (parts.length !== 3) throw new DataError(`column '${ch}' is not job|operator|metric`, path);
    const key = `${parts[0]}|${parts[1]}`;
    const g = groups.get(key) ?? groups.set(key, { job: parts[0], operator: parts[1], cols: [], metrics: [] }).get(key)!;
    g.cols.push(c);
    g.metrics.push(parts[2]);
  });
  const T = s.timestamps.length;
  const C = s.channels.length;
  return [...groups.values()].map((g) => {
    const values = new Float32Array(T * g.cols.length);
    for (let t = 0; t < T; t++) g.cols.forEach((c, k) => (values[t * g.cols.length + k] = s.values[t * C + c]));
    return { machine, job: g.job, operator: g.operator, series: { name: `${machine}/${g.job}/${g.operator}`, timestamps: s.timestamps, channels: g.metrics, values } };
  });
}

/** Where a recording's training part ends: the manifest's trainEnd, or — with `share` in (0, 1) — that share of the
 *  recorded span (a longer history than the recorder chose, e.g. one that covers a whole compressed day). */
export function labTrainEnd(rec: FlinkLabRecording, share?: number): number {
  if (share === undefined) return rec.manifest.trainEnd;
  if (!(share > 0 && share < 1)) throw new DataError(`train share must be in (0, 1), got ${share}`, rec.dir);
  return rec.manifest.start + Math.round((rec.manifest.end - rec.manifest.start) * share);
}

export function readFlinkLab(dir: string): FlinkLabRecording {
  const manifestFile = join(dir, 'manifest.json');
  const manifest = readJson<LabManifest>(manifestFile);
  checkManifest(manifest, manifestFile);
  const labelsFile = join(dir, 'labels.json');
  const labels = readJson<{ faults: LabFault[] }>(labelsFile);
  if (!Array.isArray(labels?.faults)) throw new DataError(`needs { "faults": [...] }`, labelsFile);
  labels.faults.forEach((f, i) => checkFault(f, i, labelsFile));
  for (const f of labels.faults) {
    const unknown = f.machines.find((m) => !manifest.taskManagers.includes(m));
    if (unknown) throw new DataError(`fault ${f.id}: machine '${unknown}' is not one of the manifest's TaskManagers (${manifest.taskManagers.join(', ')})`, labelsFile);
  }
  const eventsFile = join(dir, 'events.json');
  const events = readJson<FlinkEvent[]>(eventsFile);
  if (!Array.isArray(events)) throw new DataError('must be a list of events', eventsFile);
  events.forEach((e, i) => checkEvent(e, i, eventsFile));
  const fetcherMs = (manifest.recorder?.metricsFetcherMs as number | undefined) ?? LAB_METRICS_FETCHER_MS;
  // The REST API's metric cache is the JobManager's, one for all TaskManagers: a timestamp at which any of them was
  // served stale values is left out for all of them, so that they stay sampled at the same times (the replay and the
  // peer view read rows of the same timestamps)
  const stale: StaleSpan[] = [];
  const out = new Set<number>();
  const read = manifest.taskManagers.map((tm) => {
    const s = readTable(join(dir, manifest.files.machines[tm]), tm);
    const at = (names: readonly string[]): number[] => names.map((m) => s.channels.indexOf(m)).filter((c) => c >= 0);
    const { mask, spans } = staleRows(tm, s.timestamps, s.values, s.channels.length, at(SERVED_AS_CACHED), at(SERVED_AS_CACHED_TASK), STALE_REFRESHES * fetcherMs);
    stale.push(...spans);
    s.timestamps.forEach((ts, t) => mask[t] === 1 && out.add(ts));
    return s;
  });
  const fresh = (s: Series): Series => (out.size ? keepRows(s, (t) => !out.has(s.timestamps[t])) : s);
  const machines = manifest.taskManagers.map((tm, k) => {
    // stale rows are left out before counters become rates: a rate across them spans the gap, as live
    const s = fresh(read[k]);
    ratesOfLegacyCounters(s, join(dir, manifest.files.machines[tm]));
    s.labels = faultLabels(s.timestamps, labels.faults, tm);
    s.meta = { source: join(dir, manifest.files.machines[tm]), recording: basename(dir) };
    return s;
  });
  const jobs = Object.entries(manifest.files.jobs).flatMap(([tm, file]) => splitJobs(tm, fresh(readTable(join(dir, file), tm)), join(dir, file)));
  const staleEvents = stale.flatMap((sp) => [staleEvent(sp.machine, sp.from, sp.servedSince), ...(sp.freshAt !== undefined ? [freshEvent(sp.machine, sp.freshAt, sp.servedSince, sp.from)] : [])]);
  return { dir, manifest, machines, jobs, faults: labels.faults, events: [...events, ...staleEvents].sort((a, b) => a.ts - b.ts), stale };
}

/** The rows of a series for which keep(t) holds. */
function keepRows(s: Series, keep: (t: number) => boolean): Series {
  const C = s.channels.length;
  const idx = Array.from({ length: s.timestamps.length }, (_, t) => t).filter(keep);
  const values = s.values instanceof Float64Array ? new Float64Array(idx.length * C) : new Float32Array(idx.length * C);
  idx.forEach((t, k) => values.set(s.values.subarray(t * C, (t + 1) * C), k * C));
  return { ...s, timestamps: Float64Array.from(idx, (t) => s.timestamps[t]), values };
}

/** Recording directories at `path`: itself if it holds a manifest, else its subdirectories that do (sorted). */
export function flinkLabDirs(path: string): string[] {
  if (existsSync(join(path, 'manifest.json'))) return [path];
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new DataError('no such directory', path);
  const dirs = readdirSync(path).sort().map((d) => join(path, d)).filter((d) => existsSync(join(d, 'manifest.json')));
  if (dirs.length === 0) throw new DataError('neither a flink-lab recording (manifest.json) nor a directory of recordings', path);
  return dirs;
}
