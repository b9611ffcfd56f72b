// The scores as Prometheus metrics: `serve` and `watch --metrics-port` expose /metrics in the exposition format
// (prom-client does the format and escaping). Every scrape reads the store afresh — the watcher's cluster view, the
// unresolved incidents, the model in use and the watcher's bookkeeping — so a scrape of `serve` sees what the watcher
// committed last, from another process. The names here are the contract grafana/flinkscope.json is built on.
import { Registry, Gauge } from 'prom-client';
import Fastify, { type FastifyInstance } from 'fastify';
import { assertBindSafe, hostCheck, tokenCheck } from './security.js';
import type { InspectionService } from '../app/service.js';

/** Metric name → help; the one list of what flinkscope exposes (the Grafana dashboard uses exactly these). */
export const METRICS = {
  flinkscope_machine_score: 'Latest anomaly score of the machine (higher = more anomalous)',
  flinkscope_machine_threshold: 'Alert threshold of the model scoring the machine (score above it = anomalous)',
  flinkscope_machine_risk: 'Risk now (recent scores over the threshold, raised by an open incident); >= 1 = at risk',
  flinkscope_machine_last_scored_timestamp_seconds: 'Data time of the machine\'s newest scored sample',
  flinkscope_open_incidents: 'Unresolved incidents (open or acknowledged) by machine and type',
  flinkscope_acknowledged_incidents: 'Unresolved incidents an operator acknowledged, by machine and type',
  flinkscope_job_open_incidents: 'Unresolved incidents on machines running the job, by type',
  flinkscope_job_risk: 'Highest risk among the machines the job runs on',
  flinkscope_operator_deviation: 'Robust z-score of a job/operator metric that moved most during an unresolved incident',
  flinkscope_machines: 'Machines scored',
  flinkscope_machines_at_risk: 'Machines with risk >= 1',
  flinkscope_scoring_lag_seconds: 'Now minus the newest scored data time (how far scoring is behind)',
  flinkscope_last_step_timestamp_seconds: 'Wall-clock time of the watcher\'s last committed step',
  flinkscope_last_step_duration_seconds: 'Duration of the watcher\'s last committed step',
  flinkscope_model_info: 'The model in use (value 1): version, kind, threshold rule',
  flinkscope_model_threshold: 'Threshold of the model in use',
  flinkscope_model_trained_timestamp_seconds: 'When the model in use was trained (the last retrain)',
  flinkscope_model_drift_ks: 'Kolmogorov-Smirnov distance between training and recent scores (last drift check)',
  flinkscope_model_drift_critical: 'Critical KS distance of the last drift check',
  flinkscope_model_drifted: '1 when the last drift check found the score distribution shifted',
  flinkscope_alerts_undelivered: 'Alerts waiting in the outbox (not delivered yet)',
  flinkscope_collect_failing: '1 while the collector cannot collect from the cluster (its polls fail: the scores are not current), else 0',
  flinkscope_collect_failing_since_timestamp_seconds: 'Wall-clock time of the first failed poll of the ongoing collector outage (absent when collecting)',
} as const;
type Name = keyof typeof METRICS;

/** One scrape: reads the store and renders the exposition text. */
export async function exposition(svc: InspectionService, now = Date.now()): Promise<{ text: string; contentType: string }> {
  const reg = new Registry();
  const gauges = new Map<Name, Gauge<string>>();
  const g = (name: Name, labelNames: string[] = []): Gauge<string> => {
    let x = gauges.get(name);
    if (!x) gauges.set(name, (x = new Gauge({ name, help: METRICS[name], labelNames, registers: [reg] })));
    return x;
  };
  const store = svc.store;
  const [status, active, model, placements, lastStep, lastStepMs, undelivered, failing] = await Promise.all([
    store.machineStatus(), store.activeIncidents(), svc.model(), store.placements(), store.meta('lastStepAt'), store.meta('lastStepMs'),
    store.dueAlerts(Number.MAX_SAFE_INTEGER, 100_000), svc.collectFailing(),
  ]);
  const th = model && Number.isFinite(model.threshold) ? model.threshold : null;

  const score = g('flinkscope_machine_score', ['machine']);
  const thr = g('flinkscope_machine_threshold', ['machine']);
  const risk = g('flinkscope_machine_risk', ['machine']);
  const last = g('flinkscope_machine_last_scored_timestamp_seconds', ['machine']);
  const riskOf = new Map<string, number>();
  let newest = -Infinity;
  for (const s of status) {
    score.set({ machine: s.machine }, s.lastScore);
    if (th !== null) thr.set({ machine: s.machine }, th);
    risk.set({ machine: s.machine }, s.risk);
    last.set({ machine: s.machine }, s.lastTs / 1000);
    riskOf.set(s.machine, s.risk);
    newest = Math.max(newest, s.lastTs);
  }
  g('flinkscope_machines').set(status.length);
  g('flinkscope_machines_at_risk').set(status.filter((s) => s.risk >= 1).length);

  const open = g('flinkscope_open_incidents', ['machine', 'type']);
  const acked = g('flinkscope_acknowledged_incidents', ['machine', 'type']);
  const jobOpen = g('flinkscope_job_open_incidents', ['job', 'type']);
  const dev = g('flinkscope_operator_deviation', ['machine', 'job', 'operator', 'metric']);
  const strongest = new Map<string, number>();
  for (const i of active) {
    open.inc({ machine: i.machine, type: i.type });
    if (i.ack) acked.inc({ machine: i.machine, type: i.type });
    else acked.inc({ machine: i.machine, type: i.type }, 0);
    for (const j of i.jobs) jobOpen.inc({ job: j, type: i.type });
    for (const m of i.movers.slice(0, 3)) {
      const key = JSON.stringify([i.machine, m.job, m.operator, m.metric]);
      if (Math.abs(m.meanZ) > Math.abs(strongest.get(key) ?? 0)) strongest.set(key, m.meanZ);
    }
  }
  // the strongest deviation per (machine, job, operator, metric) over the unresolved incidents
  for (const [key, z] of strongest) {
    const [machine, job, operator, metric] = JSON.parse(key) as string[];
    dev.set({ machine, job, operator, metric }, z);
  }
  const jobRisk = g('flinkscope_job_risk', ['job']);
  const jobs = new Map<string, number>();
  for (const [machine, list] of placements) {
    const r = riskOf.get(machine);
    if (r === undefined) continue;
    for (const j of list) jobs.set(j, Math.max(jobs.get(j) ?? -Infinity, r));
  }
  for (const [j, r] of jobs) jobRisk.set({ job: j }, r);

  if (Number.isFinite(newest)) g('flinkscope_scoring_lag_seconds').set(Math.max(0, (now - newest) / 1000));
  if (lastStep !== null) g('flinkscope_last_step_timestamp_seconds').set(Number(lastStep) / 1000);
  if (lastStepMs !== null) g('flinkscope_last_step_duration_seconds').set(Number(lastStepMs) / 1000);
  g('flinkscope_collect_failing').set(failing ? 1 : 0);
  if (failing) g('flinkscope_collect_failing_since_timestamp_seconds').set(failing.at / 1000);
  if (model) {
    g('flinkscope_model_info', ['version', 'kind', 'rule']).set({ version: model.version, kind: model.kind, rule: model.thresholdRule }, 1);
    if (th !== null) g('flinkscope_model_threshold').set(th);
    g('flinkscope_model_trained_timestamp_seconds').set(model.createdAt / 1000);
    if (model.drift) {
      g('flinkscope_model_drift_ks').set(model.drift.ks);
      g('flinkscope_model_drift_critical').set(model.drift.critical);
      g('flinkscope_model_drifted').set(model.drift.drifted ? 1 : 0);
    }
  }
  g('flinkscope_alerts_undelivered').set(undelivered.length);
  return { text: await reg.metrics(), contentType: reg.contentType };
}

/** GET /metrics on an app (the caller puts its token check on the plugin this is registered in). */
export function metricsRoute(app: FastifyInstance, svc: InspectionService): void {
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    const { text, contentType } = await exposition(svc);
    return reply.type(contentType).send(text);
  });
}

/** `watch --metrics-port`: /metrics alone on loopback, with the same Host and token checks as `serve`. */
export async function serveMetrics(svc: InspectionService, o: { port: number; host?: string; token?: string }): Promise<{ app: FastifyInstance; address: string }> {
  const cfg = { host: o.host ?? '127.0.0.1', token: o.token };
  assertBindSafe(cfg.host, cfg.token);
  const app = Fastify({ logger: false });
  app.addHook('onRequest', hostCheck(cfg));
  app.addHook('onRequest', tokenCheck(cfg));
  metricsRoute(app, svc);
  const address = await app.listen({ host: cfg.host, port: o.port });
  return { app, address };
}
