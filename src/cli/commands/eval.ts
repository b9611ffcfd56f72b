// `flinkscope eval`: the benchmark runner with a progress bar, a leaderboard, optional JSON results and HTML report.
import type { Command } from 'commander';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { runEval, leaderboardMarkdown, renderEvalHtml, type Case, type ResultRow, type ThresholdRule } from '../../eval/index.js';
import { detectorKinds } from '../../detectors/index.js';
import { progressBar, parseDetectorParams, fmtMs } from '../progress.js';
import { column } from '../../core/series.js';

export function parseThreshold(s: string): ThresholdRule {
  const p = /^p(\d+(\.\d+)?)$/.exec(s);
  if (p) return { kind: 'percentile', q: Number(p[1]) / 100 };
  const mad = /^mad(?::(.+))?$/.exec(s);
  if (mad) return { kind: 'mad', k: mad[1] ? Number(mad[1]) : 8 };
  const pot = /^pot(?::(.+))?$/.exec(s);
  if (pot) return { kind: 'pot', risk: pot[1] ? Number(pot[1]) : 1e-3 };
  const paper = /^paper(?::(.+))?$/.exec(s);
  if (paper) return { kind: 'paper', ratio: paper[1] ? Number(paper[1]) : 1 };
  throw new Error(`--threshold '${s}' is not mad[:k] (median + k·MAD of training scores), pNN (percentile, e.g. p99) or pot[:risk]`);
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('Train on each series\' training part, score its test part, and print the leaderboard (thresholds from training scores only)')
    .requiredOption('--dataset <spec...>', 'dataset specs: synthetic:flink?…, nab:<dir>, smd:<dir>, psm:<dir>, csv:<file>, parquet:<file>')
    .option('--detectors <list>', `comma-separated detector kinds (known: ${detectorKinds().join(', ')})`, 'ccl,iforest,zscore')
    .option('--seeds <n>', 'seeds per run', '1')
    .option('--param <kv...>', 'detector parameter overrides, e.g. ccl.epochs=3', [])
    .option('--threshold <rule>', 'from training scores: mad[:k] (median + k·MAD, robust to contamination), pNN (percentile) or pot[:risk]; paper[:ratio%] reproduces the published CCL protocol (percentile of train + test scores: LEAKY, labelled)', 'mad:8')
    .option('--max-series <n>', 'only the first n series of each dataset')
    .option('--json <file>', 'write {"results":[…]} here')
    .option('--report <file>', 'write an HTML report with plots of the best and worst runs')
    .action(async (o: { dataset: string[]; detectors: string; seeds: string; param: string[]; threshold: string; maxSeries?: string; json?: string; report?: string }) => {
      const detectors = o.detectors.split(',').map((d) => d.trim()).filter(Boolean);
      for (const d of detectors) if (!detectorKinds().includes(d)) throw new Error(`unknown detector '${d}' (known: ${detectorKinds().join(', ')})`);
      const seeds = Number(o.seeds);
      if (!Number.isInteger(seeds) || seeds < 1) throw new Error(`--seeds must be a positive integer, got '${o.seeds}'`);
      const bar = progressBar();
      const best = new Map<string, Case>();
      const worst = new Map<string, Case>();
      const t0 = Date.now();
      const rows = await runEval({
        datasets: o.dataset,
        detectors,
        seeds,
        params: parseDetectorParams(o.param),
        threshold: parseThreshold(o.threshold),
        maxSeries: o.maxSeries ? Number(o.maxSeries) : undefined,
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
