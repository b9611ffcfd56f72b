// The collector's own outages, as events: when a poll of the cluster fails after data came, and when data comes
// again. They are cluster-wide (machines []): nothing was collected from any machine in between — a gap in every
// series that is not the cluster's doing. With a machine's stale stretch (src/core/stale.ts) they are the data gaps
// that src/inspect/lifecycle.ts `effectFrom` reads: an event's effect on the data shows only once the data comes back.
import type { EventKind, FlinkEvent } from './event.js';

/** The collector's outage events: collectorFailing reads the latest of them. */
export const COLLECT_EVENTS: readonly EventKind[] = ['collect-failed', 'collect-resumed'];

/** The event raised at the first failed poll after data came (`since`: the last time data came; undefined when none
 *  has come yet). */
export function collectFailedEvent(ts: number, since: number | undefined, error: string): FlinkEvent {
  return {
    id: `collect-failed:${ts}`, ts, kind: 'collect-failed', machines: [],
    detail: `flinkscope could not collect from the cluster${since !== undefined ? ` (no data since ${new Date(since).toISOString()})` : ''}: ${error}`,
    attrs: { ...(since !== undefined ? { since } : {}), error },
  };
}

/** The event raised when data comes again after none since `since`. `backfilled`: the source serves history and the
 *  missed stretch was read after all (Prometheus) — no gap is left in the data. `cause`: why none came ('failed'
 *  polls, or flinkscope was 'not-running'). */
export function collectResumedEvent(ts: number, since: number, cause: 'failed' | 'not-running', backfilled: boolean): FlinkEvent {
  const min = ((ts - since) / 60_000).toFixed(1);
  const why = cause === 'failed' ? 'its polls failed' : 'flinkscope was not collecting';
  return {
    id: `collect-resumed:${ts}`, ts, kind: 'collect-resumed', machines: [],
    detail: `flinkscope collects from the cluster again after ${min} min without data (${why}${backfilled ? '; the missed stretch was read from the source\'s history' : ''})`,
    attrs: { since, cause, backfilled },
  };
}

/** The kinds of event that may end a gap in the data (dataGapOf): what src/inspect/lifecycle.ts `effectFrom` reads
 *  besides the event itself. */
export const GAP_END_EVENTS: readonly EventKind[] = ['metrics-fresh', 'collect-resumed'];

/** A gap in the data that event `e` ends: from `since` until `e.ts`, on `machines` ([]: every machine). A machine's
 *  stale stretch (metrics-fresh: its values were frozen from servedSince) or the collector's outage (collect-resumed,
 *  unless the missed stretch was read after all); null for any other event. */
export function dataGapOf(e: FlinkEvent): { since: number; machines: readonly string[] } | null {
  const a = e.attrs ?? {};
  if (e.kind === 'metrics-fresh' && typeof a.servedSince === 'number') return { since: a.servedSince, machines: e.machines };
  if (e.kind === 'collect-resumed' && typeof a.since === 'number' && a.backfilled !== true) return { since: a.since, machines: [] };
  return null;
}

/** One event when collection stops and one when it resumes. `lastDataAt`: when the last data came before this
 *  collector started (the store's newest sample), so that a gap while flinkscope was not running is told too, once it
 *  is longer than `minGapMs`. */
export class CollectOutage {
  /** When data last came (undefined: never). */
  private last: number | undefined;
  /** The open gap: since when no data came, and why (null: none open). */
  private gap: { since: number; cause: 'failed' | 'not-running' } | null = null;
  private failing = false;
  constructor(lastDataAt?: number, private readonly minGapMs = 60_000) {
    if (lastDataAt !== undefined && Number.isFinite(lastDataAt)) {
      this.last = lastDataAt;
      this.gap = { since: lastDataAt, cause: 'not-running' };
    }
  }

  /** A poll at `ts` failed with `error`: an event if it is the first failure since data came. */
  failed(ts: number, error: string): FlinkEvent[] {
    if (this.failing) return [];
    this.failing = true;
    this.gap ??= { since: this.last ?? ts, cause: 'failed' };
    return [collectFailedEvent(ts, this.last, error)];
  }

  /** A poll at `ts` brought data (`backfilled(since)`: it read the stretch missed since then too): an event if it
   *  ends a gap. */
  ok(ts: number, backfilled: (since: number) => boolean = () => false): FlinkEvent[] {
    const gap = this.gap;
    const wasFailing = this.failing;
    [this.last, this.gap, this.failing] = [ts, null, false];
    if (!gap || (!wasFailing && ts - gap.since < this.minGapMs)) return []; // a restart that missed a poll or two: no gap
    return [collectResumedEvent(ts, gap.since, gap.cause, backfilled(gap.since))];
  }
}

/** Whether the collector is failing now, from its outage events in time order (those since the newest data suffice):
 *  the latest one decides — a collect-failed event not followed by collect-resumed. `at`: its first failed poll;
 *  `since`: the last data before it (null: none came). */
export function collectorFailing(events: readonly FlinkEvent[]): { at: number; since: number | null; error: string } | null {
  let last: FlinkEvent | undefined;
  for (const e of events) if (COLLECT_EVENTS.includes(e.kind) && (!last || e.ts >= last.ts)) last = e;
  if (last?.kind !== 'collect-failed') return null;
  const since = last.attrs?.since;
  return { at: last.ts, since: typeof since === 'number' ? since : null, error: String(last.attrs?.error ?? '') };
}
