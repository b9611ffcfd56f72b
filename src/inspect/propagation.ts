// Back-pressure propagation: a machine whose tasks are back-pressured is usually not the hotspot itself — a machine
// downstream in one of its jobs is too slow to take the records. For each back-pressure incident this names the
// likely cause: among the machines that share a job with it, the busiest one that is not back-pressured itself,
// when it is busy (≥ half of its time) or anomalous over the same period.
import type { BackpressureCause, Incident } from '../core/incident.js';

export type { BackpressureCause };
import type { Series } from '../core/series.js';

export interface Activity {
  /** Mean busy time over the period, ms/s (or a 0–1 fraction). */
  busy: number;
  /** Mean back-pressured time over the period, same unit. */
  backpressured: number;
}


export interface PropagationInput {
  /** Jobs placed on a machine. */
  jobsOn: (machine: string) => string[];
  /** All machines known. */
  machines: string[];
  /** Mean busy / back-pressured time of a machine in [from, to]; null when it reports neither. */
  activity: (machine: string, from: number, to: number) => Activity | null;
  /** Every incident (to see which peers were anomalous at the same time). */
  incidents: readonly Incident[];
}


/** The likely cause of a back-pressure incident, or null when no peer fits. */
export function backpressureCause(inc: Incident, p: PropagationInput): BackpressureCause | null {
  const from = inc.onset;
  const to = inc.resolvedAt ?? inc.lastSeen;
  const mine = new Set(p.jobsOn(inc.machine));
  if (mine.size === 0) return null;
  let best: BackpressureCause | null = null;
  for (const m of p.machines) {
    if (m === inc.machine) continue;
    const shared = p.jobsOn(m).filter((j) => mine.has(j));
    if (shared.length === 0) continue;
    const a = p.activity(m, from, to);
    if (!a || !Number.isFinite(a.busy)) continue;
    const full = Math.max(a.busy, Number.isFinite(a.backpressured) ? a.backpressured : 0) > 1.5 ? 1000 : 1; // ms/s or fraction
    if (Number.isFinite(a.backpressured) && a.backpressured >= 0.2 * full) continue; // itself waiting on a machine further down
    const anomalous = p.incidents.some((o) => o.machine === m && o.onset <= to && (o.resolvedAt ?? o.lastSeen) >= from);
    if (!anomalous && a.busy < 0.5 * full) continue;
    if (!best || a.busy > best.busy) best = { machine: m, busy: a.busy, jobs: shared, anomalous };
  }
  return best;
}

/** Mean busy / back-pressured time of a machine's series in [from, to] (channels by name; NaN skipped). */
export function seriesActivity(s: Series, from: number, to: number): Activity | null {
  const C = s.channels.length;
  const cb = s.channels.indexOf('busy_ms_per_s');
  const cp = s.channels.indexOf('backpressured_ms_per_s');
  if (cb < 0) return null;
  let sb = 0, nb = 0, sp = 0, np = 0;
  for (let t = 0; t < s.timestamps.length; t++) {
    if (s.timestamps[t] < from || s.timestamps[t] > to) continue;
    const b = s.values[t * C + cb];
    if (Number.isFinite(b)) { sb += b; nb++; }
    if (cp >= 0) {
      const p = s.values[t * C + cp];
      if (Number.isFinite(p)) { sp += p; np++; }
    }
  }
  return nb ? { busy: sb / nb, backpressured: np ? sp / np : NaN } : null;
}
