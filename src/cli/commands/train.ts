// `flinkscope train --dataset SPEC --out model`: trains one cluster model (CCL by default) on the pooled training
// parts of a dataset (noisy, unlabelled), with a progress bar, and writes the versioned model file (atomically) plus
// a JSON training report next to it.
import type { Command } from 'commander';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadDataset } from '../../data/index.js';
import { trainClusterModel } from '../../inspect/pipeline.js';
import { scoreSample } from '../../inspect/retrain.js';
import { detectorKinds } from '../../detectors/index.js';
import type { DeepDetector } from '../../detectors/deep/template.js';
import { progressBar, fmtMs, parseValue } from '../progress.js';
import { Store } from '../../store/sqlite.js';
import type { Series } from '../../core/series.js';

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('Train a detector on the (unlabelled) training parts of a dataset and write a model file')
    .option('--dataset <spec>', 'dataset spec, e.g. synthetic:flink?machines=20&days=7 or csv:metrics.csv')
    .option('--db <path>', 'train on the history in this store instead (and record the model version there)')
    .option('--from <iso>', 'with --db: history from (ISO time or epoch ms)')
    .option('--to <iso>', 'with --db: history up to')
    .requiredOption('--out <file>', 'model file to write')
    .option('--detector <kind>', `detector kind (${detectorKinds().join(', ')})`, 'ccl')
    .option('--param <kv...>', 'detector parameters, e.g. epochs=4 window=64', [])
    .action(async (o: { dataset?: string; db?: string; from?: string; to?: string; out: string; detector: string; param: string[] }) => {
      const params: Record<string, unknown> = {};
      for (const kv of o.param) {
        const m = /^([A-Za-z0-9]+)=(.*)$/.exec(kv);
        if (!m) throw new Error(`--param '${kv}' is not key=value`);
        params[m[1]] = parseValue(m[2]);
      }
      if (!!o.dataset === !!o.db) throw new Error('give exactly one of --dataset and --db');
      const time = (s: string | undefined, d: number): number => (s === undefined ? d : /^\d+$/.test(s) ? Number(s) : Date.parse(s));
      let store: Store | null = null;
      let items: { train: Series }[];
      if (o.db) {
        store = new Store(o.db);
        const metrics = store.metrics();
        items = store.machines().map((m) => ({ train: store!.series(m, metrics, time(o.from, -Infinity), time(o.to, Infinity)) })).filter((i) => i.train.timestamps.length > 0);
        if (items.length === 0) throw new Error(`no samples in ${o.db}${o.from || o.to ? ' in that time range' : ''}; run \`flinkscope collect\` first`);
      } else items = await loadDataset(o.dataset!);
      const bar = progressBar('train [{bar}] epoch {value}/{total} {info}');
      let started = false;
      const model = await trainClusterModel(items.map((i) => i.train), o.detector, params, (p) => {
        if (!started) {
          bar.start(p.epochs, `train ${o.detector}`);
          started = true;
        }
        bar.update(p.epoch, { info: `loss ${p.loss.toFixed(4)}${p.valLoss !== undefined ? ` val ${p.valLoss.toFixed(4)}` : ''} ETA ${fmtMs(p.etaMs)}` });
      });
      if (started) bar.stop();
      mkdirSync(dirname(o.out), { recursive: true });
      model.detector.save(o.out);
      const history = (model.detector as unknown as Partial<DeepDetector<never>>).history ?? [];
      if (store) {
        store.addModel(o.detector, o.out, model.threshold, { history, trainScores: scoreSample(model.trainScores), reason: 'manual' });
        store.close();
      }
      const report = { dataset: o.dataset ?? o.db, detector: o.detector, series: items.length, threshold: model.threshold, trainMs: Math.round(model.trainMs), history, params: model.detector.params };
      writeFileSync(`${o.out}.report.json`, JSON.stringify(report, null, 1));
      console.log(`model: ${o.out} (${o.detector}, ${items.length} series pooled, ${fmtMs(model.trainMs)}); threshold ${model.threshold.toFixed(4)}; report: ${o.out}.report.json`);
    });
}
