// `flinkscope demo` (the README's `npm start`): the product path on an embedded store (src/app/demo.ts) — a bundled
// synthetic Flink cluster delivered to the store, CCL trained on its noisy history, every delivery scored by the
// watcher — then the inspection report in the terminal and as HTML, the check against the generator's ground truth,
// and the dashboard served from the same store (not in CI / non-interactive runs).
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDemo, runLabDemo, type DemoOptions } from '../../app/demo.js';
import { reportInput } from '../../app/report.js';
import { InspectionService } from '../../app/service.js';
import { renderMarkdown, renderHtml } from '../../inspect/report.js';
import { buildApi } from '../../server/api.js';
import { progressBar, fmtMs } from '../progress.js';
import { opt, check, each, fromThrowing, nonEmpty, nonNegativeInt, port, positiveInt, UsageError, labSpec, durationOrOff } from '../options.js';
import { parseBudget } from '../../inspect/levels.js';
import { parseSlo } from '../../inspect/breach.js';
import { LAB_SPEC_SYNTAX } from '../../data/index.js';

/** --slo values as limits (a metric given twice is a usage error). */
function sloOf(specs: string[]): Record<string, number> {
  try {
    return parseSlo(specs);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Run the whole product path on a bundled synthetic Flink cluster (or a flink-lab recording): store, train, watch, report, dashboard')
    .addOption(opt('--dataset <spec>', `replay a flink-lab recording instead of the synthetic cluster: ${LAB_SPEC_SYNTAX}`, labSpec))
    .addOption(opt('--machines <n>', 'machines in the demo cluster', check(positiveInt), '12'))
    .addOption(opt('--days <n>', 'days of history (half for training, half inspected)', check(positiveInt), '4'))
    .addOption(opt('--seed <n>', 'generator seed', check(nonNegativeInt), '7'))
    .addOption(opt('--epochs <n>', 'CCL training epochs', check(positiveInt), '4'))
    .addOption(opt('--out <dir>', 'where the store, the model and the report go', nonEmpty, '.flinkscope/demo'))
    .addOption(opt('--false-alarms <n/day>', 'false-alarm budget per machine-day (per-machine thresholds); default: the model\'s threshold rule', fromThrowing(parseBudget)))
    .addOption(opt('--sustain <d>', 'a score at or above the keep-open level this long opens an incident too (default: the quiet period; 0 = off)', durationOrOff))
    .option('--slo <metric=limit...>', 'limits per metric: rising incidents carry a time to breach (e.g. latency_ms=200)', each(check(fromThrowing((v: string) => parseSlo([v])))), [])
    .addOption(opt('--port <n>', 'dashboard port on 127.0.0.1 (0 = any free port)', check(port), '8080'))
    .option('--no-serve', 'do not serve the dashboard (default when CI is set or stdout is not a terminal)')
    .action(async (o: { machines: string; days: string; seed: string; epochs: string; out: string; port: string; serve: boolean; falseAlarms?: number; slo: string[]; dataset?: string; sustain?: number }) => {
      const t0 = Date.now();
      const epochs = Number(o.epochs);
      const bar = progressBar('train CCL [{bar}] epoch {value}/{total} {info}');
      const rbar = progressBar('inspect [{bar}] {value}/{total} samples {info}');
      let phase = 'train' as 'train' | 'inspect';
      bar.start(epochs, 'train CCL');
      const common: Omit<DemoOptions, 'machines' | 'days' | 'seed'> = {
        epochs, out: o.out,
        alarms: o.falseAlarms !== undefined ? { perDay: o.falseAlarms } : undefined,
        watch: o.slo.length || o.sustain !== undefined ? { ...(o.slo.length ? { slo: sloOf(o.slo) } : {}), ...(o.sustain !== undefined ? { sustainMs: o.sustain } : {}) } : undefined,
        onTrain: (p) => bar.update(p.epoch, { info: `loss ${p.loss.toFixed(4)}${p.valLoss !== undefined ? ` val ${p.valLoss.toFixed(4)}` : ''} ETA ${fmtMs(p.etaMs)}` }),
        onDelivery: (done, total) => {
          if (phase === 'train') {
            bar.stop();
            rbar.start(total, 'inspect');
            phase = 'inspect';
          }
          rbar.update(done, { info: '' });
        },
      };
      const r = o.dataset ? await runLabDemo({ ...common, dataset: o.dataset }) : await runDemo({ ...common, machines: Number(o.machines), days: Number(o.days), seed: Number(o.seed) });
      if ((phase as string) === 'inspect') rbar.stop();
      else bar.stop();
      const c = r.cluster;
      const rec = r.recording;
      if (rec) console.log(`recording ${rec.dir}: ${rec.machines} TaskManagers; ${rec.trainRows} rows of history per machine (faults inside, unlabelled), ${rec.inspectedRows} inspected delivery by delivery through the store with ${rec.events} Flink events; ${rec.faults} recorded faults judged`);
      if (c) console.log(`cluster: ${c.machines.length} machines × ${Object.keys(c.machines[0].frame).length} Flink metrics, ${c.jobs.length} jobs; ${c.trainEnd} samples of history per machine (≈10 % unlabelled hotspots inside), ${c.T - c.trainEnd} inspected delivery by delivery through the store`);
      console.log(`trained in ${fmtMs(r.trainMs)}; threshold ${r.threshold.toFixed(3)} (${r.thresholdRule} of training scores); alarms: ${r.alarmRule}; model: ${r.modelPath}; store: ${r.store.location}`);
      const input = await reportInput(r.store);
      console.log('\n' + renderMarkdown(input));
      console.log(`## All incidents of the inspected period (${r.incidents.length})\n`);
      console.log('| id | machine | type | onset | state | why |\n|---|---|---|---|---|---|');
      for (const i of r.incidents) {
        const why = i.explanation.slice(0, 3).map((x) => `${x.name} ${(x.share * 100).toFixed(0)}%`).join(', ') +
          (i.cause ? `; likely caused by ${i.cause.machine} downstream (busy ${i.cause.busy.toFixed(0)} ms/s)` : '') +
          (i.movers.length ? `; job moved most: ${i.movers[0].job} (${i.movers[0].metric} ${i.movers[0].meanZ >= 0 ? '+' : ''}${i.movers[0].meanZ.toFixed(1)}σ)` : '');
        console.log(`| ${i.id} | ${i.machine} | ${i.type} | ${new Date(i.onset).toISOString().slice(0, 16)} | ${i.state} | ${why} |`);
      }
      const t = r.truth;
      const im = r.metrics;
      if (t) console.log(`\nground truth: ${t.found}/${t.hotspots} injected hotspots raised an incident, ${t.typed} with the right type; ${t.falseIncidents} incidents are not the one speaking for a hotspot.`);
      console.log(`incidents: ${im.incidents}${im.symptoms ? ` (+${im.symptoms} shown as symptoms of another, not paged)` : ''}${im.after_effects ? ` (+${im.after_effects} shown as after-effects of ${rec ? 'failovers' : 'restarts'}, not paged)` : ''}, precision ${im.incident_precision.toFixed(2)} (matching a hotspot), hotspot recall ${im.fault_recall.toFixed(2)} (${im.fault_recall_new.toFixed(2)} by incidents that began, paged or sent an update for them), median detection delay ${(im.median_delay / 60_000).toFixed(0)} min; pages ${im.pages}, false pages ${im.false_pages} (${im.false_pages_per_machine_day.toFixed(2)} per machine-day); updates ${im.updates}, false ${im.false_updates}; ${rec ? 'failovers' : 'restarts'} that paged: ${im.events_paged}/${im.events}.`);
      if (r.breach) console.log(`time to breach: ${r.breach.warnedAhead}/${r.breach.breached} hotspots that crossed a limit were warned before the crossing (median lead ${Number.isFinite(r.breach.medianLeadMs) ? (r.breach.medianLeadMs / 60_000).toFixed(0) + ' min' : '—'}).`);
      console.log(`by kind: ${Object.entries(im.by_kind).map(([k, v]) => `${k} ${v.detected}/${v.faults} (median delay ${Number.isFinite(v.median_delay) ? (v.median_delay / 60_000).toFixed(0) + ' min' : '—'})`).join(', ')}`);
      if (t) console.log(`jobs: on ${t.jobsBlamed}/${t.jobsJudged} found hotspots of machines running several jobs, the job that moved most is the one the hotspot was put on.`);
      if (t?.bpTotal) console.log(`back-pressure: ${t.bpNamed}/${t.bpTotal} injected cascades have an incident naming the right downstream machine as the cause.`);
      const lat = [...r.latenciesMs].sort((a, b) => a - b);
      console.log(`latency from a delivery's arrival (all machines) to its stored scores/incidents: median ${lat[lat.length >> 1].toFixed(1)} ms, p99 ${lat[Math.floor(lat.length * 0.99)].toFixed(1)} ms`);
      const htmlPath = join(o.out, 'report.html');
      writeFileSync(htmlPath, renderHtml(input));
      console.log(`HTML report: ${htmlPath}   (total ${fmtMs(Date.now() - t0)})`);

      const interactive = o.serve && process.stdout.isTTY && !process.env.CI;
      if (!interactive) {
        await r.store.close();
        return;
      }
      const app = buildApi(new InspectionService(r.store));
      const addr = await app.listen({ host: '127.0.0.1', port: Number(o.port) });
      console.log(`\ndashboard: ${addr}/  (Ctrl-C to stop; the same data: flinkscope serve --db ${r.store.location})`);
    });
}
