// A fake Prometheus for benchmarks: answers /api/v1/query_range for the metrics `m00` … `mNN` over N machines
// (label tm_id), one value per step, deterministic from (machine, metric, timestamp); machine tm-0 runs hot after
// HOT_AFTER (epoch ms). Run as its own process so its CPU is not counted as flinkscope's.
// Usage: node dist/bench/fake/prometheus.js <machines> <metrics> <port-file> [hotAfterMs]
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

const machines = Number(process.argv[2] ?? 10_000);
const metrics = Number(process.argv[3] ?? 38);
const portFile = process.argv[4];
const hotAfter = Number(process.argv[5] ?? Infinity);

import { benchValue as value } from './values.js';

const srv = createServer((req, res) => {
  const u = new URL(req.url ?? '/', 'http://x');
  if (u.pathname !== '/api/v1/query_range') {
    res.writeHead(404).end();
    return;
  }
  const q = u.searchParams.get('query') ?? '';
  const k = Number(/^m(\d+)$/.exec(q)?.[1] ?? NaN);
  const start = Number(u.searchParams.get('start')) * 1000;
  const end = Number(u.searchParams.get('end')) * 1000;
  const step = Number(u.searchParams.get('step')) * 1000;
  if (!Number.isInteger(k) || k >= metrics || !(step > 0)) {
    res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', error: `unknown query ${q}` }));
    return;
  }
  const parts: string[] = [];
  for (let m = 0; m < machines; m++) {
    const vals: string[] = [];
    for (let t = Math.ceil(start / step) * step; t <= end; t += step) vals.push(`[${t / 1000},"${value(m, k, t, hotAfter).toFixed(4)}"]`);
    if (vals.length) parts.push(`{"metric":{"tm_id":"tm_${m}"},"values":[${vals.join(',')}]}`);
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(`{"status":"success","data":{"resultType":"matrix","result":[${parts.join(',')}]}}`);
});
srv.listen(0, '127.0.0.1', () => {
  const port = (srv.address() as AddressInfo).port;
  if (portFile) writeFileSync(portFile, String(port));
  else console.log(port);
});
