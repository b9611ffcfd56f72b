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
import { progressBar, fmtMs } from '../progress.js';
import { opt, datasetSpec, nonEmpty, oneOf, time, paramsFor, UsageError } from '../options.js';
import { Store } from '../../store/sqlite.js';
import type { Series } from '../../core/series.js';

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('Train a detector on the (unlabelled) training parts of a dataset and write a model file')
    .addOption(opt('--dataset <spec>', 'dataset spec, e.g. synthetic:flink?machines=20&days=7 or csv:metrics.csv', datasetSpec))
    .addOption(opt('--db <path>', 'train on the history in this store instead (and record the model version there)', nonEmpty))
    .addOption(opt('--from <iso>', 'with --db: history from (ISO time or epoch ms)', time))
    .addOption(opt('--to <iso>', 'with --db: history up to', time))
    .addOption(opt('--out <file>', 'model file to write', nonEmpty).makeOptionMandatory())
    .addOption(opt('--detector <kind>', `detector kind (${detectorKinds().join(', ')})`, oneOf(detectorKinds()), 'ccl'))
    .option('--param <kv...>', 'detector parameters, e.g. epochs=4 window=64 patchSizes=4,8', [])
    .action(async (o: { dataset?: string; db?: string; from?: number; to?: number; out: string; detector: string; param: string[] }) => {
      const params = paramsFor(o.detector, o.param);
      if (!!o.dataset === !!o.db) throw new UsageError('give exactly one of --dataset and --db');
      if (!o.db && (o.from !== undefined || o.to !== undefined)) throw new UsageError('--from and --to go with --db');
      if (o.from !== undefined && o.to !== undefined && o.from >= o.to) throw new UsageError(`--from ${new Date(o.from).toISOString()} is not before --to ${new Date(o.to).toISOString()}`);
      let store: Store | null = null;
      let items: { train: Series }[];
      if (o.db) {
        store = new Store(o.db);
        const metrics = store.metrics();
        items = store.machines().map((m) => ({ train: store!.series(m, metrics, o.from ?? -Infinity, o.to ?? Infinity) })).filter((i) => i.train.timestamps.length > 0);
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
