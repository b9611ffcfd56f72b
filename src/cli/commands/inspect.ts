// The store-backed faces: `watch` (collect → score → incidents → alerts, crash-consistent; src/app/run.ts), `serve`
// (API + dashboard on 127.0.0.1; src/server) and `report` (the inspection report as HTML or Markdown).
import { Option, type Command } from 'commander';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { openStore, isPostgres, DEFAULT_DB } from '../../store/index.js';
import { runWatch } from '../../app/run.js';
import { defaultRetrainAfterMs } from '../../app/lifecycle.js';
import { replayWithModel } from '../../app/lab-replay.js';
import { runFleetWorker } from '../../app/fleet.js';
import { parseKafkaUrl } from '../../collect/kafka.js';
import { InspectionService } from '../../app/service.js';
import { reportInput } from '../../app/report.js';
import { renderHtml, renderMarkdown } from '../../inspect/report.js';
import { serveApi } from '../../server/api.js';
import { serveMetrics } from '../../server/metrics.js';
import { assertBindSafe } from '../../server/security.js';
import { parseThreshold } from './eval.js';
import { opt, check, each, duration, durationOrOff, updateAfter, retrainAfter, existingFile, fromThrowing, host, httpUrl, nonEmpty, oneOf, port, positiveInt, withExtension, UsageError, labSpec } from '../options.js';
import { parseBudget } from '../../inspect/levels.js';
import { parseSlo } from '../../inspect/breach.js';
import { addSourceOptions, httpOptions, type SourceOpts } from '../sources.js';
import { LAB_SPEC_SYNTAX } from '../../data/index.js';

/** '10/1m' → at most 10 alerts per minute. */
function alertRate(s: string): { maxPerWindow: number; windowMs: number } {
  const m = /^(\d+)\/(.+)$/.exec(s.trim());
  if (!m || !(Number(m[1]) >= 1)) throw new Error(`'${s}' is not n/duration (e.g. 10/1m)`);
  return { maxPerWindow: Number(m[1]), windowMs: duration(m[2]) };
}

interface WatchOpts extends SourceOpts {
  model: string; db: string; flink?: string; prometheus?: string; interval: number; steps?: number; maxRows: number; threshold?: string;
  falseAlarms?: number; slo: string[]; eventGrace: number; sustain?: number; updateAfter?: number; webhook?: string; webhookFormat: 'json' | 'slack'; webhookDenyPrivate?: boolean; alertRate: { maxPerWindow: number; windowMs: number };
  alertmanager?: string; dashboardUrl?: string; evidence: boolean; stalledCheckpoints: number; lagWindow: number;
  retrainEvery?: number; retrainAfter?: number; history: number; modelDir?: string; retain: number; raw: number; rollup: number; metricsPort?: number;
  from?: string; group?: string; sessionTimeout: number; replay?: string;
}

export function registerInspect(program: Command): void {
  const watch = program
    .command('watch')
    .description('Score new samples in the store incrementally (optionally collecting them first), raise typed incidents and alerts')
    .addOption(opt('--model <file>', 'model file from `flinkscope train`', existingFile).makeOptionMandatory())
    .addOption(opt('--db <path>', 'store file', nonEmpty, DEFAULT_DB))
    .addOption(opt('--flink <url>', 'collect from Flink REST before each step', httpUrl))
    .addOption(opt('--prometheus <url>', 'collect from Prometheus before each step', httpUrl))
    .addOption(opt('--interval <d>', 'step interval', duration, '10s'))
    .addOption(opt('--steps <n>', 'stop after n ticks (default: until Ctrl-C)', positiveInt))
    .addOption(opt('--max-rows <n>', 'at most n new rows per machine per committed step (catching up on history)', positiveInt, '360'))
    .addOption(opt('--threshold <rule>', 're-threshold the model: mad[:k], pNN or pot[:risk] over its training scores (default: the rule it was trained with)', check(fromThrowing(parseThreshold))))
    .addOption(opt('--false-alarms <n/day>', 'false-alarm budget: pages per machine-day in normal operation (per-machine thresholds fitted on the model\'s score tails, updated online); instead of --threshold', fromThrowing(parseBudget)))
    .option('--slo <metric=limit...>', 'limits per metric (repeatable): a rising incident carries the time until its leading metric crosses its limit', each(check(fromThrowing((v: string) => parseSlo([v])))), [])
    .addOption(opt('--event-grace <d>', 'an event on a machine holds its incidents\' pages this long (0 = never)', durationOrOff, '10m'))
    .addOption(opt('--sustain <d>', 'a score at or above the keep-open level this long opens an incident too (default: the quiet period, 10m; 0 = only the opening level opens)', durationOrOff))
    .addOption(opt('--update-after <d>', 'a paged incident that rises again while open notifies again (an update) no sooner than this after its page, twice that after each update (default: the quiet period, 10m; 0 = at every renewal; off = never)', updateAfter))
    .addOption(opt('--webhook <url>', 'POST alerts here', httpUrl))
    .addOption(opt('--webhook-format <f>', 'json or slack', oneOf(['json', 'slack'] as const), 'json'))
    .option('--webhook-deny-private', 'refuse webhook targets that resolve to loopback, private or link-local addresses')
    .addOption(opt('--alert-rate <n/d>', 'at most n alerts per period d (the rest are deferred, never dropped)', fromThrowing(alertRate), '10/1m'))
    .addOption(opt('--alertmanager <url>', 'post alerts to this Alertmanager (its v2 API); open incidents are re-posted every minute', httpUrl))
    .addOption(opt('--dashboard-url <url>', 'where `serve` runs: alerts link to the incident page there', httpUrl))
    .option('--no-evidence', 'with --flink: do not capture a flame graph and a thread dump at an incident\'s onset')
    .addOption(opt('--stalled-checkpoints <n>', 'with --flink: an event when no checkpoint completed for n intervals', positiveInt, '3'))
    .addOption(opt('--lag-window <d>', 'an event when a job\'s Kafka consumer lag grew over this long', duration, '5m'))
    .addOption(opt('--retrain-every <d>', 'model life-cycle: retrain on recent history this often (e.g. 24h), and earlier when the scores drift', duration))
    .addOption(opt('--retrain-after <d>', 'retrain this long after a failover, deploy or rescale, once the cluster has settled into its new placement (default: --event-grace, 10m if that is 0; off = never)', retrainAfter))
    .addOption(opt('--history <d>', 'history to retrain on', duration, '7d'))
    .addOption(opt('--model-dir <dir>', 'where retrained model versions go (default: next to --model)', nonEmpty))
    .addOption(opt('--retain <d>', 'keep this much history (by data time); older samples, scores, events and resolved incidents are deleted', duration, '14d'))
    .addOption(opt('--raw <d>', 'keep samples at full resolution this long; older ones are rolled up into --rollup means', duration, '2d'))
    .addOption(opt('--rollup <d>', 'the roll-up bucket for samples older than --raw', duration, '5m'))
    .addOption(opt('--metrics-port <n>', 'serve Prometheus /metrics on 127.0.0.1:<n> while watching (bearer token: FLINKSCOPE_TOKEN)', port))
    .addOption(opt('--from <url>', 'fleet: consume samples from kafka://HOST:PORT/TOPIC as one member of --group (needs --db postgres://…)', check(fromThrowing(parseKafkaUrl))))
    .addOption(opt('--group <name>', 'fleet: the consumer group the scoring workers share', nonEmpty))
    .addOption(opt('--session-timeout <d>', 'fleet: a member silent this long loses its partitions to the others', duration, '10s'))
    .addOption(opt('--replay <spec>', `instead of live sources: deliver a flink-lab recording (${LAB_SPEC_SYNTAX}) after its training part to a store next to --db, as a collector would, and watch it with --model; prints the incidents judged against the recorded faults`, labSpec));
  addSourceOptions(watch).action(async (o: WatchOpts) => {
    if (o.flink && o.prometheus) throw new UsageError('give at most one of --flink and --prometheus');
    if (o.dashboardUrl && !o.alertmanager) throw new UsageError('--dashboard-url is for the links in --alertmanager alerts: give --alertmanager too');
    const rule = o.threshold ? parseThreshold(o.threshold) : undefined;
    if (rule?.kind === 'paper') throw new UsageError('--threshold paper reads test scores (LEAKY): it is for `eval` reproductions only');
    if (rule && o.falseAlarms !== undefined) throw new UsageError('give at most one of --threshold and --false-alarms');
    let slo: Record<string, number> | undefined;
    try {
      slo = o.slo.length ? parseSlo(o.slo) : undefined;
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (!!o.from !== !!o.group) throw new UsageError('--from and --group go together (a fleet worker consumes a topic as a member of a group)');
    if (o.from) {
      const clash = [o.flink && '--flink', o.prometheus && '--prometheus', o.retrainEvery && '--retrain-every', o.metricsPort !== undefined && '--metrics-port'].filter(Boolean);
      if (clash.length) throw new UsageError(`--from (a fleet worker) does not take ${clash.join(', ')}: collectors publish to the topic, and retraining and /metrics are not run by fleet workers yet`);
      if (!isPostgres(o.db)) throw new UsageError('--from needs --db postgres://…: the workers of a group share their state through PostgreSQL');
    }
    if (o.replay) {
      const clash = [o.flink && '--flink', o.prometheus && '--prometheus', o.from && '--from', o.retrainEvery && '--retrain-every'].filter(Boolean);
      if (clash.length) throw new UsageError(`--replay delivers a recording: it does not take ${clash.join(', ')}`);
      const dir = dirname(o.db);
      const r = await replayWithModel(o.replay, o.model, {
        dir, alarms: o.falseAlarms !== undefined ? { perDay: o.falseAlarms } : rule ? { rule } : undefined, ...(o.retrainAfter !== undefined ? { retrainAfterEventMs: o.retrainAfter } : {}),
        watch: { ...(slo ? { slo } : {}), ...(watch.getOptionValueSource('eventGrace') === 'cli' ? { eventGraceMs: o.eventGrace } : {}), ...(o.sustain !== undefined ? { sustainMs: o.sustain } : {}), ...(o.updateAfter !== undefined ? { updateAfterMs: o.updateAfter } : {}) },
      });
      for (const i of r.incidents) console.log(`${i.paged ? 'PAGE' : 'HELD'}     ${i.id} ${i.machine} ${i.type} ${new Date(i.onset).toISOString()} → ${new Date(i.lastSeen).toISOString()} ${i.state}${i.updates?.length ? `, updates at ${i.updates.map((t) => new Date(t).toISOString()).join(', ')}` : ''}`);
      const m = r.metrics;
      const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '—');
      console.log(`replayed ${o.replay} with ${o.model} (${r.alarmRule}): ${m.incidents} incidents, precision ${f(m.incident_precision)}, hotspot recall ${f(m.fault_recall)} (${f(m.fault_recall_new)} by new alarms), pages ${m.pages} (${m.false_pages} false), updates ${m.updates} (${m.false_updates} false), events that paged ${m.events_paged}/${m.events}, time in alarm ${f(m.alarm_share)}; store: ${r.store.location}`);
      await r.store.close();
      return;
    }
    if (o.raw > o.retain) throw new UsageError(`--raw ${o.raw / 86_400_000} d is longer than --retain ${o.retain / 86_400_000} d`);
    const http = httpOptions(o);
    const store = await openStore(o.db);
    const ac = new AbortController();
    process.once('SIGINT', () => ac.abort());
    process.once('SIGTERM', () => ac.abort());
    if (o.from) {
      try {
        const sum = await runFleetWorker({
          store, modelPath: o.model, threshold: rule, falseAlarmsPerDay: o.falseAlarms, from: parseKafkaUrl(o.from), group: o.group!, sessionTimeoutMs: o.sessionTimeout, signal: ac.signal,
          webhook: o.webhook ? { url: o.webhook, format: o.webhookFormat, denyPrivate: !!o.webhookDenyPrivate, ...o.alertRate } : undefined,
          alertmanager: o.alertmanager ? { url: o.alertmanager, dashboardUrl: o.dashboardUrl } : undefined,
          watch: { maxRowsPerStep: o.maxRows, eventGraceMs: o.eventGrace, slo, ...(o.sustain !== undefined ? { sustainMs: o.sustain } : {}), ...(o.updateAfter !== undefined ? { updateAfterMs: o.updateAfter } : {}) }, status: (l) => process.stderr.write(`${l}\n`),
        });
        console.log(`fleet worker stopped: ${sum.messages} messages in ${sum.batches} batches (${sum.redelivered} re-delivered, ${sum.rejected} rejected), ${sum.scored} scored, ${sum.paged} paged, ${sum.updates} updates, ${sum.alerts} alerts delivered, ${sum.takeovers} partition takeovers`);
      } finally {
        await store.close();
      }
      return;
    }
    const metrics = o.metricsPort !== undefined ? await serveMetrics(new InspectionService(store), { port: o.metricsPort, token: process.env.FLINKSCOPE_TOKEN }) : null;
    if (metrics) process.stderr.write(`Prometheus metrics: ${metrics.address}/metrics\n`);
    try {
      const sum = await runWatch({
        store, modelPath: o.model, threshold: rule, falseAlarmsPerDay: o.falseAlarms, intervalMs: o.interval, ticks: o.steps, signal: ac.signal,
        source: o.flink || o.prometheus ? { flink: o.flink, prometheus: o.prometheus, http, stepMs: Math.min(o.interval, 60_000) } : undefined,
        webhook: o.webhook ? { url: o.webhook, format: o.webhookFormat, denyPrivate: !!o.webhookDenyPrivate, ...o.alertRate } : undefined,
        alertmanager: o.alertmanager ? { url: o.alertmanager, dashboardUrl: o.dashboardUrl } : undefined,
        checks: { checkpointIntervals: o.stalledCheckpoints, lagWindowMs: o.lagWindow },
        evidence: o.evidence ? {} : false,
        retrain: { everyMs: o.retrainEvery, afterEventMs: o.retrainAfter ?? defaultRetrainAfterMs(o.eventGrace), historyMs: o.history, modelDir: o.modelDir ?? dirname(o.model) },
        watch: { maxRowsPerStep: o.maxRows, eventGraceMs: o.eventGrace, slo, ...(o.sustain !== undefined ? { sustainMs: o.sustain } : {}), ...(o.updateAfter !== undefined ? { updateAfterMs: o.updateAfter } : {}) },
        retention: { retainMs: o.retain, rawMs: o.raw, bucketMs: o.rollup, everyMs: 3_600_000 },
        status: (l) => process.stderr.write(`${l}\n`),
      });
      if ((o.flink || o.prometheus) && sum.collected === 0) {
        console.error(`flinkscope: nothing could be collected from ${o.flink ?? o.prometheus} (${sum.failedPolls} of ${sum.polls} polls failed)`);
        process.exitCode = 1;
      }
    } finally {
      await metrics?.app.close();
      await store.close();
    }
  });

  program
    .command('serve')
    .description('Serve the inspection API and dashboard from the store (binds 127.0.0.1)')
    .addOption(opt('--db <path>', 'store file', nonEmpty, DEFAULT_DB))
    .addOption(opt('--port <n>', 'port (0 = any free port)', check(port), '8080'))
    .addOption(opt('--host <h>', 'bind address', host, '127.0.0.1'))
    .addOption(opt('--token <t>', 'require Authorization: Bearer <token> on /api and /metrics (needed to bind beyond loopback; or FLINKSCOPE_TOKEN)', nonEmpty))
    .addOption(new Option('--allow-host <name>', 'another Host name clients may use, e.g. a DNS name in front of the server (repeatable)').argParser(each(host)))
    .action(async (o: { db: string; port: string; host: string; token?: string; allowHost?: string[] }) => {
      const token = o.token ?? process.env.FLINKSCOPE_TOKEN;
      try {
        assertBindSafe(o.host, token);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const store = await openStore(o.db);
      try {
        const svc = new InspectionService(store);
        await svc.warm();
        const { address } = await serveApi(svc, { host: o.host, port: Number(o.port), token, allowHosts: o.allowHost });
        console.log(`dashboard and API: ${address}/  (Prometheus: ${address}/metrics, OpenAPI: ${address}/api/openapi.json)`);
      } catch (e) {
        await store.close();
        throw e;
      }
    });

  program
    .command('report')
    .description('Write the inspection report (HTML or Markdown by extension) from the store')
    .addOption(opt('--db <path>', 'store file', nonEmpty, DEFAULT_DB))
    .addOption(opt('--out <file>', 'report.html or report.md', withExtension(['.html', '.htm', '.md'])).makeOptionMandatory())
    .action(async (o: { db: string; out: string }) => {
      const store = await openStore(o.db);
      try {
        const input = await reportInput(store);
        mkdirSync(dirname(o.out), { recursive: true });
        writeFileSync(o.out, /\.md$/i.test(o.out) ? renderMarkdown(input) : renderHtml(input));
        console.log(`report: ${o.out} (${input.ranked.length} machines, ${input.incidents.length} incidents)`);
      } finally {
        await store.close();
      }
    });
}
