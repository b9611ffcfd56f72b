// The store-backed faces: `watch` (incremental scoring, incidents, alerts; survives restarts), `serve` (API +
// dashboard on 127.0.0.1) and `report` (the daily inspection report as HTML or Markdown).
import type { Command } from 'commander';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadDetector } from '../../detectors/index.js';
import { FlinkRestSource, PrometheusSource, type PollResult } from '../../collect/index.js';
import { Store } from '../../store/sqlite.js';
import { Watcher } from '../../inspect/watch.js';
import { ModelLifecycle } from '../../inspect/retrain.js';
import { fmtMs } from '../progress.js';
import { WebhookAlerter } from '../../inspect/alerts.js';
import { IncidentTracker } from '../../inspect/incidents.js';
import { rankMachines, healthSummary } from '../../inspect/ranking.js';
import { renderHtml, renderMarkdown } from '../../inspect/report.js';
import type { Contribution, JobMover } from '../../inspect/explain.js';
import type { BackpressureCause } from '../../inspect/propagation.js';
import { buildApi, metricColumns, type InspectionSource } from '../../server/api.js';
import { DEFAULT_DB, parseDuration } from './collect.js';
import { opt, check, duration, existingFile, finiteNumber, host, httpUrl, nonEmpty, oneOf, port, positiveInt, withExtension, UsageError } from '../options.js';
import { addSourceOptions, httpOptions, type SourceOpts } from '../sources.js';

/** The threshold of a model: --threshold, else the store's record of it, else its training report, else its own. */
function thresholdOf(store: Store, modelPath: string, given?: string): number {
  if (given) return Number(given);
  const rec = store.latestModel();
  if (rec && rec.path === modelPath) return rec.threshold;
  if (existsSync(`${modelPath}.report.json`)) return (JSON.parse(readFileSync(`${modelPath}.report.json`, 'utf8')) as { threshold: number }).threshold;
  return loadDetector(modelPath).threshold;
}

function sourceFromStore(store: Store): InspectionSource {
  const tracker = new IncidentTracker();
  const explanations = new Map<string, Contribution[]>();
  const movers = new Map<string, JobMover[]>();
  const causes = new Map<string, BackpressureCause>();
  const scores = new Map<string, { t: number[]; score: number[] }>();
  const refresh = (): void => {
    const inc = store.incidents();
    tracker.restore(inc.map(({ explanation: _e, movers: _m, cause: _c, ...i }) => i));
    for (const i of inc) {
      explanations.set(i.id, (i.explanation as Contribution[]) ?? []);
      movers.set(i.id, (i.movers as JobMover[]) ?? []);
      if (i.cause) causes.set(i.id, i.cause as BackpressureCause);
    }
    for (const m of store.scoredMachines()) scores.set(m, store.scores(m, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
  };
  refresh();
  const rec = store.latestModel();
  const jobs = new Map(store.machines().map((m) => [m, store.jobsOn(m)]));
  const report = rec ? store.modelReport(rec.id) : {};
  const history = (report.history as { epoch: number; loss: number; valLoss: number | null }[]) ?? [];
  const model = rec ? { kind: rec.kind, version: `#${rec.id}`, threshold: rec.threshold, history, reason: report.reason as string | undefined, drift: report.drift as NonNullable<InspectionSource['model']>['drift'] } : undefined;
  const metrics = (machine: string, from: number, to: number) => (store.machines().includes(machine) ? metricColumns(store.series(machine, store.metrics(), from, to), from, to) : null);
  const src: InspectionSource & { refresh: () => void } = { threshold: Math.max(rec?.threshold ?? 1, 1e-6), tracker, explanations, movers, causes, scores, jobs, model, metrics, refresh };
  return src;
}

export function registerInspect(program: Command): void {
  const watch = program
    .command('watch')
    .description('Score new samples in the store incrementally (optionally collecting them first), raise typed incidents and alerts')
    .addOption(opt('--model <file>', 'model file from `flinkscope train`', existingFile).makeOptionMandatory())
    .addOption(opt('--db <path>', 'store file', nonEmpty, DEFAULT_DB))
    .addOption(opt('--flink <url>', 'collect from Flink REST before each step', httpUrl))
    .addOption(opt('--prometheus <url>', 'collect from Prometheus before each step', httpUrl))
    .addOption(opt('--interval <d>', 'step interval', check(duration), '10s'))
    .addOption(opt('--steps <n>', 'stop after n steps (default: until Ctrl-C)', check(positiveInt)))
    .addOption(opt('--threshold <x>', 'override the model threshold', check(finiteNumber)))
    .addOption(opt('--webhook <url>', 'POST alerts here', httpUrl))
    .addOption(opt('--webhook-format <f>', 'json or slack', oneOf(['json', 'slack'] as const), 'json'))
    .option('--webhook-deny-private', 'refuse webhook targets that resolve to loopback, private or link-local addresses')
    .addOption(opt('--retrain-every <d>', 'model life-cycle: retrain on recent history this often (e.g. 24h), and earlier when the scores drift', check(duration)))
    .addOption(opt('--history <d>', 'with --retrain-every: history to train on', check(duration), '7d'))
    .addOption(opt('--model-dir <dir>', 'with --retrain-every: where new model versions go (default: next to --model)', nonEmpty));
  addSourceOptions(watch)
    .action(async (o: SourceOpts & { model: string; db: string; flink?: string; prometheus?: string; interval: string; steps?: string; threshold?: string; webhook?: string; webhookFormat: 'json' | 'slack'; webhookDenyPrivate?: boolean; retrainEvery?: string; history: string; modelDir?: string }) => {
      if (o.flink && o.prometheus) throw new UsageError('give at most one of --flink and --prometheus');
      const http = httpOptions(o);
      const store = new Store(o.db);
      const det = loadDetector(o.model);
      const th = thresholdOf(store, o.model, o.threshold);
      const rec = store.latestModel();
      const watcher = new Watcher(store, det, th, rec && rec.path === o.model ? rec.id : null, {
        alerter: o.webhook ? new WebhookAlerter({ url: o.webhook, format: o.webhookFormat, denyPrivate: !!o.webhookDenyPrivate }) : undefined,
        onAlertError: (e) => process.stderr.write(`\nalert failed: ${e.message}\n`),
      });
      const life = o.retrainEvery
        ? new ModelLifecycle(store, { kind: det.kind, params: det.params as Record<string, unknown>, modelDir: o.modelDir ?? dirname(o.model), policy: { intervalMs: parseDuration(o.retrainEvery), historyMs: parseDuration(o.history) } })
        : null;
      let lastDrift: boolean | null = null;
      const flink = o.flink ? new FlinkRestSource(o.flink, http) : null;
      const prom = o.prometheus ? new PrometheusSource(o.prometheus, { ...http, stepMs: Math.min(parseDuration(o.interval), 60_000) }) : null;
      let from = Date.now() - 10 * 60_000;
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      let collected = 0; // samples the source delivered over the whole run: none at all is a failed watch (exit 1)
      for (let step = 1; !ac.signal.aborted && (!o.steps || step <= Number(o.steps)); step++) {
        try {
          let r: PollResult | null = null;
          if (flink) {
            const f = await flink.poll();
            store.recordPlacement(f.jobsOn, Date.now());
            r = f;
          } else if (prom) {
            const to = Date.now();
            r = await prom.range(from, to);
            if (r.errors.length === 0 || to - from > 3_600_000) from = to; // a window with errors is asked again (≤ 1 h)
          }
          if (r) {
            store.insertSamples(r.samples);
            collected += r.samples.length;
            for (const e of r.errors) process.stderr.write(`\ncollect: ${e}\n`);
          }
        } catch (e) {
          process.stderr.write(`\ncollect failed (will retry): ${(e as Error).message}\n`);
        }
        const r = await watcher.step();
        for (const i of r.opened) console.log(`OPEN     ${i.id} ${i.machine} ${i.type} since ${new Date(i.onset).toISOString()}`);
        for (const i of r.resolved) console.log(`RESOLVED ${i.id} ${i.machine} ${i.type}`);
        process.stderr.write(`step ${step}: scored ${r.scored} new samples; open incidents ${watcher.tracker.incidents.filter((i) => i.state !== 'resolved').length}\n`);
        if (life) {
          const l = await life.step(watcher.channels);
          if (l.drift && l.drift.drifted !== lastDrift) {
            console.log(`DRIFT    ${l.drift.drifted ? 'score distribution shifted' : 'no drift'}: KS ${l.drift.ks.toFixed(3)} (critical ${l.drift.critical.toFixed(3)}), median ${l.drift.trainMedian.toFixed(3)} → ${l.drift.recentMedian.toFixed(3)}`);
            lastDrift = l.drift.drifted;
          }
          if (l.retrained) {
            watcher.swapModel(l.retrained.detector, o.threshold ? Number(o.threshold) : l.retrained.threshold, l.retrained.id);
            console.log(`RETRAIN  ${l.decision.reason}: model #${l.retrained.id} on ${l.retrained.series} machines (${fmtMs(l.retrained.trainMs)}), threshold ${l.retrained.threshold.toFixed(3)} → ${l.retrained.path}`);
            lastDrift = null;
          }
        }
        if (o.steps && step >= Number(o.steps)) break;
        await new Promise((res) => setTimeout(res, parseDuration(o.interval)));
      }
      store.close();
      if ((flink || prom) && collected === 0) {
        console.error(`flinkscope: nothing could be collected from ${o.flink ?? o.prometheus}`);
        process.exitCode = 1;
      }
    });

  program
    .command('serve')
    .description('Serve the inspection API and dashboard from the store (binds 127.0.0.1)')
    .addOption(opt('--db <path>', 'store file', nonEmpty, DEFAULT_DB))
    .addOption(opt('--port <n>', 'port (0 = any free port)', check(port), '8080'))
    .addOption(opt('--host <h>', 'bind address', host, '127.0.0.1'))
    .addOption(opt('--token <t>', 'require Authorization: Bearer <token> on /api', nonEmpty))
    .action(async (o: { db: string; port: string; host: string; token?: string }) => {
      const store = new Store(o.db);
      const src = sourceFromStore(store) as InspectionSource & { refresh: () => void };
      const app = buildApi(src, { token: o.token, onAck: (id) => store.upsertIncident(src.tracker.incidents.find((i) => i.id === id)!, src.explanations.get(id) ?? []) });
      setInterval(() => src.refresh(), 5000).unref();
      const addr = await app.listen({ host: o.host, port: Number(o.port) });
      console.log(`dashboard and API: ${addr}/`);
    });

  program
    .command('report')
    .description('Write the inspection report (HTML or Markdown by extension) from the store')
    .addOption(opt('--db <path>', 'store file', nonEmpty, DEFAULT_DB))
    .addOption(opt('--out <file>', 'report.html or report.md', withExtension(['.html', '.htm', '.md'])).makeOptionMandatory())
    .action((o: { db: string; out: string }) => {
      const store = new Store(o.db);
      const src = sourceFromStore(store);
      const ranked = rankMachines([...src.scores].map(([machine, s]) => ({ machine, scores: s.score, hasActiveIncident: !!src.tracker.active(machine) })), src.threshold);
      const last = Math.max(0, ...[...src.scores.values()].map((s) => s.t[s.t.length - 1] ?? 0));
      const model = store.latestModel();
      const input = {
        generatedAt: last || Date.now(), health: healthSummary(ranked), ranked,
        incidents: src.tracker.incidents.map((i) => ({ ...i, explanation: src.explanations.get(i.id), movers: src.movers?.get(i.id), cause: src.causes?.get(i.id) })),
        scores: Object.fromEntries([...src.scores].map(([m, s]) => [m, s.score.slice(-240)])), threshold: src.threshold,
        model: model ? { kind: model.kind, version: `#${model.id}` } : undefined,
      };
      mkdirSync(dirname(o.out), { recursive: true });
      writeFileSync(o.out, /\.md$/i.test(o.out) ? renderMarkdown(input) : renderHtml(input));
      console.log(`report: ${o.out} (${ranked.length} machines, ${input.incidents.length} incidents)`);
      store.close();
    });
}
