// `npm run bench:watch`: the product loop at cluster scale, end to end. A fake Prometheus (its own process) serves N
// machines × M metrics; each round, with the data clock 10 s further, flinkscope polls it (PrometheusSource, one
// query_range per metric), stores the samples (SQLite), and the watcher scores every machine's new row in one batched
// forward and commits the step (scores, scorer state, incidents, outbox, cluster view) — all in this process, whose
// CPU time per round is the figure. Meanwhile `flinkscope serve` (its own process, same store file) answers the
// dashboard's requests from a dashboard process (bench/fake/dashboard.ts); their latencies are reported per route. Store bytes per machine-day are
// extrapolated from the growth per round.
// Usage: node dist/bench/watch.js [machines=10000] [rounds=6] [metrics=38]   (prints JSON lines)
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../src/store/index.js';
import { trainModel } from '../src/app/train.js';
import { StoreCollector } from '../src/app/collect.js';
import { Watcher } from '../src/app/watch.js';
import type { Series } from '../src/core/series.js';
import * as t from '../src/tensor/index.js';
import { benchValue } from './fake/values.js';
import { packSums } from '../src/store/rows.js';
import { ROLLUP_LEVELS } from '../src/store/common.js';

const machines = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 6);
const metrics = Number(process.argv[4] ?? 38);
const here = dirname(fileURLToPath(import.meta.url));
// FLINKSCOPE_BENCH_CCL: CCL parameters as JSON over the training's below (read before the temporary directory and any
// child starts), e.g. '{"cost":"none"}' (the cost part off) or '{"costLevel":"pool"}' (with FLINKSCOPE_BENCH_RECORDS=busy
// every machine has the cost part: the history's machines are not the watched ones, so with the default's per-machine
// levels none of them has a level and the part computes nothing)
function cclParamsOf(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`FLINKSCOPE_BENCH_CCL is not JSON (${(e as Error).message}): ${text}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`FLINKSCOPE_BENCH_CCL must be a JSON object of CCL parameters: ${text}`);
  return v as Record<string, unknown>;
}
const cclParams = cclParamsOf(process.env.FLINKSCOPE_BENCH_CCL);
const dir = mkdtempSync(join(tmpdir(), 'flinkscope-bench-watch-'));
const STEP = 10_000;
const T0 = Date.UTC(2026, 0, 5);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

async function startChild(args: string[], portFile: string): Promise<number> {
  const c = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(c);
  for (let i = 0; i < 300 && !existsSync(portFile); i++) await sleep(100);
  if (!existsSync(portFile)) throw new Error(`${args[0]} did not start`);
  return Number(readFileSync(portFile, 'utf8'));
}

// FLINKSCOPE_BENCH_RECORDS=1: the first metric is named records_in_per_s (served as m00), so CCL has its skew part and
// the loop computes every machine's peers each scrape (src/detectors/ccl/skew.ts); =busy: the second is also named
// busy_ms_per_s, as the catalogue has both (the skew part's default reads busy time too)
const recordsEnv = process.env.FLINKSCOPE_BENCH_RECORDS;
const records = recordsEnv === '1' || recordsEnv === 'busy';
const named = (k: number): string | null => (records && k === 0 ? 'records_in_per_s' : recordsEnv === 'busy' && k === 1 ? 'busy_ms_per_s' : null);
const names = Array.from({ length: metrics }, (_, k) => named(k) ?? `m${String(k).padStart(2, '0')}`);
const WARM = 4;
const hotAfter = T0 + (64 + WARM + 1) * STEP; // tm-0 turns hot during the measured rounds
const promPort = await startChild([join(here, 'fake', 'prometheus.js'), String(machines), String(metrics), join(dir, 'prom.port'), String(hotAfter)], join(dir, 'prom.port'));

// a CCL model trained on the same shapes (20 machines × 6 h of history), as `train` would
const history: Series[] = Array.from({ length: 20 }, (_, m) => {
  const T = 2160;
  const ts = Float64Array.from({ length: T }, (_, i) => T0 - (T - i) * STEP);
  const values = new Float32Array(T * metrics);
  for (let i = 0; i < T; i++) for (let k = 0; k < metrics; k++) values[i * metrics + k] = benchValue(m + 1, k, ts[i]);
  return { name: `h-${m}`, timestamps: ts, channels: names, values };
});
const trained = await trainModel({ history, kind: 'ccl', params: { epochs: 2, maxTrainWindows: 256, ...cclParams } });
const modelPath = join(dir, 'ccl.model');
trained.detector.save(modelPath);

const dbPath = join(dir, 'bench.db');
const store = new SqliteStore(dbPath);
const modelId = await store.addModel('ccl', modelPath, { reason: 'bench' });
const queries = Object.fromEntries(names.map((n, k) => [n, `m${String(k).padStart(2, '0')}`]));
// the first poll reads a window's worth of history (64 scrapes) so every machine's window is full from the start
const collector = new StoreCollector(store, { prometheus: `http://127.0.0.1:${promPort}`, stepMs: STEP, sinceMs: 64 * STEP, http: { timeoutMs: 600_000 }, prom: { queries, catalogue: false } }, T0 + 64 * STEP);
const watcher = await Watcher.open(store, trained.detector, trained.detector.threshold, modelId, { window: 64, maxRowsPerStep: 64 });

async function round(now: number): Promise<{ cpuMs: number; wallMs: number; collectMs: number; stepMs: number; stored: number }> {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const p = await collector.poll(now);
  const w1 = performance.now();
  while ((await watcher.step()).progressed);
  const w2 = performance.now();
  const c = process.cpuUsage(c0);
  return { cpuMs: (c.user + c.system) / 1000, wallMs: w2 - w0, collectMs: w1 - w0, stepMs: w2 - w1, stored: p.stored };
}

// warm-up: the window's history, then a few scrapes to reach steady state; not measured
let now = T0 + 63 * STEP;
for (let r = 0; r < WARM; r++) await round((now += STEP));

// A store at steady state holds days of every machine's scores and roll-ups, so each machine's newest rows in a
// machine-ordered table sit on a page of their own — a fresh store packs many machines on a page and writes look
// cheaper than they are. Older rows (before the history) are put in for that: PREFILL scores per machine and
// PREFILL roll-up buckets per machine and level (what 14 days hold at the 2 h level is 168), and 12 sample roll-up
// buckets per machine and level (wider rows: 12 fill two pages). FLINKSCOPE_BENCH_FRESH=1 skips it.
const PREFILL = 200;
if (!process.env.FLINKSCOPE_BENCH_FRESH) {
  const cell = new Float64Array(2 * metrics);
  for (let k = 0; k < metrics; k++) { cell[k] = 6; cell[metrics + k] = 6 * benchValue(1, k, T0); }
  const blob = packSums(cell, metrics);
  const past = T0 - 365 * 86_400_000; // long before the history: reads of recent ranges never see these
  store.db.exec(`CREATE TEMP TABLE n (i INTEGER PRIMARY KEY); WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < ${PREFILL - 1}) INSERT INTO n SELECT i FROM c;`);
  store.db.transaction(() => {
    store.db.prepare(`INSERT OR IGNORE INTO scores (machine, ts, score, model_id) SELECT m.machine, ${past} + n.i * ${STEP}, 1.0, ${modelId} FROM machines m, n ORDER BY m.machine, n.i`).run();
    for (const l of ROLLUP_LEVELS) {
      store.db.prepare(`INSERT OR IGNORE INTO score_rollups (level, machine, bucket, max) SELECT ${l}, m.machine, ${past} - ${past % l} + n.i * ${l}, 1.0 FROM machines m, n ORDER BY m.machine, n.i`).run();
      store.db.prepare(`INSERT OR IGNORE INTO sample_rollups (level, machine, bucket, v) SELECT ${l}, m.machine, ${past} - ${past % l} + n.i * ${l}, ? FROM machines m, n WHERE n.i < 12 ORDER BY m.machine, n.i`).run(blob);
    }
  })();
  store.db.exec('DROP TABLE n');
  for (let r = 0; r < 2; r++) await round((now += STEP)); // the prefill's pages out of the cache's way
}

// serve + a dashboard loader while the measured rounds run
const servePort = join(dir, 'serve.port');
const cli = join(here, '..', 'src', 'cli', 'main.js');
const sp = spawn(process.execPath, [cli, 'serve', '--db', dbPath, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
children.push(sp);
const addr = await new Promise<string>((res, rej) => {
  let out = '';
  sp.stdout!.on('data', (d) => { out += d; const m = /(http:\/\/[^/\s]+)/.exec(out); if (m) res(m[1]); });
  sp.on('exit', () => rej(new Error('serve exited')));
});
void servePort;
const routes = ['/api/health', '/api/machines?limit=200', '/api/cluster', '/api/incidents?limit=50', '/api/machines/tm-0/scores', '/api/machines/tm-0/metrics?points=600'];
// the dashboard's requests come from another process (a browser's work is not flinkscope's CPU)
const latFile = join(dir, 'dashboard.json');
const dash = spawn(process.execPath, [join(here, 'fake', 'dashboard.js'), addr, latFile, ...routes], { stdio: ['ignore', 'ignore', 'inherit'] });
children.push(dash);

store.db.pragma('wal_checkpoint(TRUNCATE)');
// bytes in use (pages minus free pages): the recent tables' pages are freed by each settle and reused, so the file's
// size would count their high-water mark as growth
const used = (): number => Number(store.db.pragma('page_size', { simple: true })) * (Number(store.db.pragma('page_count', { simple: true })) - Number(store.db.pragma('freelist_count', { simple: true })));
const bytes0 = used();
// FLINKSCOPE_BENCH_PROFILE=file.cpuprofile: a CPU profile of the measured rounds only (not training or warm-up)
const profile = process.env.FLINKSCOPE_BENCH_PROFILE;
const session = profile ? new (await import('node:inspector')).Session() : null;
const post = (method: string, params?: object): Promise<unknown> => new Promise((res, rej) => session!.post(method, params ?? {}, (e, r) => (e ? rej(e) : res(r))));
if (session) {
  session.connect();
  await post('Profiler.enable');
  await post('Profiler.start');
}
const measured = [];
for (let r = 0; r < rounds; r++) measured.push(await round((now += STEP)));
if (session) {
  const { profile: prof } = (await post('Profiler.stop')) as { profile: unknown };
  (await import('node:fs')).writeFileSync(profile!, JSON.stringify(prof));
  session.disconnect();
}
const dashDone = new Promise((r) => dash.on('exit', r));
dash.kill('SIGTERM');
await dashDone;
const { first, lat: latencies } = JSON.parse(readFileSync(latFile, 'utf8')) as { first: Record<string, number>; lat: Record<string, number[]> };
const lat = new Map(Object.entries(latencies));
store.db.pragma('wal_checkpoint(TRUNCATE)');
const bytes1 = used();
const med = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1];
// the mean, not the median: the store's periodic work (settling recent rows, roll-ups) lands on some rounds only, and
// the share of a core is what all rounds cost together
const cpu = measured.reduce((a, m) => a + m.cpuMs, 0) / measured.length;
console.log(JSON.stringify({
  case: 'watch-loop', impl: `flinkscope-sqlite-${t.backend().name}`, records_channel: records, busy_channel: recordsEnv === 'busy', ccl_params: cclParams, fitted_as: trained.detector.fittedAs, machines, metrics, interval_s: STEP / 1000, rounds,
  cpu_ms_per_round: Math.round(cpu), cpu_ms_p50: Math.round(med(measured.map((m) => m.cpuMs))), cpu_ms_max: Math.round(Math.max(...measured.map((m) => m.cpuMs))),
  cpu_share_of_one_core: Number((cpu / STEP).toFixed(3)), target_share: 0.25,
  round_wall_ms_p50: Math.round(med(measured.map((m) => m.wallMs))), collect_ms_p50: Math.round(med(measured.map((m) => m.collectMs))), watch_ms_p50: Math.round(med(measured.map((m) => m.stepMs))),
  samples_per_round: measured[0].stored, store_bytes_per_machine_day: Math.round(((bytes1 - bytes0) / rounds) * (86_400_000 / STEP) / machines),
  steady_prefill: process.env.FLINKSCOPE_BENCH_FRESH ? null : { scores_per_machine: PREFILL, score_rollups_per_level: PREFILL, sample_rollups_per_level: 12 },
  hot_machine_incident: (await store.incidents({ machine: 'tm-0' })).items.length > 0,
}));
const p99 = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * 0.99))];
for (const [r, a] of lat) console.log(JSON.stringify({ case: 'watch-loop-api', route: r, machines, requests: a.length, p50_ms: Number(med(a).toFixed(1)), p99_ms: Number(p99(a).toFixed(1)), target_p99_ms: 150, first_ms: Number((first[r] ?? NaN).toFixed(1)) }));
await store.close();
for (const c of children) c.kill('SIGTERM');
// the store of a 10 000-machine run is ~0.5 GB: kept only when asked (FLINKSCOPE_BENCH_KEEP=1, for a look at it)
if (process.env.FLINKSCOPE_BENCH_KEEP) console.error(`store kept: ${dbPath}`);
else rmSync(dir, { recursive: true, force: true });
