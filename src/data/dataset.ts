// Dataset specs → train / test pairs, one per series. Specs:
//   synthetic:flink?machines=20&days=7&contamination=0.1&seed=1[&interval=60&hotspots=1.5]
//   nab:<dir>[?subset=realTraffic,realAdExchange]   (train = first 15 %, NAB's probationary period)
//   smd:<dir>  (SMD / ASD layout: train/, test/, test_label/)      psm:<dir>  (train.csv, test.csv, test_label.csv)
//   csv:<file>[?train=0.3]   parquet:<file>[?train=0.3]   (train = the first share of rows; labels on test)
//   flink-lab:<dir>  a recording (or a directory of recordings) from `flinkscope record`: one item per TaskManager,
//                    split at the manifest's trainEnd; faults and events ride along for incident-level evaluation
// Training parts are never labelled for fitting; `trainLabels` (synthetic, flink-lab) exists for noise studies.
import { join } from 'node:path';
import { sliceSeries, type Series } from '../core/series.js';
import { clusterSeries, generateCluster, type ClusterOptions } from './synthetic/index.js';
import { readCsvSeries } from './readers/csv.js';
import { readNab } from './readers/nab.js';
import { readParquetSeries } from './readers/parquet.js';
import { readSmdMachine, smdMachines } from './readers/smd.js';
import { DataError } from './readers/report.js';
import { flinkLabDirs, readFlinkLab, type LabFault } from './readers/flinklab.js';
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
}

export function parseSpec(spec: string): ParsedSpec {
  const m = /^([a-z][a-z-]*):([^?]*)(?:\?(.*))?$/.exec(spec.trim());
  if (!m) throw new DataError(`dataset spec '${spec}' is not kind:target[?key=value&…] (kinds: synthetic, nab, smd, psm, csv, parquet, flink-lab)`);
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(m[3] ?? '')) query[k] = v;
  return { kind: m[1], target: m[2], query };
}

function num(q: Record<string, string>, key: string, dflt: number): number {
  if (q[key] === undefined) return dflt;
  const v = Number(q[key]);
  if (!Number.isFinite(v)) throw new DataError(`dataset option ${key}=${q[key]} is not a number`);
  return v;
}

function splitByShare(dataset: string, s: Series, share: number): DatasetItem {
  if (!(share > 0 && share < 1)) throw new DataError(`train share must be in (0, 1), got ${share}`);
  const n = Math.floor(s.timestamps.length * share);
  const train = sliceSeries(s, 0, n);
  delete train.labels;
  return { dataset, series: s.name, train, test: sliceSeries(s, n, s.timestamps.length) };
}

export async function loadDataset(spec: string): Promise<DatasetItem[]> {
  const { kind, target, query } = parseSpec(spec);
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
      const subsets = query.subset ? query.subset.split(',') : undefined;
      return readNab(target, subsets).map((f) => {
        const train = sliceSeries(f.series, 0, f.trainEnd);
        delete train.labels;
        return { dataset: 'NAB', series: f.key, train, test: sliceSeries(f.series, f.trainEnd, f.series.timestamps.length) };
      });
    }
    case 'smd': {
      const name = target.replace(/\/+$/, '').split('/').pop() ?? 'smd';
      return smdMachines(target).map((m) => ({ dataset: name, series: m, ...readSmdMachine(target, m) }));
    }
    case 'psm': {
      const train = readCsvSeries(join(target, 'train.csv'), { timestampColumn: 'timestamp_(min)', name: 'psm' }).series;
      const test = readCsvSeries(join(target, 'test.csv'), { timestampColumn: 'timestamp_(min)', name: 'psm' }).series;
      const lab = readCsvSeries(join(target, 'test_label.csv'), { timestampColumn: 'timestamp_(min)', name: 'psm-labels' }).series;
      if (lab.timestamps.length !== test.timestamps.length) throw new DataError(`${lab.timestamps.length} labels for ${test.timestamps.length} test rows`, target);
      test.labels = Uint8Array.from(lab.values, (v) => (v ? 1 : 0));
      return [{ dataset: 'PSM', series: 'psm', train, test }];
    }
    case 'csv':
      return [splitByShare('csv', readCsvSeries(target).series, num(query, 'train', 0.3))];
    case 'parquet':
      return [splitByShare('parquet', (await readParquetSeries(target)).series, num(query, 'train', 0.3))];
    case 'flink-lab':
      return flinkLabDirs(target).flatMap(flinkLabItems);
    default:
      throw new DataError(`unknown dataset kind '${kind}' (kinds: synthetic, nab, smd, psm, csv, parquet, flink-lab)`);
  }
}

/** One item per TaskManager of a flink-lab recording, split at its trainEnd. */
function flinkLabItems(dir: string): DatasetItem[] {
  const rec = readFlinkLab(dir);
  const name = `flink-lab/${rec.dir.replace(/\/+$/, '').split('/').pop()}`;
  return rec.machines.map((s) => {
    let n = 0;
    while (n < s.timestamps.length && s.timestamps[n] < rec.manifest.trainEnd) n++;
    if (n === 0 || n === s.timestamps.length) throw new DataError(`trainEnd ${rec.manifest.trainEnd} leaves no training or no test rows for ${s.name}`, dir);
    const train = sliceSeries(s, 0, n);
    const trainLabels = train.labels;
    delete train.labels;
    const faults = rec.faults.filter((f) => f.machines.includes(s.name));
    return { dataset: name, series: s.name, train, test: sliceSeries(s, n, s.timestamps.length), trainLabels, faults, events: rec.events };
  });
}
