// A REAL Debian Prometheus scrapes `serve`'s /metrics (with the bearer token, as a scrape config sends it) over a
// store whose hot machine is still hot; a PromQL query then finds exactly that machine's score above its threshold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveApi } from '../../../src/server/api.js';
import { InspectionService } from '../../../src/app/service.js';
import { inspectedStore } from '../../helpers/inspected.js';
import { freePort } from '../../../src/app/lab/tools.js';

const havePrometheus = spawnSync('prometheus', ['--version']).status === 0;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const TOKEN = 'scrape-token-0123';

test('Prometheus scrapes flinkscope; PromQL finds the hot machine above its threshold', { skip: !havePrometheus && 'prometheus not installed', timeout: 120_000 }, async () => {
  const { store } = await inspectedStore({ hotUntil: 200 });
  const { app, address } = await serveApi(new InspectionService(store), { port: 0, token: TOKEN });
  const dir = mkdtempSync(join(tmpdir(), 'flinkscope-prom-'));
  const port = await freePort();
  const target = address.replace(/^http:\/\//, '');
  writeFileSync(join(dir, 'prometheus.yml'), [
    'global:', '  scrape_interval: 1s', 'scrape_configs:', '  - job_name: flinkscope',
    '    authorization:', '      type: Bearer', `      credentials: ${TOKEN}`,
    '    static_configs:', `      - targets: ['${target}']`, '',
  ].join('\n'));
  const prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  const query = async (q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    const r = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await r.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    assert.equal(body.status, 'success');
    return body.data.result;
  };
  try {
    let hot: Awaited<ReturnType<typeof query>> = [];
    let lastError = '';
    for (let i = 0; i < 60 && hot.length === 0; i++) {
      await sleep(1000);
      hot = await query('flinkscope_machine_score > on(machine) flinkscope_machine_threshold').catch((e: Error) => { lastError = String(e); return []; });
    }
    assert.deepEqual(hot.map((r) => r.metric.machine), ['tm-2'], `the hot machine, and only it, is above its threshold (last error: ${lastError || 'none'})`);
    const status = (await store.machineStatus()).find((s) => s.machine === 'tm-2')!;
    assert.equal(Number(hot[0].value[1]), status.lastScore, 'the value Prometheus holds is the stored score');
    const up = await query('up{job="flinkscope"}');
    assert.equal(up[0].value[1], '1', 'the scrape succeeds with the bearer token');
    const open = await query('sum(flinkscope_open_incidents{machine="tm-2"})');
    assert.ok(Number(open[0].value[1]) >= 1, 'tm-2 has an open incident');
    assert.equal((await query('flinkscope_model_info'))[0].metric.kind, 'zscore');
  } finally {
    prom.kill('SIGTERM');
    await new Promise((r) => (prom.exitCode !== null ? r(null) : prom.once('exit', r)));
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
