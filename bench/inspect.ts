// `npm run bench:inspect`: the online loop at cluster scale — N machines (default 2 000) each delivering one sample
// per 10 s scrape; a trained CCL cluster model scores every machine incrementally (OnlineScorer). Prints the CPU time
// of one scrape round, its share of the 10 s interval (on one core), and the per-machine update latency.
import { generateCluster, clusterSeries } from '../src/data/index.js';
import { trainClusterModel } from '../src/inspect/pipeline.js';
import { OnlineScorer } from '../src/inspect/online.js';
import { IncidentTracker } from '../src/inspect/incidents.js';
import * as t from '../src/tensor/index.js';

const machines = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 5);
const cluster = generateCluster({ machines: 8, days: 2, seed: 5 });
const splits = clusterSeries(cluster);
const model = await trainClusterModel(splits.map((s) => s.train), 'ccl', { epochs: 2, maxTrainWindows: 256 });
const scorer = new OnlineScorer({ channels: splits[0].test.channels, window: 64, threshold: model.threshold, score: (s) => model.detector.score(s) }, new IncidentTracker());
const C = splits[0].test.channels.length;
const src = splits.map((s) => s.test);
// warm every machine's window (not timed)
for (let m = 0; m < machines; m++) {
  const s = src[m % src.length];
  scorer.ingest(`tm-${m}`, s.timestamps.subarray(0, 64), s.values.subarray(0, 64 * C));
}
const per: number[] = [];
let cpuMs = 0;
for (let r = 0; r < rounds; r++) {
  const c0 = process.cpuUsage();
  for (let m = 0; m < machines; m++) {
    const s = src[m % src.length];
    const i = 64 + r;
    const t0 = performance.now();
    scorer.ingest(`tm-${m}`, s.timestamps.subarray(i, i + 1), s.values.subarray(i * C, (i + 1) * C));
    per.push(performance.now() - t0);
  }
  const c = process.cpuUsage(c0);
  cpuMs += (c.user + c.system) / 1000;
}
per.sort((a, b) => a - b);
const roundCpu = cpuMs / rounds;
console.log(JSON.stringify({
  case: 'watch-cluster', impl: `flinkscope-${t.backend().name}`, machines, interval_s: 10, cpu_ms_per_round: Math.round(roundCpu),
  cpu_share_of_one_core: Number((roundCpu / 10_000).toFixed(3)), update_ms_p50: Number(per[per.length >> 1].toFixed(2)), update_ms_p99: Number(per[Math.floor(per.length * 0.99)].toFixed(2)),
}));
