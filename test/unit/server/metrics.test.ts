// The Prometheus exposition over a store the real watcher filled: per-machine score / threshold / risk, open
// incidents by type, per-job figures, the detector's health — and the Grafana dashboard uses only names exposed here.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApi } from '../../../src/server/api.js';
import { exposition, serveMetrics, METRICS } from '../../../src/server/metrics.js';
import { InspectionService } from '../../../src/app/service.js';
import type { SqliteStore } from '../../../src/store/index.js';
import { inspectedStore, T0 } from '../../helpers/inspected.js';
import { CollectOutage } from '../../../src/core/outage.js';

let store: SqliteStore;
before(async () => ({ store } = await inspectedStore()));
after(async () => store.close());

/** `name{a="x",b="y"} v` lines → [{ name, labels, value }]. */
function parse(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
    const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(l);
    assert.ok(m, `exposition line '${l}'`);
    const labels: Record<string, string> = {};
    for (const kv of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[kv[1]] = kv[2];
    return { name: m[1], labels, value: Number(m[3]) };
  });
}

describe('Prometheus metrics', () => {
  test('scores, thresholds, risk, incidents, jobs, model and watcher health', async () => {
    const now = T0 + 200 * 10_000 + 60_000;
    const rows = parse((await exposition(new InspectionService(store), now)).text);
    const one = (name: string, labels: Record<string, string> = {}) => rows.filter((r) => r.name === name && Object.entries(labels).every(([k, v]) => r.labels[k] === v));
    assert.equal(one('flinkscope_machine_score').length, 6);
    const hot = one('flinkscope_machine_score').sort((a, b) => b.value - a.value);
    assert.equal(one('flinkscope_machine_threshold', { machine: 'tm-2' })[0].value, 3);
    const status = await store.machineStatus();
    assert.equal(one('flinkscope_machine_score', { machine: 'tm-2' })[0].value, status.find((s) => s.machine === 'tm-2')!.lastScore);
    assert.equal(one('flinkscope_machine_risk', { machine: hot[0].labels.machine })[0].value, status.find((s) => s.machine === hot[0].labels.machine)!.risk);
    const active = await store.activeIncidents();
    const open = one('flinkscope_open_incidents');
    assert.equal(open.reduce((a, r) => a + r.value, 0), active.length);
    for (const i of active) assert.ok(one('flinkscope_open_incidents', { machine: i.machine, type: i.type })[0].value >= 1);
    if (active.some((i) => i.machine === 'tm-2')) {
      assert.ok(one('flinkscope_job_open_incidents', { job: 'orders-enrich' })[0].value >= 1);
      assert.ok(one('flinkscope_operator_deviation', { machine: 'tm-2', job: 'orders-enrich', operator: 'enrich' }).length === 1);
    }
    assert.equal(one('flinkscope_job_risk', { job: 'orders-enrich' })[0].value, Math.max(...status.filter((s) => s.machine === 'tm-1' || s.machine === 'tm-2').map((s) => s.risk)));
    assert.equal(one('flinkscope_model_info', { kind: 'zscore', version: '#1', rule: 'fixed:3' })[0].value, 1);
    assert.equal(one('flinkscope_model_drift_ks')[0].value, 0.4);
    assert.equal(one('flinkscope_model_drifted')[0].value, 1);
    assert.equal(one('flinkscope_scoring_lag_seconds')[0].value, 60 + 10, 'now − the newest scored sample (at(199))');
    assert.ok(one('flinkscope_last_step_timestamp_seconds')[0].value > 1.7e9, 'the watcher wrote its last step time');
    assert.ok(one('flinkscope_last_step_duration_seconds')[0].value >= 0);
    assert.equal(one('flinkscope_machines')[0].value, 6);
    assert.equal(one('flinkscope_alerts_undelivered')[0].value, (await store.alerts()).filter((a) => a.deliveredAt === null).length);
  });

  test('served on /metrics by serve (token when set) and by watch --metrics-port', async () => {
    const svc = new InspectionService(store);
    const app = buildApi(svc);
    const r = await app.inject({ url: '/metrics' });
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.match(r.body, /^# HELP flinkscope_machine_score /m);
    const w = await serveMetrics(svc, { port: 0, token: 'metrics-token' });
    try {
      assert.equal((await fetch(`${w.address}/metrics`)).status, 401);
      const ok = await fetch(`${w.address}/metrics`, { headers: { authorization: 'Bearer metrics-token' } });
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /flinkscope_machine_score\{machine="tm-2"\}/);
      assert.equal((await fetch(`${w.address}/api/health`, { headers: { authorization: 'Bearer metrics-token' } })).status, 404, 'the watcher serves /metrics only');
    } finally {
      await w.app.close();
    }
  });

  test('a failing collector: /api/health says since when and why, /metrics says 1, until data comes again', async () => {
    const { store: own } = await inspectedStore();
    try {
      const svc = new InspectionService(own);
      const app = buildApi(svc);
      const health = async () => JSON.parse((await app.inject({ url: '/api/health' })).body) as { collectFailing: unknown };
      const failing = async () => parse((await exposition(svc)).text).filter((r) => r.name.startsWith('flinkscope_collect_failing'));
      assert.equal((await health()).collectFailing, null);
      assert.deepEqual((await failing()).map((r) => [r.name, r.value]), [['flinkscope_collect_failing', 0]]);
      const newest = await own.newestSample();
      const outage = new CollectOutage(undefined);
      outage.ok(newest);
      await own.insertEvents(outage.failed(newest + 10_000, 'connect ECONNREFUSED 10.0.0.1:8081'));
      assert.deepEqual((await health()).collectFailing, { at: newest + 10_000, since: newest, error: 'connect ECONNREFUSED 10.0.0.1:8081' });
      assert.deepEqual((await failing()).map((r) => [r.name, r.value]), [['flinkscope_collect_failing', 1], ['flinkscope_collect_failing_since_timestamp_seconds', (newest + 10_000) / 1000]]);
      await own.insertEvents(outage.ok(newest + 60_000));
      assert.equal((await health()).collectFailing, null, 'collecting again');
      assert.deepEqual((await failing()).map((r) => [r.name, r.value]), [['flinkscope_collect_failing', 0]]);
      await app.close();
    } finally {
      await own.close();
    }
  });

  test('the Grafana dashboard queries only metrics flinkscope exposes', () => {
    const root = process.env.FLINKSCOPE_ROOT ?? join(process.cwd());
    const dash = JSON.parse(readFileSync(join(root, 'grafana', 'flinkscope.json'), 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
    const used = new Set<string>();
    for (const p of dash.panels) for (const t of p.targets ?? []) for (const m of t.expr.matchAll(/\bflinkscope_\w+/g)) used.add(m[0]);
    assert.ok(used.size >= 8, `the dashboard uses ${used.size} metrics`);
    for (const n of used) assert.ok(n in METRICS, `grafana/flinkscope.json uses ${n}, which flinkscope does not expose`);
    for (const n of ['flinkscope_machine_score', 'flinkscope_machine_threshold', 'flinkscope_open_incidents', 'flinkscope_scoring_lag_seconds', 'flinkscope_model_drift_ks']) {
      assert.ok(used.has(n), `the dashboard shows ${n}`);
    }
  });
});
