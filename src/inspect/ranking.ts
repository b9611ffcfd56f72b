// Risk ranking of machines and the cluster health summary (task brief "Ranking and incidents").
// Risk now = the mean of the last `recent` scores relative to the threshold, boosted by an active incident.
import { quantileSorted } from '../core/stats.js';

export interface MachineScores {
  machine: string;
  /** (T,) most recent anomaly scores, oldest first. */
  scores: ArrayLike<number>;
  hasActiveIncident?: boolean;
}

export interface RankedMachine {
  machine: string;
  risk: number;
  lastScore: number;
  atRisk: boolean;
}

export interface HealthSummary {
  machines: number;
  atRisk: number;
  /** Quantiles of the machines' last scores. */
  p50: number;
  p90: number;
  max: number;
}

/** Ranks machines by risk, highest first; ties broken by name. `recent` default 6 points. */
export function rankMachines(ms: MachineScores[], threshold: number, recent = 6): RankedMachine[] {
  if (!(threshold > 0)) throw new RangeError(`threshold must be > 0 (got ${threshold})`);
  const out = ms.map((m) => {
    const fin = Array.from(m.scores).filter(Number.isFinite);
    const tail = fin.slice(-recent);
    const mean = tail.length ? tail.reduce((s, v) => s + v, 0) / tail.length : 0;
    const lastScore = fin.length ? fin[fin.length - 1] : NaN;
    const risk = mean / threshold + (m.hasActiveIncident ? 1 : 0);
    return { machine: m.machine, risk, lastScore, atRisk: risk >= 1 };
  });
  return out.sort((a, b) => b.risk - a.risk || a.machine.localeCompare(b.machine));
}


export function healthSummary(ranked: RankedMachine[]): HealthSummary {
  const last = ranked.map((r) => r.lastScore).filter(Number.isFinite).sort((a, b) => a - b);
  return { machines: ranked.length, atRisk: ranked.filter((r) => r.atRisk).length, p50: quantileSorted(last, 0.5), p90: quantileSorted(last, 0.9), max: last.length ? last[last.length - 1] : NaN };
}
