// `flinkscope study` (npm run study): regenerates docs/results.md and docs/results.json — the leaderboard on the
// synthetic Flink benchmark and the real dev data, noise robustness (training contamination 0 / 5 / 10 / 20 %), and
// CCL ablations. Everything uses the honest protocol: fit on training parts, thresholds from training scores only.
import type { Command } from 'commander';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { runEval, leaderboardMarkdown, leaderboard, type ResultRow, type ThresholdRule } from '../../eval/index.js';
import { progressBar, fmtMs } from '../progress.js';
import { opt, check, existingFile, listOf, nonEmpty, positiveInt, withExtension } from '../options.js';
import { detectorKinds } from '../../detectors/index.js';

const ALL = ['ccl', 'dcdetector', 'anomaly-transformer', 'usad', 'transformer-ae', 'iforest', 'zscore', 'knn', 'matrix-profile'];

export function registerStudy(program: Command): void {
  program
    .command('study')
    .description('Run the whole study (leaderboard, noise robustness, ablations) and write docs/results.md')
    .addOption(opt('--data <dir>', 'directory holding NAB-dev, SMD-dev and ASD', nonEmpty, '../shared/data'))
    .addOption(opt('--machines <n>', 'machines of the synthetic benchmark', check(positiveInt), '6'))
    .addOption(opt('--days <n>', 'days of the synthetic benchmark', check(positiveInt), '4'))
    .addOption(opt('--seeds <n>', 'seeds per run', check(positiveInt), '1'))
    .addOption(opt('--max-series <n>', 'series per real dataset', check(positiveInt), '2'))
    .addOption(opt('--noise-series <n>', 'synthetic machines used by the noise and ablation runs', check(positiveInt), '3'))
    .addOption(opt('--epochs <n>', 'training epochs of every deep detector', check(positiveInt), '4'))
    .addOption(opt('--detectors <list>', 'detectors', check(listOf(detectorKinds, 'detector')), ALL.join(',')))
    .addOption(opt('--out <file>', 'Markdown output', withExtension(['.md']), 'docs/results.md'))
    .addOption(opt('--reuse <json>', 'take the leaderboard and noise sections from this earlier results JSON (same settings) and run only the ablations', existingFile))
    .action(async (o: { data: string; noiseSeries: string; epochs: string; machines: string; days: string; seeds: string; maxSeries: string; detectors: string; out: string; reuse?: string }) => {
      const detectors = o.detectors.split(',');
      const seeds = Number(o.seeds);
      const syn = (c: number): string => `synthetic:flink?machines=${o.machines}&days=${o.days}&contamination=${c}&seed=2`;
      const bar = progressBar();
      const t0 = Date.now();
      // the same training budget for every deep detector; the matrix profile's reference is capped for time
      const epochs = Number(o.epochs);
      const budget: Record<string, Record<string, unknown>> = Object.fromEntries(['ccl', 'dcdetector', 'anomaly-transformer', 'usad', 'transformer-ae'].map((d) => [d, { epochs }]));
      budget['matrix-profile'] = { maxTrain: 1000 };
      const run = async (label: string, datasets: string[], dets: string[], params: Record<string, Record<string, unknown>> = {}, maxSeries?: number, threshold?: ThresholdRule): Promise<ResultRow[]> => {
        const merged = Object.fromEntries(dets.map((d) => [d, { ...(budget[d] ?? {}), ...(params[d] ?? {}) }]));
        const rows = await runEval({
          datasets, detectors: dets, seeds, params: merged, maxSeries, threshold,
          onStart: (n) => bar.start(n, label),
          onResult: (r, done) => bar.update(done, { info: `${r.detector} ${r.dataset}/${r.series} F1 ${r.f1.toFixed(3)} (${fmtMs(r.train_ms)})` }),
        });
        bar.stop();
        return rows;
      };
      const real = [`smd:${o.data}/SMD-dev`, `smd:${o.data}/ASD`, `nab:${o.data}/NAB-dev?subset=realTraffic,realAdExchange,artificialWithAnomaly`];
      const reused = o.reuse ? (JSON.parse(readFileSync(o.reuse, 'utf8')) as { results: ResultRow[]; noise: ResultRow[]; elapsedMs?: number }) : null;
      const main = reused?.results ?? [...(await run('leaderboard synthetic', [syn(0.1)], detectors)), ...(await run('leaderboard real', real, detectors, {}, Number(o.maxSeries)))];
      const noise: ResultRow[] = reused?.noise ?? [];
      if (!reused) {
        for (const c of [0, 0.05, 0.2]) noise.push(...(await run(`noise ${c}`, [syn(c)], detectors, {}, Number(o.noiseSeries))));
        noise.push(...main.filter((r) => r.dataset.startsWith('synthetic')).filter((r) => Number(r.series.slice(3)) <= Number(o.noiseSeries)));
      }
      const ablations: ResultRow[] = [];
      const variants: Record<string, Record<string, unknown>> = {
        'ccl (full)': {}, 'no cross-contrast': { crossContrast: false }, 'no boundary loss': { boundary: false }, 'global only': { views: 'global' }, 'local only': { views: 'local' },
        'published formulation': { formulation: 'published' },
      };
      for (const [name, p] of Object.entries(variants)) {
        const rows = await run(`ablation ${name}`, [syn(0.1)], ['ccl'], { ccl: p }, Number(o.noiseSeries));
        ablations.push(...rows.map((r) => ({ ...r, detector: name })));
      }
      // the published evaluation protocol, reproduced and labelled: its threshold reads the test scores (LEAKY)
      for (const [name, p] of [['published, paper protocol (LEAKY)', { formulation: 'published' }], ['ccl (full), paper protocol (LEAKY)', {}]] as const) {
        const rows = await run(`ablation ${name}`, [syn(0.1)], ['ccl'], { ccl: p }, Number(o.noiseSeries), { kind: 'paper', ratio: 10 });
        ablations.push(...rows.map((r) => ({ ...r, detector: name })));
      }
      const board = leaderboard(main);
      const synName = main.find((r) => r.dataset.startsWith('synthetic'))?.dataset ?? '';
      const f1Of = (d: string): number => board.get(d)?.get(synName)?.f1.mean ?? NaN;
      const bestBase = Math.max(...detectors.filter((d) => d !== 'ccl').map(f1Of).filter(Number.isFinite));
      const cclF1 = f1Of('ccl');
      const md = [
        '# flinkscope — results',
        '',
        `Generated by \`npm run study\` (${new Date().toISOString()}, ${fmtMs(Date.now() - t0)} on this machine${reused ? `; sections 1–2 taken from ${o.reuse}, a run with the same settings` : ''}). Protocol: every detector is fit on the`,
        'training part of each series without labels; the threshold is median + 8·MAD of its own training scores (robust to',
        'contaminated training data; k = 8 was chosen on the development instance `synthetic:flink` seed 1, not on these runs);',
        'metrics on the test part. Point-adjusted F1 (pa_f1) is shown only next to plain F1 and affiliation F1.',
        `Deep detectors: ${o.epochs} epochs each. Synthetic benchmark: \`${syn(0.1)}\`. Real data: SMD-dev, ASD (first ${o.maxSeries} series each) and NAB-dev (realTraffic, realAdExchange, artificialWithAnomaly; first ${o.maxSeries}). Seeds: ${seeds}.`,
        '',
        '## Target check',
        '',
        `CCL F1 on the synthetic Flink benchmark at 10 % contamination: **${cclF1.toFixed(3)}**; best baseline: **${bestBase.toFixed(3)}**; ` +
          `target (best × 1.121): ${(bestBase * 1.121).toFixed(3)} — **${cclF1 >= bestBase * 1.121 ? 'met' : 'NOT met'}**.`,
        '',
        '## 1. Leaderboard',
        '',
        leaderboardMarkdown(main),
        '',
        `## 2. Noise robustness (synthetic, first ${o.noiseSeries} machines, training contamination 0 / 5 / 10 / 20 %)`,
        '',
        leaderboardMarkdown(noise, ['f1', 'aff_f1', 'auc_pr']),
        '',
        `## 3. CCL ablations (synthetic, first ${o.noiseSeries} machines, 10 % contamination)`,
        '',
        'Rows marked LEAKY use the published evaluation protocol (threshold = 90th percentile of train + test scores, i.e. it',
        'reads the test data and the true anomaly share; the paper reports point-adjusted F1): a reproduction, not a result.',
        '',
        leaderboardMarkdown(ablations, ['f1', 'pa_f1', 'aff_f1', 'vus_pr', 'auc_pr']),
        '',
      ].join('\n');
      mkdirSync(dirname(o.out), { recursive: true });
      writeFileSync(o.out, md);
      writeFileSync(o.out.replace(/\.md$/, '.json'), JSON.stringify({ results: main, noise, ablations }, null, 1));
      console.log(md);
    });
}
