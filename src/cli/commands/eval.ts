// `flinkscope eval`: the benchmark runner with a progress bar, a leaderboard, optional JSON results and HTML report.
import type { Command } from 'commander';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { runEval, boardsMarkdown, provenanceMarkdown, renderEvalHtml, parseThresholdRule, parseThresholdRules, parseCalibration, type Case, type ResultRow, type ThresholdRule } from '../../eval/index.js';
import { detectorKinds } from '../../detectors/index.js';
import { progressBar, fmtMs } from '../progress.js';
import { opt, check, each, datasetSpec, listOf, positiveInt, nonEmpty, fromThrowing, detectorParams, duration } from '../options.js';
import { productIncidentsOf } from '../../app/product-incidents.js';
import { column } from '../../core/series.js';
import { PERSIST_POINTS } from '../../inspect/levels.js';

/** One threshold rule, as the product's options take it (watch, train): 'mad:8', 'p99', 'pot:0.001'. */
export function parseThreshold(s: string): ThresholdRule {
  return parseThresholdRule(s);
}

/** The progress line of one run: where, fit and score time, F1 per rule (flags nothing shown as such). */
export function runInfo(rows: ResultRow[]): string {
  const r = rows[0];
  const f1s = rows.map((x) => `${rows.length > 1 ? `${x.rule} ` : ''}${x.flagged === 0 ? 'flags nothing' : `F1 ${x.f1.toFixed(3)}`}`).join(', ');
  return `${r.detector} ${r.dataset}/${r.series} seed ${r.seed}: fit ${fmtMs(r.fit_ms)}, score ${fmtMs(r.score_ms)}; ${f1s}`;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('Fit on each series\' training part, threshold from held-out calibration scores, score its test part, and print the leaderboard with its provenance')
    .addOption(opt('--dataset <spec...>', 'dataset specs: synthetic:flink?…, nab:<dir>[?subset=…], smd:<dir>, csvdir:<dir>?name=…, psm:<dir>, csv:<file>, parquet:<file>, flink-lab:<dir> (any takes name=…)', datasetSpec).argParser(each(datasetSpec)).makeOptionMandatory())
    .addOption(opt('--detectors <list>', `comma-separated detector kinds (known: ${detectorKinds().join(', ')})`, listOf(detectorKinds, 'detector'), 'ccl,iforest,zscore'))
    .addOption(opt('--seeds <n>', 'seeds per run', positiveInt, '1'))
    .option('--param <kv...>', 'detector parameter overrides, e.g. ccl.epochs=3', [])
    .addOption(opt('--threshold <rules>', 'comma-separated threshold rules, one row each: mad[:k] (median + k·MAD, robust to contamination), pNN (percentile), pot[:risk]; paper[:ratio%] reproduces the published CCL protocol (percentile of calibration + test scores: LEAKY, labelled)', check(fromThrowing(parseThresholdRules)), 'mad:8'))
    .addOption(opt('--calibration <c>', 'where thresholds come from: tail[:share] (fit on the rest of training, rules on the held-out end) or none (the training data\'s own scores)', check(fromThrowing(parseCalibration)), 'tail:0.2'))
    .addOption(opt('--hold <k>', `read every detector's test and calibration scores as held for k points (each the lowest of its last k): the reading of the product's persistence (${PERSIST_POINTS} points); 1 = the points as scored. Point metrics only: --incidents reads the points as scored, its persistence holds them itself`, positiveInt, '1'))
    .addOption(opt('--max-series <n>', 'only the first n usable series of each dataset', positiveInt))
    .option('--incidents', 'also judge the incidents the product would raise from each run\'s scores (its persistence and quiet period; src/app/product-incidents.ts): incident precision, fault recall, median delay, false pages per machine-day')
    .addOption(opt('--quiet <d>', 'with --incidents: the quiet period after which an incident resolves, also the match slack (default 10m; 2m for flink-lab recordings, which scrape every 2 s and compress a day into 20 min — their incidents are always judged)', duration, '10m'))
    .addOption(opt('--json <file>', 'write {"provenance": …, "results": […]} here', nonEmpty))
    .addOption(opt('--report <file>', 'write an HTML report with plots of the best and worst runs', nonEmpty))
    .action(async (o: { dataset: string[]; detectors: string[]; seeds: number; param: string[]; threshold: string; calibration: string; hold: number; maxSeries?: number; incidents?: boolean; quiet: number; json?: string; report?: string }, cmd: Command) => {
      // recorded clusters come with their faults: their incidents are judged without being asked, on their time
      // scale (2-s scrapes, a day compressed into 20 min: the product's 10-min quiet period is 60 scrapes = 2 min)
      if (o.dataset.some((d) => d.startsWith('flink-lab:'))) {
        o.incidents = true;
        if (cmd.getOptionValueSource('quiet') !== 'cli') o.quiet = 120_000;
      }
      const rules = parseThresholdRules(o.threshold);
      const calibration = parseCalibration(o.calibration);
      const bar = progressBar();
      const best = new Map<string, Case>();
      const worst = new Map<string, Case>();
      const { rows, reference, provenance, incidents } = await runEval({
        incidentsOf: o.incidents ? productIncidentsOf({ quietMs: o.quiet }) : undefined,
        incidentSlackMs: o.incidents ? o.quiet : undefined,
        datasets: o.dataset,
        detectors: o.detectors,
        seeds: o.seeds,
        params: detectorParams(o.param),
        rules,
        calibration,
        hold: o.hold,
        maxSeries: o.maxSeries,
        onSkip: (s) => console.error(`skipped ${s.spec} ${s.series}: ${s.reason}`),
        onStart: (n) => bar.start(n, 'eval'),
        onResult: (rs, done) => bar.update(done, { info: runInfo(rs) }),
        onScores: o.report
          ? (rs, item, scores) => {
              const row = rs[0]; // best / worst by the first rule
              const c: Case = { row, values: column(item.test, 0), scores, labels: item.test.labels! };
              if (!best.has(row.detector) || row.f1 > best.get(row.detector)!.row.f1) best.set(row.detector, c);
              if (!worst.has(row.detector) || row.f1 < worst.get(row.detector)!.row.f1) worst.set(row.detector, c);
            }
          : undefined,
      });
      bar.stop();
      console.log(`\n${rows.length / rules.length} runs × ${rules.length} rule(s) in ${fmtMs(provenance.elapsed_ms)}. Point-adjusted F1 (pa_f1) is shown next to plain and affiliation F1, never alone.\n`);
      console.log(provenanceMarkdown(provenance));
      console.log(`\n${boardsMarkdown(rows, reference)}`);
      if (o.incidents) {
        const f = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : '—');
        console.log(`\nIncidents the product would raise (persistence; quiet period and match slack ${fmtMs(o.quiet)}):\n`);
        console.log('| dataset | detector | rule | incidents | incident precision | faults | fault recall | by new alarms | updates (false) | median delay (min) | false pages / machine-day | time in alarm |\n|---|---|---|---|---|---|---|---|---|---|---|---|');
        for (const r of incidents) console.log(`| ${r.dataset} | ${r.detector} | ${r.rule} | ${r.incidents} | ${f(r.incident_precision)} | ${r.faults} | ${f(r.fault_recall)} | ${f(r.fault_recall_new)} | ${r.updates} (${r.false_updates}) | ${f(r.median_delay / 60_000, 1)} | ${f(r.false_pages_per_machine_day)} | ${f(r.alarm_share)} |`);
      }
      if (o.json) {
        mkdirSync(dirname(o.json), { recursive: true });
        writeFileSync(o.json, JSON.stringify({ provenance, results: rows, reference, ...(o.incidents ? { incidents } : {}) }, null, 1));
        console.log(`\nresults: ${o.json}`);
      }
      if (o.report) {
        mkdirSync(dirname(o.report), { recursive: true });
        writeFileSync(o.report, renderEvalHtml(rows, [...best.values(), ...worst.values()], provenance, undefined, reference));
        console.log(`report: ${o.report}`);
      }
    });
}
