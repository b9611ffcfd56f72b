// `npm run bench:api [-- --db PATH]`: every dashboard route over real HTTP on loopback (autocannon), first each on
// its own, then while five week-long /api/machines/:id/metrics requests are always in flight — the load that used to
// stall the server. One JSON line per (route, phase): p50 / p99 / max latency in ms and requests/s; the reference
// is the same route on its own in the same run (ratio_vs_alone). Target: p99 < 100 ms for every route under load.
// Default store: the demo's (.flinkscope/demo/replay.db: `CI=true node dist/src/cli/main.js demo`); a large one:
// `node dist/bench/make-store.js .flinkscope/bench/api.db 200 7` then `--db .flinkscope/bench/api.db`.
import autocannon from 'autocannon';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { SqliteStore } from '../src/store/sqlite.js';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name: string, d: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : d;
};
const db = arg('db', '.flinkscope/demo/replay.db');
const seconds = Number(arg('seconds', '4'));
if (!existsSync(db)) {
  console.error(`bench:api: no store at ${db} (make one: CI=true node dist/src/cli/main.js demo)`);
  process.exit(1);
}
const opened = performance.now();
const store = new SqliteStore(db);
const openMs = performance.now() - opened; // includes rolling up a store written before the roll-ups existed
const machines = (await store.machineStatus()).map((s) => s.machine);
const newest = await store.newestScore();
const first = (await store.status()).from ?? newest;
const week = { from: Math.max(first, newest - 7 * 86_400_000), to: newest };
const inc = (await store.incidents({ limit: 1 })).items[0];
const hot = machines[0];
const routes: [string, string][] = [
  ['health', '/api/health'],
  ['machines', '/api/machines'],
  ['cluster-6h', '/api/cluster'],
  ['cluster-week', `/api/cluster?from=${week.from}&to=${week.to}&buckets=300`],
  ['scores-24h', `/api/machines/${hot}/scores?points=900`],
  ['scores-week', `/api/machines/${hot}/scores?from=${week.from}&to=${week.to}&points=900`],
  ['metrics-24h', `/api/machines/${hot}/metrics?points=300`],
  ['metrics-week', `/api/machines/${hot}/metrics?from=${week.from}&to=${week.to}&points=300`],
  ['incidents', '/api/incidents?limit=50'],
  ['incidents-open', '/api/incidents?state=active&limit=50'],
  ...(inc ? [['incident', `/api/incidents/${inc.id}`] as [string, string]] : []),
  ['events', `/api/events?from=${week.from}&to=${week.to}`],
  ['model', '/api/model'],
  ['prometheus', '/metrics'],
];

let address = '';
async function measure(path: string, connections: number): Promise<autocannon.Result> {
  return autocannon({ url: `${address}${path}`, connections, duration: seconds });
}

const alone = new Map<string, number>();
let impl = '';
const line = (route: string, phase: string, r: autocannon.Result): void => {
  if (phase === 'alone') alone.set(`${impl} ${route}`, r.latency.p99);
  const ref = alone.get(`${impl} ${route}`);
  console.log(JSON.stringify({
    case: 'api', impl, store: db, machines: machines.length, route, phase, p50_ms: r.latency.p50, p99_ms: r.latency.p99, max_ms: r.latency.max,
    rps: Math.round(r.requests.average), errors: r.errors + r.non2xx, ...(phase !== 'alone' && ref ? { ratio_vs_alone: Number((r.latency.p99 / Math.max(ref, 1)).toFixed(2)) } : {}),
    target_p99_ms: 100, meets: r.latency.p99 < 100,
  }));
};
console.log(JSON.stringify({ case: 'api-open', store: db, open_ms: Math.round(openMs), week_range_ms: week.to - week.from }));
// the reference first: range queries on the event loop (as before the range reader); then the product's default.
// The server runs in its own process (bench/api-server.ts): autocannon must not share its event loop.
for (const rangeReads of ['in-process', 'worker'] as const) {
  impl = `flinkscope range-reads=${rangeReads}`;
  const server = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'api-server.js'), db, rangeReads], { stdio: ['ignore', 'pipe', 'inherit'] });
  address = await new Promise<string>((res, rej) => {
    let out = '';
    server.stdout!.on('data', (d) => { out += d; const m = /(http:\/\/\S+)/.exec(out); if (m) res(m[1]); });
    server.on('exit', (c) => rej(new Error(`api-server exited (${c})`)));
  });
  for (const [name, path] of routes) line(name, 'alone', await measure(path, 2));
  // five heavy requests always in flight: week-long metrics of each machine in turn
  const heavy = autocannon({
    url: address, connections: 5, duration: seconds * (routes.length + 1),
    requests: machines.map((m) => ({ method: 'GET' as const, path: `/api/machines/${m}/metrics?from=${week.from}&to=${week.to}&points=1500` })),
  });
  await new Promise((r) => setTimeout(r, 500));
  for (const [name, path] of routes) line(name, 'under-5-week-metrics', await measure(path, 1));
  line('metrics-week-1500pts(load)', 'load', await heavy);
  server.kill('SIGTERM');
  await new Promise((r) => (server.exitCode !== null ? r(null) : server.once('exit', r)));
}
console.log(JSON.stringify({ case: 'api-machine', load_average_1m: loadavg()[0], cpus: cpus().length }));
await store.close();
