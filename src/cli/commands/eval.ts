// `flinkscope eval`: the benchmark runner with a progress bar, a leaderboard, optional JSON results and HTML report.
import type { Command } from 'commander';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { runEval, leaderboardMarkdown, renderEvalHtml, type Case, type ResultRow, type ThresholdRule } from '../../eval/index.js';
import { detectorKinds } from '../../detectors/index.js';
import { progressBar, fmtMs } from '../progress.js';
import { opt, check, each, datasetSpec, listOf, positiveInt, nonEmpty, fromThrowing, detectorParams } from '../options.js';
import { column } from '../../core/series.js';

export function parseThreshold(s: string): ThresholdRule {
  // every number of a rule must be a plain decimal in its range: 'mad:abc' is an error, not k = NaN
  const num = (raw: string | undefined, dflt: number, ok: (x: number) => boolean, what: string): number => {
    const x = raw === undefined ? dflt : /^\d+(\.\d+)?(e-?\d+)?$/i.test(raw) ? Number(raw) : NaN;
    if (!ok(x)) throw new Error(`--threshold '${s}': ${what}`);
    return x;
  };
  const p = /^p(\d+(\.\d+)?)$/.exec(s);
  if (p) return { kind: 'percentile', q: num(p[1], 0, (x) => x > 0 && x < 100, 'the percentile must be in (0, 100)') / 100 };
  const mad = /^mad(?::(.+))?$/.exec(s);
  if (mad) return { kind: 'mad', k: num(mad[1], 8, (x) => x > 0, 'k must be a number > 0') };
  const pot = /^pot(?::(.+))?$/.exec(s);
  if (pot) return { kind: 'pot', risk: num(pot[1], 1e-3, (x) => x > 0 && x < 1, 'the risk must be in (0, 1)') };
  const paper = /^paper(?::(.+))?$/.exec(s);
  if (paper) return { kind: 'paper', ratio: num(paper[1], 1, (x) => x > 0 && x < 100, 'the ratio must be a percentage in (0, 100)') };
  throw new Error(`--threshold '${s}' is not mad[:k] (median + k·MAD of training scores), pNN (percentile, e.g. p99) or pot[:risk]`);
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('Train on each series\' training part, score its test part, and print the leaderboard (thresholds from training scores only)')
    .addOption(opt('--dataset <spec...>', 'dataset specs: synthetic:flink?…, nab:<dir>, smd:<dir>, psm:<dir>, csv:<file>, parquet:<file>', datasetSpec).argParser(each(datasetSpec)).makeOptionMandatory())
    .addOption(opt('--detectors <list>', `comma-separated detector kinds (known: ${detectorKinds().join(', ')})`, listOf(detectorKinds, 'detector'), 'ccl,iforest,zscore'))
    .addOption(opt('--seeds <n>', 'seeds per run', positiveInt, '1'))
    .option('--param <kv...>', 'detector parameter overrides, e.g. ccl.epochs=3', [])
    .addOption(opt('--threshold <rule>', 'from training scores: mad[:k] (median + k·MAD, robust to contamination), pNN (percentile) or pot[:risk]; paper[:ratio%] reproduces the published CCL protocol (percentile of train + test scores: LEAKY, labelled)', check(fromThrowing(parseThreshold)), 'mad:8'))
    .addOption(opt('--max-series <n>', 'only the first n series of each dataset', positiveInt))
    .addOption(opt('--json <file>', 'write {"results":[…]} here', nonEmpty))
    .addOption(opt('--report <file>', 'write an HTML report with plots of the best and worst runs', nonEmpty))
    .action(async (o: { dataset: string[]; detectors: string[]; seeds: number; param: string[]; threshold: string; maxSeries?: number; json?: string; report?: string }) => {
      const detectors = o.detectors;
      const seeds = o.seeds;
      const params = detectorParams(o.param);
      const bar = progressBar();
      const best = new Map<string, Case>();
      const worst = new Map<string, Case>();
      const t0 = Date.now();
      const rows = await runEval({
        datasets: o.dataset,
        detectors,
        seeds,
        params,
        threshold: parseThreshold(o.threshold),
        maxSeries: o.maxSeries,
        onStart: (n) => bar.start(n, 'eval'),
        onResult: (r: ResultRow, done) => bar.update(done, { info: `${r.detector} ${r.dataset}/${r.series} F1 ${r.f1.toFixed(3)} (${fmtMs(r.train_ms)})` }),
        onScores: o.report
          ? (row, item, scores) => {
              const c: Case = { row, values: column(item.test, 0), scores, labels: item.test.labels! };
              if (!best.has(row.detector) || row.f1 > best.get(row.detector)!.row.f1) best.set(row.detector, c);
              if (!worst.has(row.detector) || row.f1 < worst.get(row.detector)!.row.f1) worst.set(row.detector, c);
            }
          : undefined,
      });
      bar.stop();
      console.log(`\n${rows.length} runs in ${fmtMs(Date.now() - t0)}; thresholds: ${o.threshold.startsWith('paper') ? `${o.threshold} — LEAKY paper protocol (percentile of train + test scores), a reproduction only, not a result` : `${o.threshold} of training scores`}. Point-adjusted F1 (pa_f1) is shown next to plain and affiliation F1, never alone.\n`);
      console.log(leaderboardMarkdown(rows));
      if (o.json) {
        mkdirSync(dirname(o.json), { recursive: true });
        const keep = ['dataset', 'series', 'detector', 'seed', 'precision', 'recall', 'f1', 'pa_f1', 'aff_precision', 'aff_recall', 'aff_f1', 'vus_pr', 'range_auc_pr', 'auc_pr', 'auc_roc', 'delay', 'event_recall', 'threshold', 'train_ms', 'score_ms'] as const;
        writeFileSync(o.json, JSON.stringify({ results: rows.map((r) => Object.fromEntries(keep.map((k) => [k, r[k]]))) }, null, 1));
        console.log(`\nresults: ${o.json}`);
      }
      if (o.report) {
        mkdirSync(dirname(o.report), { recursive: true });
        writeFileSync(o.report, renderEvalHtml(rows, [...best.values(), ...worst.values()]));
        console.log(`report: ${o.report}`);
      }
    });
}
