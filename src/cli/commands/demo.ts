// `flinkscope demo` (the README's `npm start`): a bundled synthetic Flink cluster (generated from a fixed seed, no
// download, no server) → train CCL on its noisy, unlabelled history → replay the following days through the online
// scorer → ranked machines, typed and explained incidents, checked against the generator's ground truth → the
// inspection report in the terminal and as HTML → the dashboard on 127.0.0.1 (not in CI / non-interactive runs).
import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCluster, clusterSeries, jobSamples, culpritJob, type GeneratedHotspot } from '../../data/index.js';
import { jobMovers, type JobMover } from '../../inspect/explain.js';
import { trainClusterModel, replay } from '../../inspect/pipeline.js';
import { rankMachines, healthSummary } from '../../inspect/ranking.js';
import { renderMarkdown, renderHtml } from '../../inspect/report.js';
import type { Incident } from '../../core/incident.js';
import { backpressureCause, seriesActivity, type BackpressureCause } from '../../inspect/propagation.js';
import { buildApi, metricColumns } from '../../server/api.js';
import { progressBar, fmtMs } from '../progress.js';
import { opt, check, nonEmpty, nonNegativeInt, port, positiveInt } from '../options.js';

const TYPE_OF: Record<string, string> = { 'slow-rise': 'trend', plateau: 'sustained-high', spike: 'spike', 'level-shift': 'level-shift', backpressure: 'backpressure' };

/** Ground-truth hotspots found by an incident on the same machine that overlaps them. */
export function matchHotspots(hotspots: GeneratedHotspot[], incidents: Incident[], tsOf: (i: number) => number, slackMs: number): { found: number; typed: number; falseIncidents: number } {
  let found = 0;
  let typed = 0;
  const used = new Set<string>();
  for (const h of hotspots) {
    const a = tsOf(h.start) - slackMs;
    const b = tsOf(h.end - 1) + slackMs;
    // the longest incident overlapping the hotspot speaks for it
    const hit = incidents.filter((i) => i.machine === h.machine && i.onset <= b && i.lastSeen >= a).sort((x, y) => y.lastSeen - y.onset - (x.lastSeen - x.onset))[0];
    if (hit) {
      found++;
      used.add(hit.id);
      if (hit.type === TYPE_OF[h.type]) typed++;
    }
  }
  return { found, typed, falseIncidents: incidents.filter((i) => !used.has(i.id)).length };
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Run the whole inspection on a bundled synthetic Flink cluster: train, inspect, report, dashboard')
    .addOption(opt('--machines <n>', 'machines in the demo cluster', check(positiveInt), '12'))
    .addOption(opt('--days <n>', 'days of history (half for training, half inspected)', check(positiveInt), '4'))
    .addOption(opt('--seed <n>', 'generator seed', check(nonNegativeInt), '7'))
    .addOption(opt('--epochs <n>', 'CCL training epochs', check(positiveInt), '4'))
    .addOption(opt('--out <dir>', 'where the model and report go', nonEmpty, '.flinkscope/demo'))
    .addOption(opt('--port <n>', 'dashboard port on 127.0.0.1 (0 = any free port)', check(port), '8080'))
    .option('--no-serve', 'do not serve the dashboard (default when CI is set or stdout is not a terminal)')
    .action(async (o: { machines: string; days: string; seed: string; epochs: string; out: string; port: string; serve: boolean }) => {
      const t0 = Date.now();
      const cluster = generateCluster({ machines: Number(o.machines), days: Number(o.days), seed: Number(o.seed), contamination: 0.1 });
      const splits = clusterSeries(cluster);
      const testHotspots = cluster.hotspots.filter((h) => h.split === 'test');
      console.log(`cluster: ${splits.length} machines × ${splits[0].train.channels.length} Flink metrics, ${cluster.jobs.length} jobs; ` +
        `${splits[0].train.timestamps.length} training samples per machine (≈10 % unlabelled hotspots inside), ${splits[0].test.timestamps.length} to inspect`);

      const bar = progressBar('train CCL [{bar}] epoch {value}/{total} {info}');
      const epochs = Number(o.epochs);
      bar.start(epochs, 'train CCL');
      const model = await trainClusterModel(splits.map((s) => s.train), 'ccl', { epochs, maxTrainWindows: 512, patience: epochs }, (p) =>
        bar.update(p.epoch, { info: `loss ${p.loss.toFixed(4)}${p.valLoss !== undefined ? ` val ${p.valLoss.toFixed(4)}` : ''} ETA ${fmtMs(p.etaMs)}` }));
      bar.stop();
      mkdirSync(o.out, { recursive: true });
      const modelPath = join(o.out, 'ccl.model');
      model.detector.save(modelPath);
      console.log(`trained in ${fmtMs(model.trainMs)}; threshold ${model.threshold.toFixed(3)} (median + 8·MAD of training scores); model: ${modelPath}`);

      const rbar = progressBar('inspect [{bar}] {value}/{total} samples {info}');
      const tests = splits.map((s) => s.test);
      rbar.start(tests[0].timestamps.length, 'inspect');
      const r = replay(model.detector, model.threshold, tests, 30, 64, (done) => rbar.update(done, { info: '' }));
      rbar.stop();
      const lat = [...r.latenciesMs].sort((a, b) => a - b);

      // back-pressure incidents: the likely cause downstream, from job placement and busy time
      const jobsOf = new Map(cluster.machines.map((m) => [m.name, m.jobs]));
      const seriesOf = new Map(tests.map((s) => [s.name, s]));
      const causes = new Map<string, BackpressureCause>();
      for (const i of r.tracker.incidents) {
        if (i.type !== 'backpressure') continue;
        const c = backpressureCause(i, {
          jobsOn: (m) => jobsOf.get(m) ?? [], machines: [...jobsOf.keys()], incidents: r.tracker.incidents,
          activity: (m, a, b) => (seriesOf.has(m) ? seriesActivity(seriesOf.get(m)!, a, b) : null),
        });
        if (c) causes.set(i.id, c);
      }
      // the jobs that moved most, from the generator's per-job metrics (what the Flink REST collector stores for real)
      const stepMs = cluster.options.intervalSec * 1000;
      const at = (ms: number): number => Math.round((ms - cluster.options.t0Ms) / stepMs);
      const movers = new Map<string, JobMover[]>();
      for (const i of r.tracker.incidents) {
        const end = i.resolvedAt ?? i.lastSeen;
        movers.set(i.id, jobMovers(jobSamples(cluster, i.machine, at(i.onset - 3_600_000), at(end) + 1), i.onset - 3_600_000, i.onset, end));
      }
      const incidents = r.tracker.incidents.map((i) => ({ ...i, explanation: r.scorer.explanations.get(i.id), cause: causes.get(i.id), movers: movers.get(i.id) }));
      const ranked = rankMachines([...r.scores].map(([machine, s]) => ({ machine, scores: s.score, hasActiveIncident: !!r.tracker.active(machine) })), Math.max(model.threshold, 1e-6));
      const report = {
        generatedAt: tests[0].timestamps[tests[0].timestamps.length - 1],
        health: healthSummary(ranked),
        ranked,
        incidents,
        scores: Object.fromEntries([...r.scores].map(([m, s]) => [m, s.score.slice(-240)])),
        threshold: model.threshold,
        model: { kind: 'ccl', version: `v${model.detector.version}` },
      };
      console.log('\n' + renderMarkdown(report));
      console.log(`## All incidents of the inspected period (${incidents.length})\n`);
      console.log('| id | machine | type | onset | state | why |\n|---|---|---|---|---|---|');
      for (const i of incidents) {
        const why = (i.explanation ?? []).slice(0, 3).map((c) => `${c.name} ${(c.share * 100).toFixed(0)}%`).join(', ') +
          (i.cause ? `; likely caused by ${i.cause.machine} downstream (busy ${i.cause.busy.toFixed(0)} ms/s)` : '') +
          (i.movers?.length ? `; job moved most: ${i.movers[0].job} (${i.movers[0].metric} ${i.movers[0].meanZ >= 0 ? '+' : ''}${i.movers[0].meanZ.toFixed(1)}σ)` : '');
        console.log(`| ${i.id} | ${i.machine} | ${i.type} | ${new Date(i.onset).toISOString().slice(0, 16)} | ${i.state} | ${why} |`);
      }
      const ts = tests[0].timestamps;
      const m = matchHotspots(testHotspots, r.tracker.incidents, (i) => ts[i - cluster.trainEnd], 10 * 60_000);
      console.log(`\nground truth: ${m.found}/${testHotspots.length} injected hotspots raised an incident, ${m.typed} with the right type; ${m.falseIncidents} incidents matched no hotspot.`);
      // the job that moved most vs the hotspot's culprit job, on the incidents that found a hotspot
      let blamed = 0, judged = 0;
      for (const h of testHotspots) {
        const a = ts[h.start - cluster.trainEnd], b = ts[h.end - 1 - cluster.trainEnd];
        const hit = r.tracker.incidents.filter((i) => i.machine === h.machine && i.onset <= b && i.lastSeen >= a).sort((x, y) => y.lastSeen - y.onset - (x.lastSeen - x.onset))[0];
        const jobsHere = cluster.machines.find((mm) => mm.name === h.machine)?.jobs ?? [];
        if (!hit || jobsHere.length < 2) continue;
        judged++;
        if (movers.get(hit.id)?.[0]?.job === culpritJob(jobsHere, h.start)) blamed++;
      }
      console.log(`jobs: on ${blamed}/${judged} found hotspots of machines running several jobs, the job that moved most is the one the hotspot was put on.`);
      const bp = testHotspots.filter((h) => h.type === 'backpressure');
      if (bp.length) {
        const named = bp.filter((h) => r.tracker.incidents.some((i) => i.machine === h.machine && causes.get(i.id)?.machine === h.cause && i.onset <= ts[h.end - 1 - cluster.trainEnd] && i.lastSeen >= ts[h.start - cluster.trainEnd])).length;
        console.log(`back-pressure: ${named}/${bp.length} injected cascades have an incident naming the right downstream machine as the cause.`);
      }
      console.log(`latency from a delivery's arrival (all machines) to its scores/incidents: median ${lat[lat.length >> 1].toFixed(1)} ms, p99 ${lat[Math.floor(lat.length * 0.99)].toFixed(1)} ms`);
      const htmlPath = join(o.out, 'report.html');
      writeFileSync(htmlPath, renderHtml(report));
      console.log(`HTML report: ${htmlPath}   (total ${fmtMs(Date.now() - t0)})`);

      const interactive = o.serve && process.stdout.isTTY && !process.env.CI;
      if (!interactive) return;
      const history = (model.detector as unknown as { history?: { epoch: number; loss: number; valLoss: number | null }[] }).history ?? [];
      const app = buildApi({
        threshold: model.threshold, tracker: r.tracker, explanations: r.scorer.explanations, scores: r.scores, causes, movers,
        jobs: new Map(cluster.machines.map((m) => [m.name, m.jobs])),
        metrics: (machine, from, to) => {
          const s = tests.find((x) => x.name === machine);
          return s ? metricColumns(s, from, to) : null;
        },
        model: { kind: 'ccl', version: `v${model.detector.version} (demo)`, threshold: model.threshold, history },
      });
      const addr = await app.listen({ host: '127.0.0.1', port: Number(o.port) });
      console.log(`\ndashboard: ${addr}/  (Ctrl-C to stop)`);
    });
}
