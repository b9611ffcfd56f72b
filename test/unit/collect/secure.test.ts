// Secured sources: a real HTTPS server on loopback (node:https, certificates made here with openssl: a CA, the
// server's certificate, a client certificate it signed, and a rogue self-signed one) that requires a client
// certificate AND bearer or basic auth, and answers in Flink's and Prometheus' REST shapes. The collectors get data
// with the right credentials and a clear error naming the URL without them — through the library and through the
// real CLI (`collect` and `watch` share the same options).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FlinkRestSource, PrometheusSource, SourceError } from '../../../src/collect/index.js';
import { SqliteStore } from '../../../src/store/sqlite.js';

const CLI = resolve(process.env.FLINKSCOPE_ROOT ?? '.', 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'flinkscope-secure-'));
const haveOpenssl = spawnSync('openssl', ['version']).status === 0;
const p = (f: string): string => join(dir, f);

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const c = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, CI: 'true', ...env } });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => res({ code, out, err }));
  });
}

let server: Server;
let base = '';
const BASIC = `Basic ${Buffer.from('flink:s3cret').toString('base64')}`;

describe('secured Flink REST / Prometheus: client certificate, bearer / basic auth, own CA', { skip: !haveOpenssl && 'openssl not available' }, () => {
  before(async () => {
    const subj = (cn: string): string[] => ['-subj', `/CN=${cn}`];
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', ...subj('flinkscope test CA'), '-keyout', 'ca.key', '-out', 'ca.pem']);
    for (const [name, ext] of [['server', 'subjectAltName=IP:127.0.0.1'], ['client', 'extendedKeyUsage=clientAuth']]) {
      writeFileSync(p(`${name}.ext`), `${ext}\n`);
      openssl(['req', '-newkey', 'rsa:2048', '-nodes', ...subj(name), '-keyout', `${name}.key`, '-out', `${name}.csr`]);
      openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
    }
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', ...subj('rogue'), '-keyout', 'rogue.key', '-out', 'rogue.pem']);
    const read = (f: string): string => readFileSync(p(f), 'utf8');
    server = createServer({ key: read('server.key'), cert: read('server.pem'), ca: read('ca.pem'), requestCert: true, rejectUnauthorized: true }, (req, res) => {
      if (req.headers.authorization !== 'Bearer sesame' && req.headers.authorization !== BASIC) return void res.writeHead(401).end('{}');
      const u = new URL(req.url!, 'https://x');
      const json = (x: unknown): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(x));
      if (u.pathname === '/taskmanagers') return json({ taskmanagers: [{ id: 'tm-1' }] });
      if (u.pathname === '/taskmanagers/tm-1/metrics') return json([{ id: 'Status.JVM.CPU.Load', value: '0.75' }]);
      if (u.pathname === '/jobs/overview') return json({ jobs: [] });
      if (u.pathname === '/api/v1/query_range') {
        const q = u.searchParams.get('query') ?? '';
        const result = /CPU_Load/.test(q) && !/job_name/.test(q) ? [{ metric: { tm_id: 'tm_1' }, values: [[Number(u.searchParams.get('start')), '0.5']] }] : [];
        return json({ status: 'success', data: { resultType: 'matrix', result } });
      }
      res.writeHead(404).end('not found');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server?.close());

  const tls = (client: 'client' | 'rogue' | null) => ({
    ca: readFileSync(p('ca.pem'), 'utf8'),
    ...(client ? { cert: readFileSync(p(`${client}.pem`), 'utf8'), key: readFileSync(p(`${client}.key`), 'utf8') } : {}),
  });

  it('the library: data with certificate + credentials; clear errors without either', async () => {
    const ok = await new FlinkRestSource(base, { tls: tls('client'), auth: { bearer: 'sesame' }, retries: 0 }).poll(1);
    assert.deepEqual(ok.samples, [{ ts: 1, machine: 'tm-1', metric: 'cpu_load', value: 0.75 }]);
    const basic = await new FlinkRestSource(base, { tls: tls('client'), auth: { basic: { user: 'flink', password: 's3cret' } }, retries: 0 }).poll(1);
    assert.equal(basic.samples.length, 1);
    const prom = await new PrometheusSource(base, { tls: tls('client'), auth: { bearer: 'sesame' }, retries: 0, stepMs: 10_000 }).range(0, 10_000);
    assert.deepEqual(prom.samples, [{ ts: 0, machine: 'tm-1', metric: 'cpu_load', value: 0.5 }]);
    const failsWith = (re: RegExp) => (e: unknown): boolean => e instanceof SourceError && re.test(e.message) && e.message.includes(`${base}/taskmanagers`);
    await assert.rejects(new FlinkRestSource(base, { tls: tls('client'), retries: 0 }).poll(), failsWith(/HTTP 401: wrong or missing credentials/));
    await assert.rejects(new FlinkRestSource(base, { tls: tls(null), auth: { bearer: 'sesame' }, retries: 0 }).poll(), failsWith(/cannot connect: /));
    await assert.rejects(new FlinkRestSource(base, { tls: tls('rogue'), auth: { bearer: 'sesame' }, retries: 0 }).poll(), failsWith(/cannot connect: /));
    await assert.rejects(new FlinkRestSource(base, { auth: { bearer: 'sesame' }, retries: 0 }).poll(), failsWith(/cannot connect: .*(self-signed|certificate)/));
  });

  it('the CLI: collect and watch take the same TLS / auth options (token also from FLINKSCOPE_TOKEN)', async () => {
    const certs = ['--ca', p('ca.pem'), '--cert', p('client.pem'), '--key', p('client.key')];
    const db = p('secure.db');
    const c = await cli(['collect', '--flink', base, ...certs, '--polls', '1', '--db', db], { FLINKSCOPE_TOKEN: 'sesame' });
    assert.equal(c.code, 0, c.err);
    const s = new SqliteStore(db);
    assert.deepEqual((await s.metrics()), ['cpu_load']);
    await s.close();
    const noCert = await cli(['collect', '--flink', base, '--ca', p('ca.pem'), '--token', 'sesame', '--polls', '1', '--timeout', '2s', '--db', p('x.db')]);
    assert.equal(noCert.code, 1);
    assert.match(noCert.err, new RegExp(`nothing could be collected from ${base.replace(/\./g, '\\.')} \\(last error: cannot connect: `));
    const basic = await cli(['collect', '--prometheus', base, ...certs, '--user', 'flink', '--polls', '1', '--since', '1m', '--db', p('p.db')], { FLINKSCOPE_PASSWORD: 's3cret' });
    assert.equal(basic.code, 0, basic.err);
    // watch: a small model, one step collecting through the same secured source
    const model = p('z.model');
    const t = await cli(['train', '--dataset', 'synthetic:flink?machines=2&days=1', '--detector', 'zscore', '--out', model]);
    assert.equal(t.code, 0, t.err);
    const w = await cli(['watch', '--model', model, '--db', p('w.db'), '--flink', base, ...certs, '--token', 'sesame', '--steps', '1']);
    assert.equal(w.code, 0, w.err);
    const ws = new SqliteStore(p('w.db'));
    assert.deepEqual((await ws.machines()), ['tm-1']);
    await ws.close();
    const wBad = await cli(['watch', '--model', model, '--db', p('w2.db'), '--flink', base, ...certs, '--steps', '1']);
    assert.equal(wBad.code, 1, 'no credentials: nothing collected');
    assert.match(wBad.err, /HTTP 401: wrong or missing credentials/);
  });
});
