// `flinkscope collect` against a REAL Flink 1.20 cluster (JobManager + 3 TaskManagers, separate JVMs) and a REAL
// Debian Prometheus scraping every Prometheus reporter, both started by the lab launchers (src/app/lab): every
// catalogue metric Flink exposes is collected, subtasks map to the right TaskManager, and after a hot UDF is switched
// on in one subtask of the lab's orders job (control channel) its TaskManager's busy time stands out in the stored
// data. Then Flink's events (the job cancelled mid-run) stored as `watch --flink` stores them, and the failure paths:
// Flink stopped mid-run → clear errors, the collector keeps running.
// Missing java / mvn / prometheus fail the suite with what to install (they are not skipped).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../../src/app/lab/lab.js';
import { writeControl } from '../../../src/app/lab/control.js';
import { SqliteStore } from '../../../src/store/sqlite.js';
import { prometheusLabel } from '../../../src/collect/prometheus.js';

const ROOT = process.env.FLINKSCOPE_ROOT ?? '.';
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const JOB = 'orders';
const HOT_OP = 'order-score';

/** Waits until Prometheus holds busy time of every TaskManager from the last 20 s; fails with the targets' health. */
async function promHasEvery(tms: string[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  const q = encodeURIComponent('count by (tm_id) (count_over_time(flink_taskmanager_job_task_busyTimeMsPerSecond[20s]))');
  for (;;) {
    const r = (await (await fetch(`${promUrl}/api/v1/query?query=${q}`)).json()) as { data: { result: { metric: { tm_id?: string } }[] } };
    const norm = (x: string): string => x.replace(/[^A-Za-z0-9]/g, '_'); // however the reporter spells the id
    const have = r.data.result.map((x) => x.metric.tm_id ?? '');
    if (tms.every((t) => have.map(norm).includes(norm(t)))) return;
    if (Date.now() > deadline) {
      const t = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as { data: { activeTargets: { scrapeUrl: string; health: string; lastError: string; lastScrapeDuration: number }[] } };
      assert.fail(`Prometheus has recent busy time of ${have.join(', ') || 'no TaskManager'} only; targets: ${JSON.stringify(t.data.activeTargets.map((x) => [x.scrapeUrl, x.health, x.lastError, x.lastScrapeDuration]))}`);
    }
    await sleep(2000);
  }
}

function cli(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, CI: 'true' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let lab: Lab;
let promUrl = '';
let restUrl = '';
const dir = mkdtempSync(join(tmpdir(), 'flinkscope-collect-'));
let jobId = '';

describe('collect from a real Flink cluster and Prometheus', { timeout: 420_000 }, () => {
  before(async () => {
    lab = await startLab({ dir: join(dir, 'run'), seed: 11, spanMs: 20 * 60_000, scrapeMs: 2000, jobs: [JOB] });
    jobId = lab.jobs[0].id;
    restUrl = lab.cluster.restUrl;
    promUrl = lab.prometheus!.url;
    await sleep(15_000); // rates and busy time average over a window: let the job warm up
  });
  after(async () => {
    await lab?.close();
  });

  it("Flink keeps its temporary files in the run directory, not the machine's /tmp", () => {
    // its I/O and shuffle directories and the RPC jar it unpacks: a TaskManager killed for a failover left them behind
    const kept = readdirSync(lab.cluster.tmpDir);
    assert.ok(kept.some((f) => f.startsWith('flink-io-')), `io.tmp.dirs in the run directory: ${kept.join(', ')}`);
    assert.ok(kept.some((f) => f.startsWith('flink-rpc')), `java.io.tmpdir in the run directory: ${kept.join(', ')}`);
  });

  it('collects every exposed catalogue metric and maps subtasks to their TaskManager', async () => {
    const db = join(dir, 'base.db');
    const r = cli(['collect', '--flink', restUrl, '--db', db, '--polls', '3', '--interval', '2s']);
    assert.equal(r.code, 0, r.err);
    const store = new SqliteStore(db);
    try {
      assert.deepEqual((await store.machines()), ['tm-1', 'tm-2', 'tm-3']);
      const have = (await store.metrics());
      for (const m of ['cpu_load', 'heap_used', 'heap_max', 'busy_ms_per_s', 'backpressured_ms_per_s', 'idle_ms_per_s', 'records_in_per_s', 'records_out_per_s']) {
        assert.ok(have.includes(m), `metric ${m} collected (have: ${have.join(', ')})`);
      }
      // placement in the store equals Flink's own subtask → TaskManager map
      const job = (await (await fetch(`${restUrl}/jobs/${jobId}`)).json()) as { vertices: { id: string }[] };
      const expected = new Set<string>();
      for (const v of job.vertices) {
        const d = (await (await fetch(`${restUrl}/jobs/${jobId}/vertices/${v.id}`)).json()) as { subtasks: { 'taskmanager-id': string }[] };
        for (const s of d.subtasks) expected.add(s['taskmanager-id']);
      }
      for (const m of expected) assert.deepEqual((await store.jobsOn(m)), [JOB], `${m} runs the job`);
      const st = cli(['status', '--db', db]);
      assert.match(st.out, /3 machines/);
      // a healthy cluster's metric cache refreshes: no TaskManager is judged stale (src/core/stale.ts), every poll stored
      assert.deepEqual((await store.events({})).filter((e) => e.kind === 'metrics-stale'), []);
      for (const m of ['tm-1', 'tm-2', 'tm-3']) assert.equal((await store.series(m, ['heap_used'])).timestamps.length, 3, `${m}: a row per poll`);
    } finally {
      await store.close();
    }
  });

  it('after the hotspot is switched on, the hot TaskManager stands out (REST and Prometheus)', async () => {
    // the hot TaskManager is the one running subtask 1 of the order-score vertex
    const job = (await (await fetch(`${restUrl}/jobs/${jobId}`)).json()) as { vertices: { id: string; name: string }[] };
    const work = job.vertices.find((v) => v.name === HOT_OP)!;
    const d = (await (await fetch(`${restUrl}/jobs/${jobId}/vertices/${work.id}`)).json()) as { subtasks: { subtask: number; 'taskmanager-id': string }[] };
    const hot = d.subtasks.find((s) => s.subtask === 1)!['taskmanager-id'];
    const others = [...new Set(d.subtasks.map((s) => s['taskmanager-id']))].filter((m) => m !== hot);
    const hotFrom = Date.now();
    // 25 ms of CPU per record: several hundred ms/s of extra busy time even at the load profile's quietest hour
    // (8 ms gave 197 ms/s there once — under the 200 ms/s margin asserted below)
    writeControl(lab.controlFile, [{ id: 'hot', kind: 'hot-udf', job: JOB, operator: HOT_OP, subtask: 1, since: hotFrom, rampMs: 0, params: { burnMicros: 25_000 } }]);
    await sleep(20_000);
    // and Flink itself reports the burn (busy time is averaged over a few seconds) before the collector reads it
    for (let i = 0; i < 30; i++) {
      const m = (await (await fetch(`${restUrl}/jobs/${jobId}/vertices/${work.id}/metrics?get=1.busyTimeMsPerSecond`)).json()) as { id: string; value: string }[];
      if (Number(m[0]?.value) >= 400) break;
      await sleep(2_000);
    }
    const db = join(dir, 'hot.db');
    const r = cli(['collect', '--flink', restUrl, '--db', db, '--polls', '3', '--interval', '2s']);
    assert.equal(r.code, 0, r.err);
    const store = new SqliteStore(db);
    const busy = async (m: string): Promise<number> => {
      const s = (await store.series(m, ['busy_ms_per_s']));
      return Array.from(s.values).reduce((a, b) => a + b, 0) / s.values.length;
    };
    try {
      for (const o of others) assert.ok((await busy(hot)) > (await busy(o)) + 200, `busy ${hot} ${(await busy(hot)).toFixed(0)} vs ${o} ${(await busy(o)).toFixed(0)} ms/s`);
      // per-job samples: the hot subtask's operator on the hot TaskManager is the busy one
      const opBusy = async (m: string): Promise<number> => {
        const rows = (await store.jobSamples(m, 0, Number.MAX_SAFE_INTEGER)).filter((r) => r.metric === 'busy_ms_per_s' && r.job === JOB && r.operator === work.name);
        return rows.reduce((a, r) => a + r.value, 0) / Math.max(1, rows.length);
      };
      assert.ok((await store.jobSamples(hot, 0, Number.MAX_SAFE_INTEGER)).length > 0, 'per-job samples stored');
      for (const o of others) assert.ok((await opBusy(hot)) > (await opBusy(o)) + 200, `operator ${work.name}: busy ${(await opBusy(hot)).toFixed(0)} on ${hot} vs ${(await opBusy(o)).toFixed(0)} on ${o}`);
    } finally {
      await store.close();
    }
    // Prometheus scrapes a TaskManager whose CPU the hot UDF starves with a timeout of one scrape interval: wait (up to
    // 60 s) until the last 20 s hold scrapes of every TaskManager, and say what Prometheus reported if they never do
    await promHasEvery(['tm-1', 'tm-2', 'tm-3'], 60_000);
    const pdb = join(dir, 'prom.db');
    const p = cli(['collect', '--prometheus', promUrl, '--db', pdb, '--polls', '1', '--since', `${Math.ceil((Date.now() - hotFrom) / 1000) + 5}s`, '--interval', '2s']);
    assert.equal(p.code, 0, p.err);
    const ps = new SqliteStore(pdb);
    try {
      const machines = (await ps.machines());
      for (const m of ['tm-1', 'tm-2', 'tm-3']) assert.ok(machines.includes(m), `Prometheus data for ${m} (have ${machines.join(', ')})`);
      assert.ok((await ps.metrics()).includes('cpu_load') && (await ps.metrics()).includes('busy_ms_per_s'), `prometheus metrics: ${(await ps.metrics()).join(', ')}`);
      const pb = async (m: string): Promise<number> => {
        const v = Array.from((await ps.series(m, ['busy_ms_per_s'])).values).filter(Number.isFinite);
        return v.slice(-5).reduce((a, b) => a + b, 0) / Math.max(1, v.slice(-5).length);
      };
      for (const o of others) assert.ok((await pb(hot)) > (await pb(o)) + 200, `prometheus busy ${hot} ${(await pb(hot)).toFixed(0)} vs ${o} ${(await pb(o)).toFixed(0)}`);
      // per job and operator from Prometheus' labels as well (names as the reporter exports them)
      const jobRows = (await ps.jobSamples(hot, 0, Number.MAX_SAFE_INTEGER)).filter((r) => r.metric === 'busy_ms_per_s');
      const jobName = prometheusLabel(JOB);
      assert.ok(jobRows.some((r) => r.job === jobName && r.operator.length > 0), `per-job Prometheus samples on ${hot}: ${JSON.stringify(jobRows.slice(0, 2))}`);
      const promOpBusy = async (m: string): Promise<number> => {
        const rows = (await ps.jobSamples(m, 0, Number.MAX_SAFE_INTEGER)).filter((r) => r.metric === 'busy_ms_per_s' && r.job === jobName && r.operator === prometheusLabel(work.name));
        const v = rows.slice(-5).map((r) => r.value);
        return v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
      };
      for (const o of others) assert.ok((await promOpBusy(hot)) > (await promOpBusy(o)) + 200, `prometheus operator ${prometheusLabel(work.name)}: busy ${(await promOpBusy(hot)).toFixed(0)} on ${hot} vs ${(await promOpBusy(o)).toFixed(0)} on ${o}`);
    } finally {
      await ps.close();
    }
  });

  it('Flink events are stored as watch stores them (the job cancelled); Flink going away mid-run: clear errors, the collector keeps polling, nothing stored twice', async () => {
    const db = join(dir, 'down.db');
    const child = spawn(process.execPath, [CLI, 'collect', '--flink', restUrl, '--db', db, '--polls', '60', '--interval', '1s', '--timeout', '1s'], { env: { ...process.env, CI: 'true' } });
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    let err = '';
    let out = '';
    child.stderr.on('data', (x) => (err += x));
    child.stdout.on('data', (x) => (out += x));
    const polls = (): number => Math.max(0, ...[...err.matchAll(/polls (\d+) ·/g)].map((m) => Number(m[1])));
    const until = async (ok: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> => {
      for (const end = Date.now() + ms; !(await ok());) {
        if (Date.now() > end) assert.fail(`${what} within ${ms / 1000} s; collect said: ${err}`);
        await sleep(200);
      }
    };
    await until(() => polls() >= 1, 60_000, 'a first poll (the baseline of the events)');
    // the job is cancelled between polls: RUNNING → CANCELLING → CANCELED, each a job-state event to store
    const cancel = await fetch(`${restUrl}/jobs/${jobId}?mode=cancel`, { method: 'PATCH' });
    assert.equal(cancel.status, 202, await cancel.text());
    const state = async (): Promise<string> => ((await (await fetch(`${restUrl}/jobs/${jobId}`)).json()) as { state: string }).state;
    await until(async () => (await state()) === 'CANCELED', 60_000, 'the job CANCELED');
    const seen = polls();
    await until(() => polls() >= seen + 2, 30_000, 'two polls after the cancellation');
    await lab.close();
    await until(() => /cannot connect|no answer/.test(err), 60_000, 'an error naming the lost connection');
    const n0 = polls();
    await until(() => polls() > n0, 30_000, 'one more poll after the error (the collector keeps polling)');
    child.kill('SIGINT'); // Ctrl-C: the summary, exit 0 (samples were collected)
    assert.equal(await exited, 0, err);
    const s = new SqliteStore(db);
    try {
      const n = (await s.status()).samples;
      // every stored (machine, metric, timestamp) once: the values the series hold add up to the store's count
      let distinct = 0;
      const metrics = await s.metrics();
      for (const m of await s.machines()) distinct += Array.from((await s.series(m, metrics)).values).filter(Number.isFinite).length;
      assert.ok(n > 0 && n === distinct);
      const events = await s.events({});
      const states = events.filter((e) => e.kind === 'job-state' && e.job === JOB && e.attrs?.jobId === jobId).map((e) => `${String(e.attrs?.from)} → ${String(e.attrs?.to)}`);
      assert.ok(states.some((x) => x.startsWith('RUNNING → ')) && states.some((x) => x.endsWith(' → CANCELED')), `job-state events of ${JOB}: ${JSON.stringify(events)}`);
      assert.match(out, new RegExp(`; ${events.length} new Flink events → `), 'each event counted once, as stored');
    } finally {
      await s.close();
    }
  });
});
