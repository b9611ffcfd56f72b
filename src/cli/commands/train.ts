// `flinkscope train`: trains one cluster model (CCL by default) on the pooled training parts of a dataset or on the
// history in a store (noisy, unlabelled), with a progress bar, and writes the model artifact atomically (weights,
// threshold rule and value, training-score sample, training curve, provenance) — with --db also recorded as a
// model version in the store.
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadDataset } from '../../data/index.js';
import { detectorKinds } from '../../detectors/index.js';
import type { Series } from '../../core/series.js';
import { openStore } from '../../store/index.js';
import { historyFromStore, trainModel } from '../../app/train.js';
import { progressBar, fmtMs } from '../progress.js';
import { opt, datasetSpec, nonEmpty, oneOf, time, paramsFor, check, fromThrowing, UsageError } from '../options.js';
import { parseThreshold } from './eval.js';

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('Train a detector on the (unlabelled) training parts of a dataset or on stored history, and write a model file')
    .addOption(opt('--dataset <spec>', 'dataset spec, e.g. synthetic:flink?machines=20&days=7 or csv:metrics.csv', datasetSpec))
    .addOption(opt('--db <path>', 'train on the history in this store instead (and record the model version there)', nonEmpty))
    .addOption(opt('--from <iso>', 'with --db: history from (ISO time or epoch ms)', time))
    .addOption(opt('--to <iso>', 'with --db: history up to', time))
    .addOption(opt('--out <file>', 'model file to write', nonEmpty).makeOptionMandatory())
    .addOption(opt('--detector <kind>', `detector kind (${detectorKinds().join(', ')})`, oneOf(detectorKinds()), 'ccl'))
    .addOption(opt('--threshold <rule>', 'threshold rule over the training scores: mad[:k], pNN or pot[:risk]', check(fromThrowing(parseThreshold)), 'mad:8'))
    .option('--param <kv...>', 'detector parameters, e.g. epochs=4 window=64 patchSizes=4,8', [])
    .action(async (o: { dataset?: string; db?: string; from?: number; to?: number; out: string; detector: string; threshold: string; param: string[] }) => {
      const params = paramsFor(o.detector, o.param);
      if (!!o.dataset === !!o.db) throw new UsageError('give exactly one of --dataset and --db');
      if (!o.db && (o.from !== undefined || o.to !== undefined)) throw new UsageError('--from and --to go with --db');
      if (o.from !== undefined && o.to !== undefined && o.from >= o.to) throw new UsageError(`--from ${new Date(o.from).toISOString()} is not before --to ${new Date(o.to).toISOString()}`);
      const rule = parseThreshold(o.threshold);
      if (rule.kind === 'paper') throw new UsageError("--threshold paper reads test scores (LEAKY): it is for `eval` reproductions only, never for a model");
      const store = o.db ? await openStore(o.db) : null;
      try {
        let history: Series[];
        let placement: Map<string, string[]>;
        if (store) {
          history = await historyFromStore(store, { from: o.from, to: o.to });
          if (history.length === 0) throw new Error(`no samples in ${o.db}${o.from || o.to ? ' in that time range' : ''}; run \`flinkscope collect\` first`);
          placement = await store.placements();
        } else {
          history = (await loadDataset(o.dataset!)).map((i) => i.train);
          placement = new Map(history.flatMap((h) => (Array.isArray(h.meta?.jobs) ? [[h.name, h.meta.jobs]] : [])));
        }
        const bar = progressBar('train [{bar}] epoch {value}/{total} {info}');
        let started = false;
        const model = await trainModel({
          history, kind: o.detector, params, threshold: rule, placement,
          provenance: { source: o.dataset ?? o.db, from: o.from ?? null, to: o.to ?? null, command: 'train' },
          onProgress: (p) => {
            if (!started) {
              bar.start(p.epochs, `train ${o.detector}`);
              started = true;
            }
            bar.update(p.epoch, { info: `loss ${p.loss.toFixed(4)}${p.valLoss !== undefined ? ` val ${p.valLoss.toFixed(4)}` : ''} ETA ${fmtMs(p.etaMs)}` });
          },
        });
        if (started) bar.stop();
        mkdirSync(dirname(o.out), { recursive: true });
        model.detector.save(o.out);
        const id = store ? await store.addModel(o.detector, o.out, { reason: 'manual', series: history.length, trainMs: Math.round(model.trainMs) }) : null;
        console.log(`model: ${o.out} (${o.detector}, ${history.length} series pooled, ${fmtMs(model.trainMs)}); threshold ${model.detector.threshold.toFixed(4)} (${model.detector.thresholdRule})${id !== null ? `; recorded as version #${id} in ${o.db}` : ''}`);
      } finally {
        await store?.close();
      }
    });
}
