// The seeded fault schedule of a recording: which fault, where (job, operator, subtask — the machine is resolved
// from the live placement when it starts), when, how strong. Hotspot faults do not overlap; each lasts 2–5 min;
// about a fifth of them fall in the training part (noisy training); failovers (a TaskManager killed, restarted
// 20–30 s later) go in the test part. Every hotspot kind appears at least once when there are 4 or more.
import { Rng } from '../../tensor/rng.js';
import type { LabFaultKind } from '../../data/readers/flinklab.js';

export interface PlannedFault {
  id: string;
  kind: LabFaultKind;
  /** Offset from the recording's start, ms. */
  atMs: number;
  durationMs: number;
  job?: string;
  /** Operator short name as the harness job knows it. */
  operator?: string;
  subtask?: number;
  /** Failover: the TaskManager (1-based) to kill. */
  taskManager?: number;
  /** What the fault is made of before it meets the live cluster: share, util, capacity, targetMB, rampMs, restartAfterMs. */
  strength: Record<string, number>;
}

export const HOTSPOT_KINDS: Exclude<LabFaultKind, 'failover'>[] = ['skew', 'hot-udf', 'slow-sink', 'state-growth'];

/** Where each kind can be injected: job → operator (the keyed operator for skew, a sink for slow-sink). */
export const FAULT_SITES: Record<Exclude<LabFaultKind, 'failover'>, [string, string][]> = {
  skew: [['orders', 'order-score'], ['enrich', 'enrich-join']],
  'hot-udf': [['orders', 'order-score'], ['enrich', 'enrich-join']],
  'slow-sink': [['orders', 'orders-sink'], ['enrich', 'enrich-sink']],
  'state-growth': [['orders', 'order-score'], ['enrich', 'enrich-join']],
};

/** How a failover is spaced: the restart delay plus time to recover. */
const FAILOVER_SPAN_MS = 120_000;
const GAP_MS = 60_000;

export interface ScheduleOptions {
  seed: number;
  spanMs: number;
  trainEndMs: number;
  taskManagers: number;
  parallelism: number;
  faults: number;
  failovers: number;
}

/** One hotspot per 7 minutes (at least 2 where they fit, at least 1), one failover from 20 minutes on. */
export function defaultFaultCount(minutes: number): { faults: number; failovers: number } {
  const fit = Math.floor((0.7 * minutes - 0.5) / 2); // the test part holds a fault of ≥ 1 min plus a 1 min gap each
  return { faults: Math.max(1, Math.min(Math.max(2, Math.round(minutes / 7)), fit)), failovers: minutes >= 20 ? 1 : 0 };
}

export function planSchedule(o: ScheduleOptions): PlannedFault[] {
  const rng = new Rng(o.seed * 104729 + 7);
  const pick = <T>(a: readonly T[]): T => a[rng.int(a.length)];
  const between = (a: number, b: number): number => a + rng.next() * (b - a);
  const kinds = [...HOTSPOT_KINDS];
  rng.shuffle(kinds);
  while (kinds.length < o.faults) kinds.push(pick(HOTSPOT_KINDS));
  kinds.length = o.faults;
  const hot: PlannedFault[] = kinds.map((kind) => {
    const [job, operator] = pick(FAULT_SITES[kind]);
    const durationMs = Math.round(between(120_000, 300_000));
    const strength: Record<string, number> =
      kind === 'skew' ? { share: round2(between(0.6, 0.9)), rampMs: Math.round(durationMs * between(0.5, 0.8)) }
        : kind === 'hot-udf' ? { util: round2(between(0.45, 0.8)), rampMs: 0 }
          : kind === 'slow-sink' ? { capacity: round2(between(0.45, 0.75)), rampMs: Math.round(between(20_000, 60_000)) }
            : { targetMB: Math.round(between(64, 112)), rampMs: 0 };
    return { id: '', kind, atMs: 0, durationMs, job, operator, subtask: rng.int(o.parallelism), strength };
  });
  const failovers: PlannedFault[] = Array.from({ length: o.failovers }, () => ({
    id: '', kind: 'failover' as const, atMs: 0, durationMs: FAILOVER_SPAN_MS, taskManager: 1 + rng.int(o.taskManagers),
    strength: { restartAfterMs: Math.round(between(20_000, 30_000)) },
  }));
  const nTrain = o.faults >= 3 ? Math.max(1, Math.round(o.faults * 0.2)) : 0;
  const train = hot.slice(0, nTrain);
  const test = [...hot.slice(nTrain), ...failovers];
  rng.shuffle(test);
  const out = [...place(train, GAP_MS, o.trainEndMs - GAP_MS / 2, rng), ...place(test, o.trainEndMs + GAP_MS / 2, o.spanMs - GAP_MS, rng)];
  out.sort((a, b) => a.atMs - b.atMs);
  out.forEach((f, i) => (f.id = `f${i + 1}`));
  return out;
}

/** Lays items out in [from, to] in order, GAP_MS apart at least, the slack spread at random; shrinks them to fit. */
function place(items: PlannedFault[], from: number, to: number, rng: Rng): PlannedFault[] {
  if (items.length === 0) return items;
  const room = to - from - (items.length - 1) * GAP_MS;
  let total = items.reduce((a, f) => a + f.durationMs, 0);
  if (room <= 0) throw new Error(`no room for ${items.length} faults in ${Math.round((to - from) / 1000)} s: record longer or ask for fewer faults`);
  if (total > room) {
    const fixed = items.filter((f) => f.kind === 'failover').reduce((a, f) => a + f.durationMs, 0);
    const shrink = (room - fixed) / (total - fixed);
    for (const f of items) if (f.kind !== 'failover') f.durationMs = Math.max(60_000, Math.floor(f.durationMs * shrink));
    total = items.reduce((a, f) => a + f.durationMs, 0);
    if (total > room) throw new Error(`no room for ${items.length} faults of at least 60 s in ${Math.round((to - from) / 1000)} s: record longer (5 minutes or more) or ask for fewer faults (--faults)`);
  }
  const w = items.map(() => rng.next()).concat(rng.next());
  const ws = w.reduce((a, b) => a + b, 0);
  let t = from;
  items.forEach((f, i) => {
    t += ((room - total) * w[i]) / ws;
    f.atMs = Math.round(t);
    if (f.strength.rampMs !== undefined && f.kind === 'skew') f.strength.rampMs = Math.min(f.strength.rampMs, Math.round(f.durationMs * 0.8));
    t += f.durationMs + GAP_MS;
  });
  return items;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
