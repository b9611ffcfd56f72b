// Dataset specs → train / test pairs, one per series. Specs:
//   synthetic:flink?machines=20&days=7&contamination=0.1&seed=1[&interval=60&hotspots=1.5]
//   nab:<dir>[?subset=realTraffic,realAdExchange]   (train = first 15 %, NAB's probationary period)
//   smd:<dir>  (SMD / ASD layout: train/, test/, test_label/)      psm:<dir>  (train.csv, test.csv, test_label.csv)
//   csvdir:<dir>?name=JumpStarter[&interval=60]  (headerless per-entity CSVs: train/<e>.csv, test/<e>.csv,
//                                                 test_label/<e>.csv; the dataset name is required, not guessed)
//   csv:<file>[?train=0.3]   parquet:<file>[?train=0.3]   (train = the first share of rows; labels on test)
//   flink-lab:<dir>[?train=0.6]  a recording (or a directory of recordings) from `flinkscope record`: one item per
//                    TaskManager, split at the manifest's trainEnd (or at that share of the span); faults and events
//                    ride along for incident-level evaluation
// Every kind takes name=<dataset name> (the name results carry); train= is a share in (0, 1). Unknown options are an
// error, never ignored. parseSpec is the one parser of this syntax (flink-lab replays too: parseLabSpec).
// Training parts are never labelled for fitting; `trainLabels` (synthetic, flink-lab) exists for noise studies.
import { join } from 'node:path';
import { sliceSeries, type Series } from '../core/series.js';
import { parseMetricValue } from '../core/value.js';
import { clusterSeries, generateCluster, type ClusterOptions } from './synthetic/index.js';
import { readNab } from './readers/nab.js';
import { readCsvSeries, readParquetSeries } from './readers/read.js';
import { CSV_EXTS, readSmdMachine, smdMachines } from './readers/smd.js';
import { DataError } from './readers/report.js';
import { flinkLabDirs, labTrainEnd, readFlinkLab, type LabFault } from './readers/flinklab.js';
import type { FlinkEvent } from '../core/event.js';

export interface DatasetItem {
  dataset: string;
  series: string;
  train: Series;
  test: Series;
  trainLabels?: Uint8Array;
  /** flink-lab: the faults that hit this series' machine (paging hotspots and failovers), train and test part. */
  faults?: LabFault[];
  /** flink-lab: every Flink event of the recording (they name their machines). */
  events?: FlinkEvent[];
}

export interface ParsedSpec {
  kind: string;
  target: string;
  query: Record<string, string>;
  /** `train=<share>`, checked to be in (0, 1) (kinds that take it). */
  train?: number;
}

/** Options each kind understands (besides `name`). */
const OPTIONS: Record<string, string[]> = {
  synthetic: ['machines', 'days', 'contamination', 'seed', 'interval', 'hotspots'],
  nab: ['subset'],
  smd: [],
  psm: [],
  csvdir: ['interval'],
  csv: ['train'],
  parquet: ['train'],
  'flink-lab': ['train'],
};
export const DATASET_KINDS = Object.keys(OPTIONS);
const KINDS = DATASET_KINDS.join(', ');
const SPEC = /^([a-z][a-z-]*):([^?]*)(?:\?(.*))?$/;

export function parseSpec(spec: string): ParsedSpec {
  const m = SPEC.exec(spec.trim());
  if (!m) throw new DataError(`dataset spec '${spec}' is not kind:target[?key=value&…] (kinds: ${KINDS})`);
  const known = OPTIONS[m[1]];
  if (!known) throw new DataError(`unknown dataset kind '${m[1]}' (kinds: ${KINDS})`);
  if (m[2] === '') throw new DataError(`dataset spec '${spec}' names no ${m[1] === 'synthetic' ? 'generator' : 'file or directory'}`);
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(m[3] ?? '')) {
    if (k !== 'name' && !known.includes(k)) throw new DataError(`dataset spec '${spec}': unknown option '${k}' for ${m[1]} (known: ${[...known, 'name'].join(', ')})`);
    if (k in query) throw new DataError(`dataset spec '${spec}': option '${k}' given twice`);
    query[k] = v;
  }
  if (query.name !== undefined && query.name.trim() === '') throw new DataError(`dataset spec '${spec}': name= is empty`);
  if (query.train === undefined) return { kind: m[1], target: m[2], query };
  const train = parseMetricValue(query.train);
  if (train === null || !(train > 0 && train < 1)) throw new DataError(`dataset spec '${spec}': train share must be a number in (0, 1), got '${query.train}'`);
  return { kind: m[1], target: m[2], query, train };
}

/** How a flink-lab spec is written, for messages and help texts. */
export const LAB_SPEC_SYNTAX = 'flink-lab:<recording dir>[?train=<share>]';

/** A flink-lab recording to replay: its directory and where its training part ends (default: the manifest's trainEnd). */
export interface LabSpec {
  dir: string;
  train?: number;
}

/** 'flink-lab:<dir>[?train=<share>]' → the recording's parts; null when the spec is of another kind. A malformed one
 *  is parseSpec's DataError, so `eval`, `demo --dataset`, `watch --replay` and `incidents --cluster` say the same. */
export function parseLabSpec(spec: string): LabSpec | null {
  if (SPEC.exec(spec.trim())?.[1] !== 'flink-lab') return null;
  const { target, train } = parseSpec(spec);
  return train === undefined ? { dir: target } : { dir: target, train };
}

function num(q: Record<string, string>, key: string, dflt: number): number {
  if (q[key] === undefined) return dflt;
  const v = parseMetricValue(q[key]);
  if (v === null) throw new DataError(`dataset option ${key}=${q[key]} is not a number`);
  return v;
}

/** `share` is in (0, 1): parseSpec checked it. */
function splitByShare(dataset: string, s: Series, share: number): DatasetItem {
  const n = Math.floor(s.timestamps.length * share);
  const train = sliceSeries(s, 0, n);
  delete train.labels;
  return { dataset, series: s.name, train, test: sliceSeries(s, n, s.timestamps.length) };
}

export async function loadDataset(spec: string): Promise<DatasetItem[]> {
  const { query } = parseSpec(spec);
  const items = await loadItems(spec);
  return query.name === undefined ? items : items.map((i) => ({ ...i, dataset: query.name }));
}

async function loadItems(spec: string): Promise<DatasetItem[]> {
  const { kind, target, query, train: share } = parseSpec(spec);
  switch (kind) {
    case 'synthetic': {
      if (target !== 'flink') throw new DataError(`unknown synthetic generator '${target}' (have: flink)`);
      const opts: Partial<ClusterOptions> = {
        machines: num(query, 'machines', 20), days: num(query, 'days', 7), contamination: num(query, 'contamination', 0.1),
        seed: num(query, 'seed', 1), intervalSec: num(query, 'interval', 60), hotspotsPerMachine: num(query, 'hotspots', 1.5),
      };
      const name = `synthetic-flink(c=${opts.contamination})`;
      return clusterSeries(generateCluster(opts)).map((m) => ({ dataset: name, series: m.machine, train: m.train, test: m.test, trainLabels: m.trainLabels }));
    }
    case 'nab': {
      const subsets = query.subset !== undefined ? query.subset.split(',').map((c) => c.trim()) : undefined;
      if (subsets?.some((c) => c === '')) throw new DataError(`dataset spec '${spec}': subset= holds an empty name`);
      return (await readNab(target, subsets)).map((f) => {
        const train = sliceSeries(f.series, 0, f.trainEnd);
        delete train.labels;
        return { dataset: 'NAB', series: f.key, train, test: sliceSeries(f.series, f.trainEnd, f.series.timestamps.length) };
      });
    }
    case 'smd': {
      const name = target.replace(/\/+$/, '').split('/').pop() ?? 'smd';
      const out: DatasetItem[] = [];
      for (const m of smdMachines(target)) out.push({ dataset: name, series: m, ...(await readSmdMachine(target, m)) });
      return out;
    }
    case 'csvdir': {
      if (query.name === undefined) throw new DataError(`dataset spec '${spec}': csvdir needs ?name=<dataset name> (a directory's last folder is no name)`);
      const interval = num(query, 'interval', 60);
      if (!(interval > 0)) throw new DataError(`dataset option interval=${query.interval} must be > 0 (seconds)`);
      const out: DatasetItem[] = [];
      for (const e of smdMachines(target, CSV_EXTS)) out.push({ dataset: query.name, series: e, ...(await readSmdMachine(target, e, CSV_EXTS, interval * 1000)) });
      return out;
    }
    case 'psm': {
      const psm = { timestampColumn: 'timestamp_(min)', name: 'psm', labelColumn: null };
      const train = (await readCsvSeries(join(target, 'train.csv'), psm)).series;
      const test = (await readCsvSeries(join(target, 'test.csv'), psm)).series;
      // the label file's one column is `label`: read it as the series' only channel
      const lab = (await readCsvSeries(join(target, 'test_label.csv'), { ...psm, name: 'psm-labels' })).series;
      if (lab.timestamps.length !== test.timestamps.length) throw new DataError(`${lab.timestamps.length} labels for ${test.timestamps.length} test rows`, target);
      const bad = lab.values.findIndex((v) => v !== 0 && v !== 1);
      if (bad >= 0) throw new DataError(`label ${lab.values[bad]} at row ${bad + 1} is not 0 or 1`, join(target, 'test_label.csv'));
      test.labels = Uint8Array.from(lab.values);
      return [{ dataset: 'PSM', series: 'psm', train, test }];
    }
    case 'csv':
      return [splitByShare('csv', (await readCsvSeries(target)).series, share ?? 0.3)];
    case 'parquet':
      return [splitByShare('parquet', (await readParquetSeries(target)).series, share ?? 0.3)];
    case 'flink-lab':
      return flinkLabDirs(target).flatMap((d) => flinkLabItems(d, share));
    default:
      throw new DataError(`unknown dataset kind '${kind}' (kinds: ${KINDS})`);
  }
}

/** One item per TaskManager of a flink-lab recording, split at its trainEnd (or at `share` of its span). */
function flinkLabItems(dir: string, share?: number): DatasetItem[] {
  const rec = readFlinkLab(dir);
  const trainEnd = labTrainEnd(rec, share);
  const name = `flink-lab/${rec.dir.replace(/\/+$/, '').split('/').pop()}`;
  return rec.machines.map((s) => {
    let n = 0;
    while (n < s.timestamps.length && s.timestamps[n] < trainEnd) n++;
    if (n === 0 || n === s.timestamps.length) throw new DataError(`trainEnd ${trainEnd} leaves no training or no test rows for ${s.name}`, dir);
    const train = sliceSeries(s, 0, n);
    const trainLabels = train.labels;
    delete train.labels;
    const faults = rec.faults.filter((f) => f.machines.includes(s.name));
    return { dataset: name, series: s.name, train, test: sliceSeries(s, n, s.timestamps.length), trainLabels, faults, events: rec.events };
  });
}
