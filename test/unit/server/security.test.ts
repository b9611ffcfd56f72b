// Every way around the API's checks that we know of, over a real socket (raw paths are sent as written: no client
// normalises them). Not tested, because a test cannot show it: that the token comparison takes the same time for
// every wrong token (it compares equal-length SHA-256 digests with crypto.timingSafeEqual).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../../src/server/api.js';
import { assertBindSafe, hostName, tokenMatches } from '../../../src/server/security.js';
import { InspectionService } from '../../../src/app/service.js';
import type { SqliteStore } from '../../../src/store/index.js';
import { inspectedStore } from '../../helpers/inspected.js';

const TOKEN = 'correct-horse-battery';
let store: SqliteStore;
let locked: FastifyInstance; // with a token
let open: FastifyInstance; // loopback, no token
let incidentId: string;

const port = (a: FastifyInstance): number => (a.server.address() as AddressInfo).port;

interface Res { status: number; body: string; headers: Record<string, string | string[] | undefined> }
/** One HTTP/1.1 request with the path exactly as given. */
function raw(app: FastifyInstance, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: port(app), method, path, headers: { host: `127.0.0.1:${port(app)}`, ...headers } }, (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const auth = { authorization: `Bearer ${TOKEN}` };
const json = { 'content-type': 'application/json' };

before(async () => {
  ({ store } = await inspectedStore());
  incidentId = (await store.incidents({ machine: 'tm-2' })).items[0].id;
  locked = buildApi(new InspectionService(store), { token: TOKEN });
  open = buildApi(new InspectionService(store));
  await locked.listen({ host: '127.0.0.1', port: 0 });
  await open.listen({ host: '127.0.0.1', port: 0 });
});
after(async () => {
  await locked.close();
  await open.close();
  await store.close();
});

describe('API security', () => {
  test('the token is checked on the matched route, however the path is spelt', async () => {
    assert.equal((await raw(locked, 'GET', '/api/health', auth)).status, 200);
    for (const p of ['/api/health', '/%61pi/health', '/%61%70%69/health', '/api/%68ealth', '//api/health', '/API/health', '/api/health/', '/api//health', '/api/./health',
      '/x/../api/health', '/api/health?x=1', '/api/health;x', '/api/health%00', '/api/health#x', '/api/machines/tm-2/metrics', '/api/m%61chines/tm-2/scores', '/api/openapi.json', '/metrics', '/%6detrics']) {
      const r = await raw(locked, 'GET', p);
      assert.ok(r.status === 401 || r.status === 404 || r.status === 400, `${p} → ${r.status} ${r.body.slice(0, 80)}`);
      assert.doesNotMatch(r.body, /machines"?:\s*\d|flinkscope_machine_score|tm-2"/, `${p} leaks no data`);
    }
    assert.equal((await raw(locked, 'GET', '/%61pi/health')).status, 401, 'the encoded spelling reaches the route and its check');
    assert.equal((await raw(locked, 'HEAD', '/api/health')).status, 401);
    assert.equal((await raw(locked, 'HEAD', '/%61pi/health')).status, 401);
    const opt = await raw(locked, 'OPTIONS', '/api/health', { origin: 'http://evil.example', 'access-control-request-method': 'POST' });
    assert.ok(opt.status === 401 || opt.status === 404, `OPTIONS → ${opt.status}`);
    assert.equal(opt.headers['access-control-allow-origin'], undefined, 'no CORS grant');
  });

  test('writes need the token on every spelling, and a wrong or malformed token is refused', async () => {
    for (const p of [`/api/incidents/${incidentId}/ack`, `/%61pi/incidents/${incidentId}/ack`, `/api/incidents/${incidentId}/%61ck`, `/api/incidents/${encodeURIComponent(incidentId)}/label`]) {
      const r = await raw(locked, 'POST', p, json, '{}');
      assert.ok(r.status === 401 || r.status === 404, `${p} → ${r.status}`);
    }
    for (const a of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Bearer ${TOKEN.toUpperCase()}`, `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`, TOKEN, 'Bearer ', `Bearer  ${TOKEN}`]) {
      assert.equal((await raw(locked, 'GET', '/api/health', { authorization: a })).status, 401, `authorization '${a}' refused`);
    }
    assert.equal((await raw(locked, 'GET', `/api/health?token=${TOKEN}`)).status, 401, 'no token in the query string');
    assert.equal((await store.incident(incidentId))!.ack, null, 'nothing was acknowledged');
    assert.equal((await raw(locked, 'GET', '/metrics', auth)).status, 200, 'Prometheus scrapes with the bearer token');
  });

  test('CSRF: a cross-site form or text/plain POST, a foreign Origin and a cross-site fetch cannot act', async () => {
    const ack = `/api/incidents/${incidentId}/ack`;
    const label = `/api/incidents/${incidentId}/label`;
    assert.equal((await raw(open, 'POST', ack, { 'content-type': 'text/plain' }, '{}')).status, 415);
    assert.equal((await raw(open, 'POST', ack, { 'content-type': 'application/x-www-form-urlencoded' }, 'a=1')).status, 415);
    assert.equal((await raw(open, 'POST', ack, { 'content-type': 'multipart/form-data; boundary=x' }, '--x--')).status, 415);
    assert.equal((await raw(open, 'POST', ack)).status, 415, 'no content type');
    assert.equal((await raw(open, 'POST', label, { 'content-type': 'text/plain;charset=UTF-8' }, '{"label":"expected"}')).status, 415);
    assert.equal((await raw(open, 'POST', ack, { ...json, origin: 'http://evil.example' }, '{}')).status, 403);
    assert.equal((await raw(open, 'POST', ack, { ...json, origin: 'null' }, '{}')).status, 403);
    assert.equal((await raw(open, 'POST', ack, { ...json, origin: `http://127.0.0.1:${port(open) + 1}` }, '{}')).status, 403, 'another port is another origin');
    assert.equal((await raw(open, 'POST', ack, { ...json, 'sec-fetch-site': 'cross-site' }, '{}')).status, 403);
    assert.equal((await raw(open, 'POST', ack, { ...json, 'sec-fetch-site': 'same-site' }, '{}')).status, 403);
    const rec = (await store.incident(incidentId))!;
    assert.equal(rec.ack, null, 'nothing was acknowledged');
    assert.equal(rec.label, null, 'nothing was labelled');
    // the dashboard's own request: JSON, same origin
    const same = await raw(open, 'POST', label, { ...json, origin: `http://127.0.0.1:${port(open)}`, 'sec-fetch-site': 'same-origin' }, '{"label":"expected"}');
    assert.equal(same.status, 200, same.body);
    assert.equal((await store.incident(incidentId))!.label?.value, 'expected');
  });

  test('DNS rebinding: a Host that is not this server is refused on every route', async () => {
    for (const p of ['/api/health', '/', '/app.js', '/metrics', '/nope']) {
      const r = await raw(open, 'GET', p, { host: `evil.example:${port(open)}` });
      assert.equal(r.status, 421, `${p} with a foreign Host → ${r.status}`);
      assert.doesNotMatch(r.body, /tm-2|flinkscope_machine/);
    }
    for (const h of [`localhost:${port(open)}`, `127.0.0.1:${port(open)}`, 'localhost', `LOCALHOST:${port(open)}`]) {
      assert.equal((await raw(open, 'GET', '/api/health', { host: h })).status, 200, `Host ${h}`);
    }
    for (const h of ['127.0.0.1.evil.example', 'localhost.evil.example:80', 'evil.example@127.0.0.1', '127.0.0.1:80:80']) {
      assert.equal((await raw(open, 'GET', '/api/health', { host: h })).status, 421, `Host ${h}`);
    }
    // HTTP/1.0 without a Host header
    const answer = await new Promise<string>((resolve, reject) => {
      const s = connect(port(open), '127.0.0.1', () => s.end('GET /api/health HTTP/1.0\r\n\r\n'));
      let b = '';
      s.on('data', (c) => (b += c));
      s.on('end', () => resolve(b));
      s.on('error', reject);
    });
    assert.match(answer.split('\r\n')[0], / 421 /);
    const allowed = buildApi(new InspectionService(store), { allowHosts: ['flinkscope.internal'] });
    assert.equal((await allowed.inject({ url: '/api/health', headers: { host: 'flinkscope.internal:8080' } })).statusCode, 200, '--allow-host adds a name');
    assert.equal((await allowed.inject({ url: '/api/health', headers: { host: 'other.internal' } })).statusCode, 421);
  });

  test('answers forbid framing and sniffing and send no referrer', async () => {
    const r = await raw(open, 'GET', '/');
    assert.equal(r.headers['x-frame-options'], 'DENY');
    assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['referrer-policy'], 'no-referrer');
  });

  test('binding beyond loopback needs a token', () => {
    assert.throws(() => assertBindSafe('0.0.0.0', undefined), /refusing to serve on 0\.0\.0\.0 without a token/);
    assert.throws(() => buildApi(new InspectionService(store), { host: '10.1.2.3' }), /without a token/);
    assert.throws(() => assertBindSafe('0.0.0.0', 'short'), /at least 8 characters/);
    assert.doesNotThrow(() => assertBindSafe('0.0.0.0', TOKEN));
    assert.doesNotThrow(() => assertBindSafe('127.0.0.1', undefined));
    assert.doesNotThrow(() => assertBindSafe('localhost', undefined));
  });

  test('helpers: host names and token matching', () => {
    assert.equal(hostName('[::1]:8080'), '::1');
    assert.equal(hostName('LocalHost:1'), 'localhost');
    assert.equal(hostName('a:b:c'), null);
    assert.equal(hostName(undefined), null);
    assert.equal(tokenMatches(`Bearer ${TOKEN}`, TOKEN), true);
    assert.equal(tokenMatches(`bearer ${TOKEN}`, TOKEN), true, 'the scheme is case-insensitive (RFC 7235)');
    assert.equal(tokenMatches(undefined, TOKEN), false);
    assert.equal(tokenMatches(`Bearer ${TOKEN} `, TOKEN), false);
  });
});
