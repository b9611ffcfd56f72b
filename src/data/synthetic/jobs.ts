// Per-job metrics of a generated cluster, for "which jobs on the machine moved most": each job placed on a machine
// gets its own busy time and latency, derived from the machine's (a share of the busy time, the machine's latency with
// a per-job factor and noise). During a hotspot one job — its `culprit`, fixed per hotspot — carries the change; the
// others stay at the level they had in the hour before it. Derived after generation from its own seed, so adding this
// changes none of the machine-level data.
import { Rng } from '../../tensor/index.js';
import type { SyntheticCluster } from './index.js';

export interface JobSample {
  job: string;
  operator: string;
  metric: string;
  ts: number;
  value: number;
}

/** The job a hotspot on `machine` starting at `start` is blamed on (deterministic, no RNG draw). */
export function culpritJob(jobsHere: readonly string[], start: number): string | undefined {
  return jobsHere.length ? jobsHere[start % jobsHere.length] : undefined;
}

/** Per-job samples of one machine over timeline indices [from, to). */
export function jobSamples(c: SyntheticCluster, machine: string, from: number, to: number): JobSample[] {
  const m = c.machines.find((x) => x.name === machine);
  if (!m || m.jobs.length === 0) return [];
  const rng = new Rng(c.options.seed * 7919 + c.machines.indexOf(m));
  const k = m.jobs.length;
  const factor = m.jobs.map(() => 0.7 + 0.6 * rng.next());
  const hot = c.hotspots.filter((h) => h.machine === machine);
  const out: JobSample[] = [];
  const level = (col: Float64Array, a: number): number => {
    const w = Array.from(col.subarray(Math.max(0, a - 60), Math.max(1, a))).sort((p, q) => p - q);
    return w[w.length >> 1] ?? col[0];
  };
  const step = c.options.intervalSec * 1000;
  for (let t = Math.max(0, from); t < Math.min(c.T, to); t++) {
    const h = hot.find((x) => t >= x.start && t < x.end);
    const culprit = h ? culpritJob(m.jobs, h.start) : undefined;
    const ts = c.options.t0Ms + t * step;
    m.jobs.forEach((job, j) => {
      const noise = (): number => 1 + 0.05 * rng.normal();
      let lat = m.frame.latency_ms[t];
      let busy = m.frame.busy_ms_per_s[t] / k;
      if (h) {
        // the culprit takes all of the machine's change since before the hotspot; the others keep their level
        const bl = level(m.frame.busy_ms_per_s, h.start);
        busy = job === culprit ? bl / k + (m.frame.busy_ms_per_s[t] - bl) : bl / k;
        if (job !== culprit) lat = level(m.frame.latency_ms, h.start);
      }
      lat *= factor[j] * noise();
      busy = Math.max(0, busy * noise());
      out.push({ job, operator: 'main', metric: 'latency_ms', ts, value: lat }, { job, operator: 'main', metric: 'busy_ms_per_s', ts, value: Math.min(1000, busy) });
    });
  }
  return out;
}
