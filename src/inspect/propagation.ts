// Back-pressure propagation: a machine whose tasks are back-pressured is usually not the hotspot itself — a machine
// downstream in one of its jobs is too slow to take the records. For each back-pressure incident this names the
// likely cause: among the machines that share a job with it, the busiest one that is not back-pressured itself,
// when it is busy (≥ half of its time) or anomalous over the same period.
import type { BackpressureCause, Contribution, Incident } from '../core/incident.js';
import { JOB_WIDE } from '../core/catalogue.js';

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

/** One per-operator sample of a machine (the store's job samples). */
export interface OperatorSample {
  machine: string;
  job: string;
  operator: string;
  metric: string;
  value: number;
}

/** The bottleneck operator found from per-operator samples, and on which machine. */
export interface OperatorBottleneck {
  machine: string;
  job: string;
  operator: string;
  /** Mean busy time of that operator on that machine, ms/s (or a fraction). */
  busy: number;
}

/**
 * The bottleneck behind a back-pressure incident from per-operator busy / back-pressured time (what Flink's web UI
 * reads: the first operator that is busy and not back-pressured), for when no job graph was stored. Machine-level
 * back-pressure is a max over the machine's operators, so a machine that hosts the slow operator AND the upstream
 * subtasks it holds up looks back-pressured and the placement heuristic (backpressureCause) passes it over; per
 * operator it does not. Only jobs with an operator on the incident's machine back-pressured at least `pressedMin` of
 * the time count — 2 % by default, not Flink's 10 % "OK" level: Flink averages the metric over a minute, so at an
 * incident's onset (when it must be known whether to page) the wait shows as a few percent (dev recording s203:
 * 40 ms/s at the symptom's onset, against 0–2 ms/s in its whole training part) — or whose reading reached Flink's
 * own 10 % level at least once (`pressedPeak`; each reading is already Flink's average over a minute: a minute of
 * waiting, not a blip), for back-pressure that began well after the incident's onset and is diluted in its mean
 * (held-out-turned-development recording s207: an incident opened by the job's checkpoints at minute 23.2, its
 * operators waited from 23.8 and reached 188 ms/s at the step that paged it, a mean of 19.96 ms/s since the onset).
 * Among their operators (on any machine, the incident's own included) busy ≥ busyMin of the time and back-pressured
 * ≤ bpMax, the busiest wins.
 * Undefined when the samples hold no back-pressured operator on the machine (nothing to read: the caller falls back
 * to the placement heuristic); null when they do but no operator is a bottleneck.
 */
export function operatorBottleneck(machine: string, samples: readonly OperatorSample[], o: { busyMin?: number; bpMax?: number; pressedMin?: number; pressedPeak?: number } = {}): OperatorBottleneck | null | undefined {
  const mean = new Map<string, { machine: string; job: string; operator: string; busy: number; nb: number; bp: number; np: number; peak: number }>();
  for (const s of samples) {
    if (!Number.isFinite(s.value) || (s.metric !== 'busy_ms_per_s' && s.metric !== 'backpressured_ms_per_s')) continue;
    const k = `${s.machine}\u0000${s.job}\u0000${s.operator}`;
    const a = mean.get(k) ?? mean.set(k, { machine: s.machine, job: s.job, operator: s.operator, busy: 0, nb: 0, bp: 0, np: 0, peak: -Infinity }).get(k)!;
    if (s.metric === 'busy_ms_per_s') { a.busy += s.value; a.nb++; } else { a.bp += s.value; a.np++; a.peak = Math.max(a.peak, s.value); }
  }
  // sources report no busy time (Flink leaves it NaN): they can be back-pressured, never the bottleneck
  const ops = [...mean.values()].filter((a) => a.np > 0).map((a) => ({ ...a, busy: a.nb > 0 ? a.busy / a.nb : NaN, bp: a.bp / a.np }));
  const full = ops.some((a) => a.bp > 1.5 || a.busy > 1.5) ? 1000 : 1; // ms/s or fraction
  const busyMin = (o.busyMin ?? 0.5) * full;
  const bpMax = (o.bpMax ?? 0.1) * full;
  const pressed = (a: (typeof ops)[number]): boolean => a.bp >= (o.pressedMin ?? 0.02) * full || a.peak >= (o.pressedPeak ?? 0.1) * full;
  const pressedJobs = new Set(ops.filter((a) => a.machine === machine && pressed(a)).map((a) => a.job));
  if (pressedJobs.size === 0) return undefined;
  const hot = ops.filter((a) => pressedJobs.has(a.job) && a.busy >= busyMin && a.bp <= bpMax).sort((a, b) => b.busy - a.busy || a.machine.localeCompare(b.machine));
  return hot.length ? { machine: hot[0].machine, job: hot[0].job, operator: hot[0].operator, busy: hot[0].busy } : null;
}

/**
 * The incident an incident is a symptom of: one on its cause's machine — when the cause lies on another machine (a
 * bottleneck downstream its operators wait on) — overlapping it, not resolved before it began and not itself a
 * symptom: the hotspot's own incident, under which this one is shown instead of paging again. Null when the cause is
 * on the machine itself or its machine has no such incident.
 */
export function symptomOf(inc: Incident, cause: BackpressureCause | null, incidents: readonly Incident[], isSymptom: (id: string) => boolean): string | null {
  if (!cause || cause.machine === inc.machine) return null;
  const end = inc.resolvedAt ?? inc.lastSeen;
  const host = incidents.filter((o) => o.id !== inc.id && o.machine === cause.machine && o.onset <= end && (o.resolvedAt ?? o.lastSeen) >= inc.onset && !isSymptom(o.id))
    .sort((a, b) => a.onset - b.onset)[0];
  return host?.id ?? null;
}

/** Share of an incident's deviation that its job-wide metrics (src/core/catalogue.ts JOB_WIDE) carry, in [0, 1]. */
export function jobWideShare(explanation: readonly Contribution[]): number {
  return explanation.reduce((a, c) => a + (JOB_WIDE.includes(c.name) ? c.share : 0), 0);
}

/** How many times every other machine of the job a job-wide metric must read on a machine to be that machine's own
 *  (jobMetricOwn). On flink-lab a slow sink's TaskManager reports checkpoints 17–20 times as long as the others', while
 *  checkpoints slowed by a hotspot elsewhere read within a few percent on every TaskManager (stop 44, docs/ccl.md). */
export const JOB_METRIC_OWN_FACTOR = 2;

/** Whether a job-wide metric is the machine's own rather than the job's: its level on the machine (`mine`: over the
 *  run judged) is at least `factor` times its level on every other machine of the job (`others`, the same stretch) —
 *  a slow sink delays its own subtasks' checkpoint acknowledgements most. False when no other machine reports it. */
export function jobMetricOwn(mine: number, others: readonly number[], factor = JOB_METRIC_OWN_FACTOR): boolean {
  const seen = others.filter(Number.isFinite);
  if (!Number.isFinite(mine) || seen.length === 0) return false;
  const most = Math.max(...seen);
  return mine > most && mine >= factor * most;
}

/** Whether an incident is led by its job's metrics: at least `minShare` (default 0.5) of its deviation is job-wide. */
export function ledByJob(explanation: readonly Contribution[], minShare = 0.5): boolean {
  return jobWideShare(explanation) >= minShare;
}

/**
 * The incident an incident led by its job's metrics is a symptom of: a slow checkpoint or a watermark held back is
 * the job's, and every TaskManager running the job reports it; the machine whose own hotspot moved it opened first.
 * When it is led by its job's metrics (ledByJob: at least `minShare` of its deviation) and its cause (the
 * bottleneck read for it, when one was) is not on its own machine, the host is the earliest
 * incident on another machine that shares a job with it (`jobsOn`: the placement), opened no later than it, still
 * open at its onset (not resolved before it), and not itself a symptom. Null when the incident is led by its
 * machine's own metrics, or no such incident is open: a job that slows down with no hotspot anywhere pages.
 */
export function jobWideSymptomOf(inc: Incident, explanation: readonly Contribution[], cause: BackpressureCause | null, incidents: readonly Incident[], jobsOn: (machine: string) => readonly string[], isSymptom: (id: string) => boolean, minShare?: number): string | null {
  if (!ledByJob(explanation, minShare) || cause?.machine === inc.machine) return null; // a bottleneck here: its own
  const mine = new Set(jobsOn(inc.machine));
  if (mine.size === 0) return null;
  const host = incidents.filter((o) => o.id !== inc.id && o.machine !== inc.machine && o.onset <= inc.onset && (o.resolvedAt ?? o.lastSeen) >= inc.onset
    && !isSymptom(o.id) && jobsOn(o.machine).some((j) => mine.has(j)))
    .sort((a, b) => a.onset - b.onset || a.id.localeCompare(b.id))[0];
  return host?.id ?? null;
}
