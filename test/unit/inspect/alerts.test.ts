import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookAlerter, AlertError, isPrivateAddress } from '../../../src/inspect/alerts.js';
import { driftCheck } from '../../../src/inspect/drift.js';
import type { Incident } from '../../../src/core/incident.js';

const inc = (id: string): Incident => ({ id, machine: 'tm-1', state: 'open', type: 'spike', onset: 0, lastSeen: 10, peak: 2, segments: 1 });

describe('webhook alerts (local HTTP receiver)', () => {
  test('de-dup, rate limit, resolve, slack format, receiver down', async () => {
    const got: unknown[] = [];
    const srv = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => { got.push(JSON.parse(body)); res.end('ok'); });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`;
    try {
      const a = new WebhookAlerter({ url, maxPerWindow: 2, windowMs: 1000 });
      assert.equal(await a.send(inc('1'), 'open', 0), 'sent');
      assert.equal(await a.send(inc('1'), 'open', 1), 'duplicate');
      assert.equal(await a.send(inc('2'), 'open', 2), 'sent');
      assert.equal(await a.send(inc('3'), 'open', 3), 'rate-limited');
      assert.equal(await a.send(inc('1'), 'resolved', 4), 'sent');
      assert.equal(await a.send(inc('3'), 'open', 2000), 'sent');
      assert.equal(got.length, 4);
      assert.deepEqual((got[2] as { kind: string }).kind, 'resolved');
      const s = new WebhookAlerter({ url, format: 'slack' });
      await s.send(inc('9'), 'open', 0);
      assert.match((got[4] as { text: string }).text, /spike hotspot on tm-1 .*\(peak score 2\.00, incident 9\)/, 'an incident stored before the alarm scale: its raw score');
      await s.send({ ...inc('10'), peak: 60, peakUnits: 3 }, 'open', 0);
      assert.match((got[5] as { text: string }).text, /\(peak 3\.00 on the alarm scale \(1 = the opening level\), incident 10\)/);
      got.splice(5, 1);
      // updates: one per renewal, each with its own key (the outbox's), past the de-dup of the open alert
      const j = new WebhookAlerter({ url });
      assert.equal(await j.send(inc('5'), 'open', 0), 'sent');
      assert.equal(await j.send(inc('5'), 'update', 1, '5:update:600000'), 'sent');
      assert.equal(await j.send(inc('5'), 'update', 2, '5:update:900000'), 'sent');
      assert.equal(await j.send(inc('5'), 'update', 3, '5:update:600000'), 'duplicate');
      assert.deepEqual(got.slice(5).map((g) => [(g as { id: string }).id, (g as { kind: string }).kind]), [['5:open', 'open'], ['5:update:600000', 'update'], ['5:update:900000', 'update']]);
      await s.send(inc('9'), 'update', 4, '9:update:600000');
      assert.match((got[8] as { text: string }).text, /spike hotspot on tm-1 rose again at 1970-01-01T00:10:00.000Z while its incident was still open/);
      // a rise inside a segment names the metric that leads it now, and the one that led before the dip
      await s.send({ ...inc('11'), renewals: [{ from: 580_000, at: 600_000, dipMs: 30_000, lead: 'state_bytes', leadBefore: 'backpressured_ms_per_s' }] }, 'update', 5, '11:update:600000');
      assert.match((got[9] as { text: string }).text, /rose again at 1970-01-01T00:10:00.000Z, now led by state_bytes \(before: backpressured_ms_per_s\) while its incident was still open/);
    } finally {
      await new Promise((r) => srv.close(r));
    }
    const down = new WebhookAlerter({ url: 'http://127.0.0.1:1/x', timeoutMs: 1000 });
    await assert.rejects(down.send(inc('1'), 'open'), AlertError);
    assert.throws(() => new WebhookAlerter({ url: 'not a url' }), AlertError);
  });
});

describe('webhook outbound safety (real local HTTP servers)', () => {
  test('same-origin 307/308 redirects are followed a few times; other hosts, ports and POST-to-GET redirects are not', async () => {
    const hits: Record<string, number> = {};
    let otherPort = 0;
    const other = http.createServer((req, res) => {
      hits[`other${req.url}`] = (hits[`other${req.url}`] ?? 0) + 1;
      res.end('ok');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    otherPort = (other.address() as AddressInfo).port;
    const srv = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        hits[req.url!] = (hits[req.url!] ?? 0) + 1;
        const port = (srv.address() as AddressInfo).port;
        const to: Record<string, [number, string]> = {
          '/same': [307, '/hook'], '/same2': [308, `http://127.0.0.1:${port}/same`], '/cross-port': [307, `http://127.0.0.1:${otherPort}/hook`],
          '/alias': [307, `http://localhost:${port}/hook`], '/moved': [301, '/hook'], '/loop': [307, '/loop'],
        };
        if (to[req.url!]) return void res.writeHead(to[req.url!][0], { location: to[req.url!][1] }).end();
        if (req.url === '/hook') assert.match(body, /"incident"/, 'the alert arrives with its body');
        res.end('ok');
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const at = (p: string): string => `http://127.0.0.1:${(srv.address() as AddressInfo).port}${p}`;
    try {
      assert.equal(await new WebhookAlerter({ url: at('/same') }).send(inc('1'), 'open'), 'sent');
      assert.equal(await new WebhookAlerter({ url: at('/same2') }).send(inc('1'), 'open'), 'sent');
      assert.equal(hits['/hook'], 2, 'two hops, one POST at the end each');
      await assert.rejects(new WebhookAlerter({ url: at('/cross-port') }).send(inc('1'), 'open'), /redirects to another host \(http:\/\/127\.0\.0\.1:\d+\/hook\): not followed/);
      await assert.rejects(new WebhookAlerter({ url: at('/alias') }).send(inc('1'), 'open'), /redirects to another host \(http:\/\/localhost:/);
      await assert.rejects(new WebhookAlerter({ url: at('/moved') }).send(inc('1'), 'open'), /HTTP 301 .*would turn the POST into a GET: not followed/);
      await assert.rejects(new WebhookAlerter({ url: at('/loop') }).send(inc('1'), 'open'), /more than 3 redirects/);
      assert.equal(hits['/loop'], 4, 'the first request and three hops');
      assert.equal(hits['other/hook'], undefined, 'nothing was POSTed to the other server');
      assert.equal(hits['/hook'], 2);
    } finally {
      await new Promise((r) => srv.close(r));
      await new Promise((r) => other.close(r));
    }
  });
  test('denyPrivate refuses loopback / private / link-local targets, by address and after DNS resolution', async () => {
    let hits = 0;
    const srv = http.createServer((_q, res) => void (hits++, res.end('ok')));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    try {
      assert.equal(await new WebhookAlerter({ url: `http://127.0.0.1:${port}/h` }).send(inc('1'), 'open'), 'sent', 'allowed without the option');
      await assert.rejects(new WebhookAlerter({ url: `http://127.0.0.1:${port}/h`, denyPrivate: true }).send(inc('1'), 'open'), /127\.0\.0\.1:\d+\/h is a private \/ loopback \/ link-local address \(refused: denyPrivate\)/);
      await assert.rejects(new WebhookAlerter({ url: `http://localhost:${port}/h`, denyPrivate: true }).send(inc('1'), 'open'), /webhook host localhost resolves to (127\.0\.0\.1|::1), a private/);
      await assert.rejects(new WebhookAlerter({ url: 'http://[::1]:9/h', denyPrivate: true }).send(inc('1'), 'open'), /refused: denyPrivate/);
      assert.equal(hits, 1, 'no refused request reached the server');
    } finally {
      await new Promise((r) => srv.close(r));
    }
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fc00::1', 'fd12::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1']) assert.equal(isPrivateAddress(a), true, a);
    for (const a of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8']) assert.equal(isPrivateAddress(a), false, a);
  });
});

describe('drift check', () => {
  const base = Array.from({ length: 200 }, (_, i) => Math.sin(i) * 0.5 + 1);
  test('same distribution: no drift', () => assert.equal(driftCheck(base, base.slice(0, 100)).drifted, false));
  test('shifted distribution: drift', () => {
    const r = driftCheck(base, base.map((v) => v + 1));
    assert.equal(r.drifted, true);
    assert.ok(r.ks > 0.9);
  });
  test('too few scores', () => assert.throws(() => driftCheck([1], [1, 2]), RangeError));
});
