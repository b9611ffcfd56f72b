// `npm run bench:inspect`: the online loop at cluster scale — N machines (default 2 000) each delivering one sample
// per 10 s scrape; a trained CCL cluster model scores every machine incrementally (OnlineScorer), all machines' windows
// in one batched call as `watch` does (--per-machine: one call per machine). With the peer view (the default), each
// machine's peers are the machines sharing its jobs, as `watch` reads them from the placement: the fleet is blocks of 8
// machines, each block running the synthetic cluster's jobs (--peers none: the machine-alone model). Prints the CPU
// time of one scrape round (all threads), its share of the 10 s interval, and the round's (or each update's) latency.
// Usage: node dist/bench/inspect.js [machines=2000] [rounds=5] [--per-machine] [--peers none|both|only]
import { generateCluster, clusterSeries } from '../src/data/index.js';
import { trainModel } from '../src/app/train.js';
import { OnlineScorer } from '../src/inspect/online.js';
import { IncidentTracker } from '../src/inspect/incidents.js';
import { peerGroups } from '../src/core/peers.js';
import * as t from '../src/tensor/index.js';

const machines = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 5);
const cluster = generateCluster({ machines: 8, days: 2, seed: 5 });
const splits = clusterSeries(cluster);
const peersArg = process.argv.indexOf('--peers');
const peers = peersArg >= 0 ? process.argv[peersArg + 1] : undefined;
const jobs = new Map(splits.map((s) => [s.train.name, Array.isArray(s.train.meta?.jobs) ? (s.train.meta.jobs as string[]) : []]));
const trained = await trainModel({ history: splits.map((s) => s.train), kind: 'ccl', params: { epochs: 2, maxTrainWindows: 256, ...(peers ? { peers } : {}) }, placement: jobs });
const model = { detector: trained.detector, threshold: trained.detector.threshold };
const batched = !process.argv.includes('--per-machine');
const scorer = new OnlineScorer({
  channels: splits[0].test.channels, window: 64, threshold: model.threshold,
  scoreTrailing: (xs, last, groups, context) => model.detector.scoreTrailing(xs, last, groups, context),
  // machine tm-m runs the jobs of the synthetic cluster's machine m mod 8, in its own block of 8 (as watch's placement)
  peers: model.detector.peerAware ? (names) => peerGroups(names, (name) => {
    const m = Number(name.slice(3));
    return jobs.get(splits[m % splits.length].train.name)?.map((j) => `${j}@${Math.floor(m / splits.length)}`);
  }) : undefined,
}, new IncidentTracker());
const C = splits[0].test.channels.length;
const src = splits.map((s) => s.test);
// warm every machine's window (not timed)
for (let m = 0; m < machines; m++) {
  const s = src[m % src.length];
  scorer.prime(`tm-${m}`, s.timestamps.subarray(0, 64), s.values.subarray(0, 64 * C));
}
const per: number[] = [];
let cpuMs = 0;
for (let r = 0; r < rounds; r++) {
  const c0 = process.cpuUsage();
  const i = 64 + r;
  if (batched) {
    // one scrape: every machine's new sample, scored in one batched call (what `watch` does)
    const t0 = performance.now();
    scorer.ingestMany(Array.from({ length: machines }, (_, m) => {
      const s = src[m % src.length];
      return { machine: `tm-${m}`, timestamps: s.timestamps.subarray(i, i + 1), values: s.values.subarray(i * C, (i + 1) * C) };
    }));
    per.push(performance.now() - t0);
  } else {
    for (let m = 0; m < machines; m++) {
      const s = src[m % src.length];
      const t0 = performance.now();
      scorer.ingest(`tm-${m}`, s.timestamps.subarray(i, i + 1), s.values.subarray(i * C, (i + 1) * C));
      per.push(performance.now() - t0);
    }
  }
  const c = process.cpuUsage(c0);
  cpuMs += (c.user + c.system) / 1000;
}
per.sort((a, b) => a - b);
const roundCpu = cpuMs / rounds;
console.log(JSON.stringify({
  case: 'watch-cluster', impl: `flinkscope-${t.backend().name}`, machines, peers: model.detector.peerAware ? (peers ?? 'default') : 'none', interval_s: 10, cpu_ms_per_round: Math.round(roundCpu),
  cpu_share_of_one_core: Number((roundCpu / 10_000).toFixed(3)), mode: batched ? 'batched scrape' : 'per machine',
  [batched ? 'round_ms_p50' : 'update_ms_p50']: Number(per[per.length >> 1].toFixed(2)), [batched ? 'round_ms_max' : 'update_ms_p99']: Number(per[batched ? per.length - 1 : Math.floor(per.length * 0.99)].toFixed(2)),
}));
