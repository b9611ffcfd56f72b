// A dashboard for benchmarks: asks `flinkscope serve` for the cluster page's data once a second — the page loads of
// ten operators whose tabs refresh every 10 s — in its own process so its CPU is not counted as flinkscope's; on SIGTERM writes each route's latencies (ms) to
// the result file — the first answer of each route apart (statements prepared, code compiled), then the rest.
// Usage: node dist/bench/fake/dashboard.js <base URL> <result file> <route> [<route> …]
import { writeFileSync } from 'node:fs';

const [addr, out, ...routes] = process.argv.slice(2);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const first: Record<string, number> = {};
const lat: Record<string, number[]> = Object.fromEntries(routes.map((r) => [r, []]));
let loading = true;
process.on('SIGTERM', () => (loading = false));
while (loading) {
  for (const r of routes) {
    const t0 = performance.now();
    const res = await fetch(addr + r);
    await res.arrayBuffer();
    if (!res.ok) continue;
    if (r in first) lat[r].push(performance.now() - t0);
    else first[r] = performance.now() - t0;
  }
  await sleep(1000);
}
writeFileSync(out, JSON.stringify({ first, lat }));
