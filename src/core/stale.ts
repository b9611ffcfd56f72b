// Stale metrics: values a metric cache kept serving after it stopped refreshing. Flink's REST API answers metric
// queries from the JobManager's metric cache (refreshed from the TaskManagers every metrics.fetcher.update-interval);
// when that refresh stalls — seen after a TaskManager was lost (flink-lab recording s205: every TaskManager's
// values froze for 9.4 minutes while the jobs ran again, Prometheus' scrapes of the same TaskManagers kept moving) —
// the REST API keeps answering with the same numbers, and a watermark lag computed against the clock climbs
// without end. Those rows are not measurements: scored, they look like a cluster-wide hotspot. A machine's values
// are stale when every value it was served (heap used, CPU load, busy time, record rates, …) is bit-for-bit the
// one first served at least `staleAfterMs` earlier; a live JVM under load never holds all of them that still for
// longer than a few cache refreshes (3 × the refresh interval by default: STALE_REFRESHES).
import type { FlinkEvent } from './event.js';

/** How many cache refresh intervals a machine's values may stay unchanged before they count as stale. */
export const STALE_REFRESHES = 3;

/** Decides, poll by poll, whether a machine's values are stale. One instance per source; machines independent. */
export class StaleGuard {
  private readonly seen = new Map<string, { key: string; since: number }>();
  constructor(readonly staleAfterMs: number) {
    if (!(staleAfterMs > 0)) throw new RangeError(`staleAfterMs must be > 0 (got ${staleAfterMs})`);
  }

  /** Whether `values` (what `machine` was served at `ts`, in a fixed order; NaN = not served) are stale. Judged only
   *  while the machine runs subtasks (`running`: a task value was served — busy time and record rates move with every
   *  record, while an idle JVM may hold still) and with two or more finite values (one number may well hold still; a
   *  gap is no stale answer); values not judged do not reset what was seen. */
  stale(machine: string, ts: number, values: ArrayLike<number>, running = true): boolean {
    if (!running) return false;
    let finite = 0;
    const parts: string[] = [];
    for (let i = 0; i < values.length; i++) {
      if (Number.isFinite(values[i])) finite++;
      parts.push(String(values[i]));
    }
    if (finite < 2) return false;
    const key = parts.join(',');
    const prev = this.seen.get(machine);
    if (!prev || prev.key !== key) {
      this.seen.set(machine, { key, since: ts });
      return false;
    }
    return ts - prev.since >= this.staleAfterMs;
  }

  /** Since when `machine` has been served its current values (undefined: never seen). */
  servedSince(machine: string): number | undefined {
    return this.seen.get(machine)?.since;
  }
}

/** A stretch of a machine's rows that were stale: [from, to] are the first and last stale timestamps. */
export interface StaleSpan {
  machine: string;
  from: number;
  to: number;
  rows: number;
  /** When the values it was served were first seen (the last fresh row). */
  servedSince: number;
  /** The first row after it whose values moved (fresh again); undefined when the table ends stale. */
  freshAt?: number;
}

/** The stale rows of one machine's table (T rows × C channels, row-major) judged on the channels `cols`, of which
 *  `taskCols` are the subtasks' (a row without any of those finite is not judged: StaleGuard.stale's `running`): a
 *  mask (1 = stale) and the stretches it makes: one per run of the same served values (rows not judged inside it — no
 *  subtask value was served — are not stale, nor do they split it). */
export function staleRows(machine: string, timestamps: ArrayLike<number>, values: ArrayLike<number>, C: number, cols: readonly number[], taskCols: readonly number[], staleAfterMs: number): { mask: Uint8Array; spans: StaleSpan[] } {
  const T = timestamps.length;
  const guard = new StaleGuard(staleAfterMs);
  const mask = new Uint8Array(T);
  const spans: StaleSpan[] = [];
  const row = new Float64Array(cols.length);
  for (let t = 0; t < T; t++) {
    cols.forEach((c, k) => (row[k] = values[t * C + c]));
    const running = taskCols.some((c) => Number.isFinite(values[t * C + c]));
    const stale = guard.stale(machine, timestamps[t], row, running);
    const since = guard.servedSince(machine);
    const last = spans[spans.length - 1];
    if (last && last.freshAt === undefined && since !== last.servedSince) last.freshAt = timestamps[t];
    if (!stale) continue;
    mask[t] = 1;
    // the same stretch when the same values are served: rows between that were not judged do not split it (a judged
    // row that moved would have moved `since`)
    if (last && last.servedSince === since) {
      last.to = timestamps[t];
      last.rows++;
    } else spans.push({ machine, from: timestamps[t], to: timestamps[t], rows: 1, servedSince: since! });
  }
  return { mask, spans };
}

/** The event raised when `machine`'s values are found stale at `ts` (served unchanged since `servedSince`). */
export function staleEvent(machine: string, ts: number, servedSince: number): FlinkEvent {
  return {
    id: `${machine}:metrics-stale:${servedSince}`, ts, kind: 'metrics-stale', machines: [machine],
    detail: `${machine}: Flink's REST API keeps serving the metric values first seen at ${new Date(servedSince).toISOString()} — its metric cache stopped refreshing; these rows are left out until the values move`,
    attrs: { servedSince },
  };
}

/** The event raised when `machine`'s values move again after a stale stretch (found at `staleAt`): its metrics
 *  measure again. It marks the end of the stretch on the time axes; it holds no page (src/app/enrich.ts). */
export function freshEvent(machine: string, ts: number, servedSince: number, staleAt: number): FlinkEvent {
  const min = ((ts - servedSince) / 60_000).toFixed(1);
  return {
    id: `${machine}:metrics-fresh:${servedSince}`, ts, kind: 'metrics-fresh', machines: [machine],
    detail: `${machine}: Flink's REST API serves fresh metric values again — the values first seen at ${new Date(servedSince).toISOString()} were served for ${min} min (stale since ${new Date(staleAt).toISOString()})`,
    attrs: { servedSince, staleAt },
  };
}

/** One event per stale stretch: the polls' stale machines in, an event out for each stretch the first time it is
 *  seen, and one when its values move again (`servedSince`: since when each machine has been served its current
 *  values, StaleGuard.servedSince). A stretch is known by the time its values were first served, so a poll in which
 *  a machine was not judged (it ran no subtask then) neither ends its stretch nor raises the same event again. */
export class StaleEvents {
  // machine → its stretch, raised and not yet ended (without `servedSince` it is never known to end: it is replaced
  // when the machine goes stale on other values)
  private readonly open = new Map<string, { servedSince: number; staleAt: number }>();
  next(ts: number, stale: readonly { machine: string; servedSince: number }[], servedSince: (machine: string) => number | undefined = () => undefined): FlinkEvent[] {
    const out: FlinkEvent[] = [];
    for (const [machine, o] of this.open) {
      const now = servedSince(machine);
      if (now === undefined || now === o.servedSince) continue;
      this.open.delete(machine);
      out.push(freshEvent(machine, ts, o.servedSince, o.staleAt));
    }
    for (const s of stale) {
      if (this.open.get(s.machine)?.servedSince === s.servedSince) continue;
      this.open.set(s.machine, { servedSince: s.servedSince, staleAt: ts });
      out.push(staleEvent(s.machine, ts, s.servedSince));
    }
    return out;
  }
}
