// `flinkscope incidents`: the incident-level study (src/app/incident-study.ts) — clusters replayed through the product
// path per detector configuration and alarm policy; prints (and optionally writes) the tables docs/ccl.md quotes.
import type { Command } from 'commander';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { f2, feedbackStudy, incidentStudy, incidentStudyMarkdown, type PeriodResult, type StudyConfig, type StudyPolicy } from '../../app/incident-study.js';
import { parseBudget } from '../../inspect/levels.js';
import { parseSlo } from '../../inspect/breach.js';
import { parseThresholdRule as parseThreshold } from '../../eval/index.js';
import { parseParamsFor } from '../../detectors/index.js';
import { LAB_SPEC_SYNTAX } from '../../data/index.js';
import { opt, durationOrOff, retrainAfter } from '../options.js';

/** 'ccl' | 'ccl:peers=both;peerScore=mean' | 'zscore' → a configuration (parameters typed and checked by the kind). */
export function parseConfig(s: string): StudyConfig {
  const [kind, rest] = s.split(':', 2);
  const pairs = rest ? rest.split(';') : [];
  for (const kv of pairs) if (!/^[A-Za-z0-9]+=./.test(kv)) throw new Error(`--config '${s}': '${kv}' is not key=value (e.g. ccl:peers=both;peerScore=mean)`);
  return { name: s, kind, params: parseParamsFor(kind, pairs) };
}

/** 'mad:8' | 'p99' | 'budget:1/day', optionally followed by ',nohyst', ',nosustain' and/or ',persist=N' → an alarm
 *  policy. */
export function parsePolicy(s: string): StudyPolicy {
  const [rule, ...flags] = s.split(',');
  const watch: NonNullable<StudyPolicy['watch']> = {};
  for (const f of flags) {
    const p = /^persist=(\d+)$/.exec(f);
    if (p && Number(p[1]) >= 1) watch.minPoints = Number(p[1]);
    else if (f === 'nosustain') watch.sustainMs = 0;
    else if (f !== 'nohyst') throw new Error(`--alarms '${s}': unknown flag '${f}' (known: nohyst, nosustain, persist=N with N ≥ 1 points)`);
  }
  const hysteresis = !flags.includes('nohyst');
  const b = /^budget:(.+)$/.exec(rule);
  return { name: s, alarms: b ? { perDay: parseBudget(b[1]), hysteresis } : { rule: parseThreshold(rule), hysteresis }, ...(Object.keys(watch).length > 0 ? { watch } : {}) };
}

export function registerIncidents(program: Command): void {
  program
    .command('incidents')
    .description('Incident-level study: replay clusters through the product path per detector configuration and alarm policy (incident and page precision, hotspot recall, false pages per machine-day, events that paged, detection delay, breach lead)')
    .option('--cluster <spec...>', `clusters: synthetic:flink?machines=12&days=4&seed=7 or ${LAB_SPEC_SYNTAX}`, ['synthetic:flink?machines=12&days=4&seed=7'])
    .option('--config <c...>', 'detector configurations: kind[:key=value;…], e.g. ccl, ccl:peers=none, zscore', ['ccl'])
    .option('--alarms <p...>', 'alarm policies: mad:8 | pNN | budget:N/day, optionally ",nohyst" (no keep-open level), ",nosustain" (only the opening level opens) and/or ",persist=N" (an incident opens after N points at the opening level, instead of 3)', ['mad:8'])
    .option('--epochs <n>', 'training epochs of deep detectors', '4')
    .option('--slo <metric=limit...>', 'limits for the time-to-breach lead', [])
    .addOption(opt('--event-grace <d>', "an event holds its machines' incidents this long (default: the cluster's own scale — the product's 10 min, on flink-lab 60 scrapes; 0 = never)", durationOrOff))
    .addOption(opt('--retrain-after <d>', 'retrain this long after a failover, deploy or rescale, as `watch --retrain-after` (default: the event grace; off = never)', retrainAfter))
    .option('--feedback', 'instead: one round of operator feedback per cluster with the first configuration and policy (first half watched and labelled, retrained, second half judged)')
    .option('--keep-stores <dir>', "keep each replay's store under <dir>/<row> (by default they live in a temporary directory, deleted as each row is made)")
    .option('--json <file>', 'write the rows as JSON')
    .option('--out <file>', 'write the Markdown tables')
    .action(async (o: { cluster: string[]; config: string[]; alarms: string[]; epochs: string; slo: string[]; eventGrace?: number; retrainAfter?: number; feedback?: boolean; keepStores?: string; json?: string; out?: string }) => {
      const epochs = Number(o.epochs);
      if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs must be a positive integer, got '${o.epochs}'`);
      // each replay writes a whole store (~20 MB a flink-lab row; the study scripts' runs made over a gigabyte): a temporary
      // root, removed however the run ends
      const keepStores = o.keepStores !== undefined;
      const root = keepStores ? resolve(o.keepStores as string) : mkdtempSync(join(tmpdir(), 'flinkscope-incidents-'));
      if (keepStores && existsSync(root) && readdirSync(root).length > 0) throw new Error(`--keep-stores ${o.keepStores}: the directory is not empty (a replay would reopen an earlier run's store)`);
      try {
        await study(o, epochs, root, keepStores);
      } finally {
        if (!keepStores) rmSync(root, { recursive: true, force: true });
      }
    });
}

async function study(o: { cluster: string[]; config: string[]; alarms: string[]; slo: string[]; eventGrace?: number; retrainAfter?: number; feedback?: boolean; json?: string; out?: string }, epochs: number, root: string, keepStores: boolean): Promise<void> {
  const t0 = Date.now();
  if (o.feedback) {
    const results = [];
    for (const spec of o.cluster) {
      const r = await feedbackStudy(spec, parseConfig(o.config[0]), { epochs, dir: join(root, `feedback-${results.length}`), keepStores, alarms: parsePolicy(o.alarms[0]).alarms });
      results.push(r);
      const line = (name: string, p: PeriodResult) => `| ${name} | ${p.incidents} | ${f2(p.incident_precision)} | ${p.pages} | ${f2(p.page_precision)} | ${f2(p.recall)} | ${f2(p.recall_new)} | ${p.updates} (${p.false_updates}) | ${f2(p.false_pages_per_machine_day)} | ${f2(p.alarm_share)} |`;
      console.log(`**${spec}** — first half labelled: ${r.labelled.hotspot} hotspot, ${r.labelled.falseAlarm} false alarm, ${r.labelled.expected} expected; thresholds: first model ${r.thresholds.first.toFixed(2)}, retrained ${r.thresholds.retrained.toFixed(2)} (${r.historyRows.retrained} history rows), with the labels ${r.thresholds.withFeedback.toFixed(2)} (${r.historyRows.withFeedback} rows)\n`);
      console.log('| second half watched by | incidents | incident precision | pages | page precision | hotspot recall | by new alarms | updates (false) | false pages / machine-day | time in alarm |\n|---|---|---|---|---|---|---|---|---|---|');
      console.log([line('the first model', r.noRetrain), line('retrained, no labels', r.retrained), line('retrained with the labels', r.withFeedback)].join('\n') + '\n');
    }
    if (o.json) writeFileSync(o.json, JSON.stringify({ feedback: results }, null, 1));
    return;
  }
  const rows = await incidentStudy({
    clusters: o.cluster, configs: o.config.map(parseConfig), policies: o.alarms.map(parsePolicy), epochs,
    slo: o.slo.length ? parseSlo(o.slo) : undefined, eventGraceMs: o.eventGrace, retrainAfterEventMs: o.retrainAfter, dir: root, keepStores,
    onRow: (r) => process.stderr.write(`${r.cluster} | ${r.config} | ${r.policy}: ${r.incidents} incidents, precision ${r.incident_precision.toFixed(2)}, recall ${r.recall.toFixed(2)}, false pages/machine-day ${r.false_pages_per_machine_day.toFixed(2)}\n`),
  });
  const md = incidentStudyMarkdown(rows);
  console.log(`${md}\n(${rows.length} replays in ${((Date.now() - t0) / 60_000).toFixed(1)} min)`);
  for (const [file, text] of [[o.json, JSON.stringify({ rows }, null, 1)], [o.out, md]] as const) {
    if (!file) continue;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}
