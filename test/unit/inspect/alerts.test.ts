import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookAlerter, AlertError } from '../../../src/inspect/alerts.js';
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
      assert.match((got[4] as { text: string }).text, /spike hotspot on tm-1/);
    } finally {
      await new Promise((r) => srv.close(r));
    }
    const down = new WebhookAlerter({ url: 'http://127.0.0.1:1/x', timeoutMs: 1000 });
    await assert.rejects(down.send(inc('1'), 'open'), AlertError);
    assert.throws(() => new WebhookAlerter({ url: 'not a url' }), AlertError);
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
