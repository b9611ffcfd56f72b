// Sanity checks of a flink-lab recording: for every fault, its signature metrics on the labelled TaskManager while
// the fault is on (after Flink's 60 s metric windows caught up) against the other TaskManagers in the same window
// and against the same TaskManager in the two minutes before. A fault "shows" when its signature metric on the
// labelled machine is clearly above both. For failovers: rows without metrics on the killed TaskManager, and the
// Flink events seen around it.
import { column, type Series } from '../../core/series.js';
import type { FlinkLabRecording, LabFault } from '../../data/readers/flinklab.js';

/** The metric that should stand out, per kind, and by how much (ratio to the reference, and an absolute floor). */
export const SIGNATURE: Record<string, { metric: string; ratio: number; floor: number }> = {
  skew: { metric: 'records_in_per_s', ratio: 1.3, floor: 50 },
  'hot-udf': { metric: 'busy_ms_per_s', ratio: 1.5, floor: 150 },
  'slow-sink': { metric: 'busy_ms_per_s', ratio: 1.5, floor: 150 },
  'state-growth': { metric: 'state_bytes', ratio: 2, floor: 8 * 2 ** 20 },
};
const SHOWN = ['busy_ms_per_s', 'backpressured_ms_per_s', 'records_in_per_s', 'cpu_cores', 'gc_time_ms', 'heap_used', 'checkpoint_ms', 'state_bytes'];

export interface FaultCheck {
  fault: LabFault;
  /** metric → [labelled machine during, mean of the others during, labelled machine in the 2 min before]. */
  metrics: Record<string, [number, number, number]>;
  shows: boolean;
  note: string;
}

function meanIn(s: Series, metric: string, from: number, to: number): number {
  const c = s.channels.indexOf(metric);
  if (c < 0) return NaN;
  const col = column(s, c);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < s.timestamps.length; i++) {
    if (s.timestamps[i] >= from && s.timestamps[i] < to && Number.isFinite(col[i])) {
      sum += col[i];
      n++;
    }
  }
  return n ? sum / n : NaN;
}

export function checkRecording(rec: FlinkLabRecording): FaultCheck[] {
  return rec.faults.map((f) => {
    const hot = rec.machines.find((s) => s.name === f.machines[0])!;
    const others = rec.machines.filter((s) => !f.machines.includes(s.name));
    if (f.kind === 'failover') {
      const c = hot.channels.indexOf('busy_ms_per_s');
      const col = column(hot, Math.max(0, c));
      const missing = hot.timestamps.filter((t, i) => t >= f.start && t < f.end && !Number.isFinite(col[i])).length;
      const near = rec.events.filter((e) => e.ts >= f.start - 10_000 && e.ts <= f.end + 60_000);
      return { fault: f, metrics: {}, shows: near.length > 0, note: `${missing} rows without metrics on ${hot.name}; events: ${[...new Set(near.map((e) => e.kind))].join(', ') || 'none'}` };
    }
    const from = Math.min(f.start + 45_000, (f.start + f.end) / 2);
    const metrics: FaultCheck['metrics'] = {};
    for (const m of SHOWN) {
      const other = others.map((o) => meanIn(o, m, from, f.end)).filter(Number.isFinite);
      metrics[m] = [meanIn(hot, m, from, f.end), other.length ? other.reduce((a, b) => a + b, 0) / other.length : NaN, meanIn(hot, m, f.start - 120_000, f.start)];
    }
    const sig = SIGNATURE[f.kind];
    const [during, rest, before] = metrics[sig.metric];
    const shows = during > Math.max(rest, before) * sig.ratio && during - Math.max(rest, before) > sig.floor;
    return { fault: f, metrics, shows, note: `${sig.metric} ${fmt(during)} on ${hot.name} vs ${fmt(rest)} elsewhere, ${fmt(before)} before` };
  });
}

const fmt = (x: number): string => (!Number.isFinite(x) ? '–' : Math.abs(x) >= 1e6 ? `${(x / 2 ** 20).toFixed(1)}M` : x >= 100 ? x.toFixed(0) : x.toFixed(2));

/** A plain-text table of the checks, one fault per line. */
export function checkTable(checks: FaultCheck[]): string {
  const head = ['fault', 'kind', 'machine', 'min', ...SHOWN.map((m) => m.replace(/_ms_per_s|_per_s|_ms$/, '')), 'shows'];
  const lines = checks.map((c) => [
    c.fault.id, c.fault.kind, c.fault.machines.join('+'), ((c.fault.end - c.fault.start) / 60_000).toFixed(1),
    ...SHOWN.map((m) => (c.metrics[m] ? `${fmt(c.metrics[m][0])}/${fmt(c.metrics[m][1])}/${fmt(c.metrics[m][2])}` : '')),
    `${c.shows ? 'yes' : 'NO'}: ${c.note}`,
  ]);
  return [head, ...lines].map((r) => r.join('\t')).join('\n');
}
