// Alerts through a REAL Alertmanager (Debian's prometheus-alertmanager, started here on a free loopback port with its
// own config and storage, clustering off): `watch --alertmanager` queues the incident for the Alertmanager sink, the
// alert arrives with its labels and annotations and Alertmanager notifies its receiver (a loopback webhook); a
// silence suppresses the next incident's alert (listed as suppressed, never notified); the resolve ends the alert
// (endsAt) and Alertmanager sends the resolved notification; re-posting keeps an open alert firing; an update is a new
// episode Alertmanager notifies.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore, type StepWrite } from '../../../src/store/index.js';
import { AlertDispatcher } from '../../../src/app/alerts.js';
import { runWatch } from '../../../src/app/run.js';
import { AlertmanagerAlerter } from '../../../src/inspect/alertmanager.js';
import { createDetector } from '../../../src/detectors/index.js';
import type { Incident, IncidentDetail } from '../../../src/core/incident.js';
import type { Sample } from '../../../src/core/sample.js';
import { freePort } from '../../../src/app/lab/tools.js';

const BIN = 'prometheus-alertmanager';
const haveAm = spawnSync(BIN, ['--version']).status === 0;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Notification { status: string; alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string>; endsAt: string }[] }
interface AmAlert { labels: Record<string, string>; annotations: Record<string, string>; endsAt: string; status: { state: string; silencedBy: string[] } }

let dir = '';
let am: ChildProcess | null = null;
let amUrl = '';
let hook: Server;
const notified: Notification[] = [];

async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`not within ${ms / 1000} s: ${what}`);
    await sleep(250);
  }
}
const alerts = async (): Promise<AmAlert[]> => (await fetch(`${amUrl}/api/v2/alerts`)).json() as Promise<AmAlert[]>;
const alertOf = async (id: string): Promise<AmAlert | undefined> => (await alerts()).find((a) => a.labels.incident === id);
const notificationsOf = (id: string, status: string): Notification['alerts'] => notified.flatMap((n) => n.alerts).filter((a) => a.labels.incident === id && a.status === status);

const detail: IncidentDetail = {
  explanation: [{ name: 'busy_ms_per_s', share: 0.7, meanZ: 6 }, { name: 'cpu_load', share: 0.3, meanZ: 3 }], jobs: ['orders'], movers: [], events: [], paged: true,
  cause: { machine: 'tm-3', busy: 970, jobs: ['orders'], anomalous: true, graph: { job: 'orders', jobId: 'j1', vertexId: 'v', vertex: 'order-score', walk: 'downstream', path: ['Source: orders', 'order-score'], subtasks: [{ index: 2, machine: 'tm-3', busy: 0.97, backpressure: 0 }], machines: ['tm-3'] } },
};
const step = (p: Partial<StepWrite>): StepWrite => ({ scores: [], modelId: null, scorerStates: [], incidents: [], alerts: [], status: [], meta: {}, ...p });
const open = (id: string, onset: number): Incident & IncidentDetail => ({ id, machine: 'tm-1', state: 'open', type: 'backpressure', onset, lastSeen: onset + 60_000, peak: 7, segments: 1, ...detail });

describe('alerts through a real Alertmanager', { skip: !haveAm && `${BIN} not installed (Debian package prometheus-alertmanager)`, timeout: 240_000 }, () => {
  before(async () => {
    hook = createServer((req, res) => {
      let b = '';
      req.on('data', (d) => (b += d));
      req.on('end', () => {
        notified.push(JSON.parse(b) as Notification);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    dir = mkdtempSync(join(tmpdir(), 'flinkscope-am-'));
    const port = await freePort();
    amUrl = `http://127.0.0.1:${port}`;
    writeFileSync(join(dir, 'alertmanager.yml'), [
      'route:', '  receiver: hook', "  group_by: ['incident']", '  group_wait: 1s', '  group_interval: 1s', '  repeat_interval: 1h',
      'receivers:', '  - name: hook', '    webhook_configs:', `      - url: http://127.0.0.1:${(hook.address() as AddressInfo).port}/am`, '        send_resolved: true', '',
    ].join('\n'));
    am = spawn(BIN, [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    am.stderr!.on('data', (d) => (err = (err + d).slice(-3000)));
    await until(`Alertmanager ready on ${amUrl} (${err.slice(-500)})`, async () => (await fetch(`${amUrl}/-/ready`)).ok);
  });
  after(async () => {
    if (am && am.exitCode === null) {
      am.kill('SIGTERM');
      await new Promise((r) => (am!.exitCode !== null ? r(null) : am!.once('exit', r)));
    }
    await new Promise<void>((r) => hook.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('watch --alertmanager: the incident\'s alert arrives with its labels, and Alertmanager notifies the receiver', async () => {
    // the product loop: samples with a hotspot, a model, one watch tick with only the Alertmanager sink
    const store = new SqliteStore(join(dir, 'watch.db'));
    const T0 = Date.now() - 400 * 60_000;
    const s: Sample[] = [];
    for (let i = 0; i < 400; i++) {
      const h = i >= 380 ? 8 : 0;
      s.push({ ts: T0 + i * 60_000, machine: 'tm-9', metric: 'cpu_load', value: Math.sin(i / 9) + ((i * 7) % 5) * 0.05 + h }, { ts: T0 + i * 60_000, machine: 'tm-9', metric: 'latency_ms', value: 50 + Math.cos(i / 7) + h * 10 });
    }
    await store.insertSamples(s);
    await store.recordPlacement({ 'tm-9': ['clicks'] }, T0);
    const det = createDetector('zscore');
    await det.fit(await store.series('tm-9', ['cpu_load', 'latency_ms'], 0, T0 + 299 * 60_000), { threshold: { rule: 'fixed:6', of: () => 6 } });
    det.save(join(dir, 'z.model'));
    const sum = await runWatch({ store, modelPath: join(dir, 'z.model'), intervalMs: 10, ticks: 1, alertmanager: { url: amUrl, dashboardUrl: 'http://127.0.0.1:8080' }, log: () => {} });
    assert.equal(sum.paged, 1);
    assert.deepEqual((await store.alerts()).map((a) => [a.sink, a.key, a.deliveredAt !== null]), [['alertmanager', 'inc-1:open', true]], 'queued for the Alertmanager sink only, and delivered');
    const a = await until('the alert in Alertmanager', () => alertOf('inc-1'));
    assert.deepEqual(a.labels, { alertname: 'FlinkHotspot', incident: 'inc-1', machine: 'tm-9', type: (await store.incident('inc-1'))!.type, severity: a.labels.severity, job: 'clicks' });
    assert.ok(['critical', 'warning'].includes(a.labels.severity));
    assert.equal(a.annotations.dashboard, 'http://127.0.0.1:8080/#/incident/inc-1');
    assert.match(a.annotations.explanation, /^what moved: /);
    assert.equal(a.status.state, 'active');
    await until('the receiver notified of inc-1', async () => notificationsOf('inc-1', 'firing').length > 0);
    await store.close();
  });

  it('a silence suppresses the alert; the resolve ends it; re-posting keeps an open one firing', async () => {
    const store = new SqliteStore(join(dir, 'flow.db'));
    const sink = new AlertmanagerAlerter({ url: amUrl, resendMs: 10_000 });
    const d = new AlertDispatcher(store, sink);
    const t = Date.now() - 120_000;
    await store.commitStep(step({ incidents: [open('inc-21', t)], alerts: [{ sink: 'alertmanager', key: 'inc-21:open', incidentId: 'inc-21', kind: 'open', createdAt: t }] }));
    assert.equal((await d.deliver()).delivered, 1);
    const a = await until('inc-21 firing', () => alertOf('inc-21'));
    assert.deepEqual([a.labels.job, a.labels.operator, a.labels.severity, a.labels.type], ['orders', 'order-score', 'critical', 'backpressure'], 'job and operator from the graph cause');
    assert.match(a.annotations.cause, /orders \/ order-score #2 on tm-3 \(busy 97 %\) — downstream of Source: orders/);
    await until('inc-21 notified', async () => notificationsOf('inc-21', 'firing').length > 0);

    // a silence on inc-22 (made before its alert arrives): listed as suppressed, never notified
    const silence = await (await fetch(`${amUrl}/api/v2/silences`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ matchers: [{ name: 'incident', value: 'inc-22', isRegex: false, isEqual: true }], startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString(), createdBy: 'test', comment: 'known' }),
    })).json() as { silenceID: string };
    await store.commitStep(step({ incidents: [{ ...open('inc-22', t + 1000), machine: 'tm-2' }], alerts: [{ sink: 'alertmanager', key: 'inc-22:open', incidentId: 'inc-22', kind: 'open', createdAt: t }] }));
    assert.equal((await d.deliver()).delivered, 1);
    const s2 = await until('inc-22 suppressed', async () => { const x = await alertOf('inc-22'); return x?.status.state === 'suppressed' ? x : null; });
    assert.deepEqual(s2.status.silencedBy, [silence.silenceID]);
    await sleep(4000); // several group intervals
    assert.deepEqual(notificationsOf('inc-22', 'firing'), [], 'a silenced alert is not notified');

    // re-posting (the watch loop does it every resendMs) moves endsAt forward
    const before = Date.parse((await alertOf('inc-21'))!.endsAt);
    await sleep(1100);
    assert.equal(await sink.refresh(await store.activeIncidents()), 2);
    const after1 = Date.parse((await until('inc-21 endsAt moved', async () => { const x = await alertOf('inc-21'); return x && Date.parse(x.endsAt) > before ? x : null; })).endsAt);
    assert.ok(after1 >= Date.now() + 30_000, 'ends a ttl (4 × resend) after the last post');

    // resolve inc-21: endsAt = its resolve time, Alertmanager drops it from the active alerts and notifies "resolved"
    const resolvedAt = Date.now() - 1000;
    await store.commitStep(step({ incidents: [{ ...open('inc-21', t), state: 'resolved', resolvedAt }], alerts: [{ sink: 'alertmanager', key: 'inc-21:resolved', incidentId: 'inc-21', kind: 'resolved', createdAt: Date.now() }] }));
    assert.equal((await d.deliver()).delivered, 1);
    await until('inc-21 gone from the active alerts', async () => !(await alerts()).some((x) => x.labels.incident === 'inc-21'));
    const done = await until('the receiver told inc-21 is resolved', async () => notificationsOf('inc-21', 'resolved')[0]);
    assert.equal(Date.parse(done.endsAt), resolvedAt, 'endsAt is the resolve time');
    assert.ok((await alertOf('inc-22')), 'the other incident is still there');
    await store.close();
  });

  it('an update (the incident rose again while open) is a new episode that Alertmanager notifies; the old one ends', async () => {
    const store = new SqliteStore(join(dir, 'update.db'));
    const d = new AlertDispatcher(store, new AlertmanagerAlerter({ url: amUrl, resendMs: 10_000 }));
    const t = Date.now() - 120_000;
    await store.commitStep(step({ incidents: [open('inc-31', t)], alerts: [{ sink: 'alertmanager', key: 'inc-31:open', incidentId: 'inc-31', kind: 'open', createdAt: t }] }));
    assert.equal((await d.deliver()).delivered, 1);
    await until('inc-31 notified', async () => notificationsOf('inc-31', 'firing').length > 0);
    const u = t + 90_000;
    await store.commitStep(step({ incidents: [{ ...open('inc-31', t), updates: [u] }], alerts: [{ sink: 'alertmanager', key: `inc-31:update:${u}`, incidentId: 'inc-31', kind: 'update', createdAt: Date.now() }] }));
    assert.equal((await d.deliver()).delivered, 1);
    const second = await until('the receiver told of episode 2', async () => notificationsOf('inc-31', 'firing').find((a) => a.labels.episode === '2'));
    assert.equal(second.labels.machine, 'tm-1');
    const active = (await alerts()).filter((a) => a.labels.incident === 'inc-31');
    assert.deepEqual(active.map((a) => a.labels.episode), ['2'], 'the first episode\'s label set ended in the same post');
    await store.close();
  });

  it('Alertmanager down: the delivery fails with a clear error and is retried later, not lost', async () => {
    const store = new SqliteStore(':memory:');
    await store.commitStep(step({ incidents: [open('inc-7', Date.now())], alerts: [{ sink: 'alertmanager', key: 'inc-7:open', incidentId: 'inc-7', kind: 'open', createdAt: 1 }] }));
    const down = new AlertDispatcher(store, new AlertmanagerAlerter({ url: `http://127.0.0.1:${await freePort()}`, timeoutMs: 1000 }), { backoffMs: 10 });
    const r = await down.deliver();
    assert.equal(r.failed, 1);
    assert.match(r.errors[0], /alertmanager http:\/\/127\.0\.0\.1:\d+\/api\/v2\/alerts unreachable/);
    const [row] = await store.alerts();
    assert.deepEqual([row.deliveredAt, row.attempts], [null, 1]);
    assert.equal((await new AlertDispatcher(store, new AlertmanagerAlerter({ url: amUrl })).deliver(Date.now() + 1000)).delivered, 1, 'delivered once Alertmanager answers');
    await until('inc-7 in Alertmanager', () => alertOf('inc-7'));
    await store.close();
  });
});
