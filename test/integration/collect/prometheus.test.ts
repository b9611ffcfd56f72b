// The Prometheus source's PromQL against a REAL Prometheus (Debian's) scraping an exposition in the Flink
// reporter's naming on loopback: checkpoint_ms — a JobManager metric per job, with no tm_id — lands on the machines
// that run the job (the slowest last checkpoint among a TaskManager's jobs), never on a made-up machine; a query that
// fails (bad PromQL) is an error entry while the other metrics still arrive.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../src/app/lab/tools.js';
import { PrometheusSource } from '../../../src/collect/index.js';

const havePrometheus = spawnSync('prometheus', ['--version']).status === 0;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// tm_1 runs subtasks of jobs j1 and j2, tm_2 only of j2 (labels as Flink's Prometheus reporter writes them)
const EXPOSITION = [
  '# TYPE flink_taskmanager_job_task_busyTimeMsPerSecond gauge',
  'flink_taskmanager_job_task_busyTimeMsPerSecond{tm_id="tm_1",job_id="j1",job_name="orders",task_name="map",subtask_index="0"} 500',
  'flink_taskmanager_job_task_busyTimeMsPerSecond{tm_id="tm_1",job_id="j2",job_name="billing",task_name="sum",subtask_index="0"} 100',
  'flink_taskmanager_job_task_busyTimeMsPerSecond{tm_id="tm_2",job_id="j2",job_name="billing",task_name="sum",subtask_index="1"} 300',
  '# TYPE flink_jobmanager_job_lastCheckpointDuration gauge',
  'flink_jobmanager_job_lastCheckpointDuration{job_id="j1",job_name="orders",host="jm"} 5000',
  'flink_jobmanager_job_lastCheckpointDuration{job_id="j2",job_name="billing",host="jm"} 3400',
  '# TYPE flink_taskmanager_Status_JVM_CPU_Load gauge',
  'flink_taskmanager_Status_JVM_CPU_Load{tm_id="tm_1"} 0.25',
  'flink_taskmanager_Status_JVM_CPU_Load{tm_id="tm_2"} NaN',
  '',
].join('\n');

let exporter: Server;
let prom: ChildProcess | null = null;
let promUrl = '';

describe('Prometheus source against a real Prometheus', { skip: !havePrometheus && 'prometheus not installed', timeout: 120_000 }, () => {
  before(async () => {
    exporter = createServer((_q, res) => void res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(EXPOSITION));
    const ep = await freePort();
    await new Promise<void>((r) => exporter.listen(ep, '127.0.0.1', r));
    const dir = mkdtempSync(join(tmpdir(), 'flinkscope-prom-'));
    const cfg = join(dir, 'prometheus.yml');
    writeFileSync(cfg, `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: flink\n    static_configs:\n      - targets: ['127.0.0.1:${ep}']\n`);
    const port = await freePort();
    prom = spawn('prometheus', [`--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    promUrl = `http://127.0.0.1:${port}`;
    // wait until both gauges have been scraped a few times
    for (let i = 0; i < 60; i++) {
      try {
        const r = (await (await fetch(`${promUrl}/api/v1/query?query=count_over_time(flink_jobmanager_job_lastCheckpointDuration[1m])`)).json()) as { data?: { result: { value: [number, string] }[] } };
        if ((r.data?.result ?? []).some((x) => Number(x.value[1]) >= 3)) return;
      } catch { /* not up yet */ }
      await sleep(1000);
    }
    throw new Error('Prometheus did not scrape the exposition within 60 s');
  });
  after(() => {
    prom?.kill('SIGTERM');
    exporter?.close();
  });

  it('checkpoint_ms maps to the TaskManagers running each job; a failing query is isolated', async () => {
    const now = Date.now();
    const r = await new PrometheusSource(promUrl, { stepMs: 1000, queries: { broken: 'sum(' } }).range(now - 20_000, now);
    const latest = (machine: string, metric: string): number | undefined => r.samples.filter((s) => s.machine === machine && s.metric === metric && s.job === undefined).at(-1)?.value;
    assert.equal(latest('tm-1', 'checkpoint_ms'), 5000, 'tm-1 runs j1 (5 s) and j2 (3.4 s): the slowest');
    assert.equal(latest('tm-2', 'checkpoint_ms'), 3400, 'tm-2 runs only j2');
    assert.deepEqual([...new Set(r.samples.map((s) => s.machine))].sort(), ['tm-1', 'tm-2'], 'no phantom machine');
    assert.equal(latest('tm-1', 'busy_ms_per_s'), 500);
    assert.equal(latest('tm-1', 'cpu_load'), 0.25);
    assert.equal(latest('tm-2', 'cpu_load'), undefined, 'NaN is a gap');
    assert.ok(r.gaps > 0);
    assert.equal(r.errors.length, 1, r.errors.join('\n'));
    assert.match(r.errors[0], /^broken: HTTP 400: .*parse error/);
    // per job and operator as well
    assert.ok(r.samples.some((s) => s.machine === 'tm-2' && s.metric === 'busy_ms_per_s' && s.job === 'billing' && s.operator === 'sum' && s.value === 300));
  });
});
