// A Flink cluster's normal life: machines running several jobs (pipelines across machines), per-machine metrics
// that move together as in Flink (throughput → busy time → CPU → latency; heap saw-tooth → GC; checkpoints grow
// with state), daily seasonality, bursts, deploys/restarts, metric noise and outliers. All seeded.
import type { Rng } from '../../tensor/index.js';

export const FLINK_CHANNELS = [
  'cpu_load', 'heap_used', 'gc_time_ms', 'busy_ms_per_s', 'backpressured_ms_per_s',
  'records_in_per_s', 'records_out_per_s', 'latency_ms', 'checkpoint_ms', 'kafka_lag',
] as const;
export type FlinkChannel = (typeof FLINK_CHANNELS)[number];
export type MachineFrame = Record<FlinkChannel, Float64Array>;

export interface JobPlacement {
  job: string;
  /** Machines in pipeline order: sources first, sink last. */
  machines: string[];
}

export function machineName(i: number): string {
  return `tm-${String(i + 1).padStart(2, '0')}`;
}

/** Jobs as pipelines of 2–3 machines, every machine running ≥ 2 jobs. */
export function placeJobs(machines: number, rng: Rng): JobPlacement[] {
  const nJobs = Math.max(3, Math.ceil(machines * 0.8));
  const jobs: JobPlacement[] = [];
  const names = ['clickstream-agg', 'orders-enrich', 'fraud-score', 'session-window', 'metrics-rollup', 'ads-join', 'inventory-sync', 'log-parse'];
  for (let j = 0; j < nJobs; j++) {
    const len = Math.min(machines, 2 + rng.int(2));
    const chosen: string[] = [];
    while (chosen.length < len) {
      const m = machineName(rng.int(machines));
      if (!chosen.includes(m)) chosen.push(m);
    }
    jobs.push({ job: `${names[j % names.length]}-${Math.floor(j / names.length) + 1}`, machines: chosen });
  }
  for (let i = 0; i < machines; i++) {
    const m = machineName(i);
    const count = jobs.filter((jb) => jb.machines.includes(m)).length;
    for (let k = count; k < 2; k++) jobs[rng.int(jobs.length)].machines.push(m);
  }
  return jobs;
}

/** Normal behaviour of one machine over T samples of `intervalSec`, starting at `t0Ms` (UTC). The timeline indices
 *  where its jobs restart (part of normal life; a collector sees each as a Flink restart event) go to `restarts`. */
export function normalMachine(T: number, intervalSec: number, t0Ms: number, jobsHere: number, rng: Rng, restarts: number[] = []): MachineFrame {
  const f = Object.fromEntries(FLINK_CHANNELS.map((c) => [c, new Float64Array(T)])) as MachineFrame;
  const capacity = 4000 + 3000 * rng.next(); // records/s at full busy time
  const base = capacity * (0.25 + 0.2 * rng.next()) * (0.8 + 0.1 * jobsHere);
  const phase = rng.next() * 0.5;
  const heapMax = 4e9;
  let heap = heapMax * 0.3;
  let burst = 0;
  let restartLeft = 0;
  let lagCarry = 0;
  let state = 1;
  const hoursPerRestart = 36 + 48 * rng.next();
  for (let t = 0; t < T; t++) {
    const hour = ((t0Ms / 1000 + t * intervalSec) / 3600) % 24;
    const daily = 0.75 + 0.35 * Math.sin(((hour - 8) / 24) * 2 * Math.PI + phase) + 0.08 * Math.sin(((hour - 3) / 12) * 2 * Math.PI);
    if (burst > 0) burst *= 0.9;
    if (rng.next() < (intervalSec / 3600) * 0.6) burst = 0.3 + 0.5 * rng.next(); // bursts ~0.6/h
    if (restartLeft === 0 && rng.next() < intervalSec / 3600 / hoursPerRestart) {
      restartLeft = Math.max(2, Math.round(300 / intervalSec));
      restarts.push(t);
    }
    const restarting = restartLeft > 0;
    if (restarting) restartLeft--;
    const noise = 1 + 0.06 * rng.normal();
    let rin = restarting ? base * 0.05 : base * daily * (1 + burst) * noise;
    if (!restarting && lagCarry > 0) rin *= 1.3; // catch-up after a restart
    const util = Math.min(0.98, rin / capacity);
    const busy = 1000 * util * (1 + 0.03 * rng.normal());
    const cpu = Math.min(1, 0.08 + 0.75 * util + 0.03 * rng.normal());
    // heap saw-tooth: grows with throughput, a GC drops it
    heap += (rin * 6000 * intervalSec) / 60;
    let gc = 20 + 40 * util + 5 * rng.normal();
    if (heap > heapMax * (0.7 + 0.1 * rng.next()) || restarting) {
      gc += 150 + 100 * rng.next();
      heap = heapMax * (0.25 + 0.05 * rng.next());
    }
    const latency = (40 + 25 / Math.max(0.05, 1 - util)) * (1 + 0.08 * rng.normal());
    state = restarting ? 1 : Math.min(3, state + 0.0004);
    const ckpt = (800 + 900 * state + 300 * util) * (1 + 0.1 * rng.normal());
    lagCarry = restarting ? lagCarry + rin * 2 : Math.max(0, lagCarry * 0.7 - 50);
    f.cpu_load[t] = Math.max(0, cpu);
    f.heap_used[t] = heap;
    f.gc_time_ms[t] = Math.max(0, gc);
    f.busy_ms_per_s[t] = Math.max(0, Math.min(1000, busy));
    f.backpressured_ms_per_s[t] = Math.max(0, 8 * rng.next() + (util > 0.85 ? 60 * rng.next() : 0));
    f.records_in_per_s[t] = Math.max(0, rin);
    f.records_out_per_s[t] = Math.max(0, rin * (0.95 + 0.1 * rng.next()));
    f.latency_ms[t] = Math.max(1, latency);
    f.checkpoint_ms[t] = Math.max(50, ckpt);
    f.kafka_lag[t] = Math.max(0, lagCarry + 200 * rng.next());
    // measurement outliers (not anomalies: single bad samples)
    if (rng.next() < 0.002) {
      const c = FLINK_CHANNELS[rng.int(FLINK_CHANNELS.length)];
      f[c][t] *= 1.5 + rng.next();
    }
  }
  return f;
}
