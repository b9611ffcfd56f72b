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
import { progressBar, fmtMs, parseValue } from '../progress.js';
import { parseThreshold } from './eval.js';

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('Train a detector on the (unlabelled) training parts of a dataset or on stored history, and write a model file')
    .option('--dataset <spec>', 'dataset spec, e.g. synthetic:flink?machines=20&days=7 or csv:metrics.csv')
    .option('--db <path>', 'train on the history in this store instead (and record the model version there)')
    .option('--from <iso>', 'with --db: history from (ISO time or epoch ms)')
    .option('--to <iso>', 'with --db: history up to')
    .requiredOption('--out <file>', 'model file to write')
    .option('--detector <kind>', `detector kind (${detectorKinds().join(', ')})`, 'ccl')
    .option('--threshold <rule>', 'threshold rule over the training scores: mad[:k], pNN or pot[:risk]', 'mad:8')
    .option('--param <kv...>', 'detector parameters, e.g. epochs=4 window=64', [])
    .action(async (o: { dataset?: string; db?: string; from?: string; to?: string; out: string; detector: string; threshold: string; param: string[] }) => {
      const params: Record<string, unknown> = {};
      for (const kv of o.param) {
        const m = /^([A-Za-z0-9]+)=(.*)$/.exec(kv);
        if (!m) throw new Error(`--param '${kv}' is not key=value`);
        params[m[1]] = parseValue(m[2]);
      }
      if (!!o.dataset === !!o.db) throw new Error('give exactly one of --dataset and --db');
      const time = (s: string | undefined, d: number): number => (s === undefined ? d : /^\d+$/.test(s) ? Number(s) : Date.parse(s));
      const store = o.db ? await openStore(o.db) : null;
      try {
        let history: Series[];
        let placement: Map<string, string[]>;
        if (store) {
          history = await historyFromStore(store, { from: time(o.from, -Infinity), to: time(o.to, Infinity) });
          if (history.length === 0) throw new Error(`no samples in ${o.db}${o.from || o.to ? ' in that time range' : ''}; run \`flinkscope collect\` first`);
          placement = await store.placements();
        } else {
          history = (await loadDataset(o.dataset!)).map((i) => i.train);
          placement = new Map(history.flatMap((h) => (Array.isArray(h.meta?.jobs) ? [[h.name, h.meta.jobs]] : [])));
        }
        const bar = progressBar('train [{bar}] epoch {value}/{total} {info}');
        let started = false;
        const model = await trainModel({
          history, kind: o.detector, params, threshold: parseThreshold(o.threshold), placement,
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
