// Incidents: consecutive anomalous segments of one machine grouped into one incident, open → resolved after a quiet
// period. Pure in-memory logic; persistence and the operator's acts (acknowledge, label) are the store's job.

import type { HotspotType, Incident } from '../core/incident.js';

export interface IncidentConfig {
  /** A new segment starting within this many ms of the incident's last anomalous point joins it. Default 10 min. */
  mergeGapMs?: number;
  /** An incident with no anomalous point for this many ms resolves. Default 10 min. */
  resolveAfterMs?: number;
  /** Incident ids are this prefix and a number. Default 'inc-'; fleet workers number per partition ('inc-p3-'), so
   *  ids stay unique across workers without a shared counter. */
  idPrefix?: string;
}

export class IncidentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IncidentError';
  }
}

export interface SegmentEvent {
  machine: string;
  type: HotspotType;
  onset: number;
  end: number;
  peak: number;
  /** The peak in units of the levels its points were judged against (Incident.peakUnits). */
  peakUnits?: number;
}

/** Keeps the incidents of a cluster; feed it typed segments and clock ticks. */
export class IncidentTracker {
  readonly incidents: Incident[] = [];
  private readonly mergeGapMs: number;
  private readonly resolveAfterMs: number;
  private nextId = 1;
  private readonly idPrefix: string;

  constructor(cfg: IncidentConfig = {}) {
    this.mergeGapMs = cfg.mergeGapMs ?? 600_000;
    this.resolveAfterMs = cfg.resolveAfterMs ?? 600_000;
    this.idPrefix = cfg.idPrefix ?? 'inc-';
    for (const [k, v] of [['mergeGapMs', this.mergeGapMs], ['resolveAfterMs', this.resolveAfterMs]] as const) {
      if (!Number.isFinite(v) || v < 0) throw new IncidentError(`${k} must be a non-negative number of ms (got ${v})`);
    }
  }

  /** Re-seeds the tracker with incidents read back from the store (after a restart); `nextNumber` (persisted with
   *  them) keeps ids from being reused when resolved incidents are no longer held in memory. */
  restore(list: Incident[], nextNumber = 1): void {
    this.incidents.length = 0;
    this.incidents.push(...list);
    this.nextId = Math.max(1, nextNumber);
    for (const i of list) {
      const n = i.id.startsWith(this.idPrefix) && /^\d+$/.test(i.id.slice(this.idPrefix.length)) ? Number(i.id.slice(this.idPrefix.length)) : 0;
      if (n >= this.nextId) this.nextId = n + 1;
    }
  }

  /** The number the next incident id will carry. */
  get nextNumber(): number {
    return this.nextId;
  }

  /** Drops resolved incidents that resolved before `before` from memory (they stay in the store). */
  prune(before: number): void {
    let k = 0;
    for (const i of this.incidents) if (i.state !== 'resolved' || (i.resolvedAt ?? i.lastSeen) >= before) this.incidents[k++] = i;
    this.incidents.length = k;
  }

  /** The machine's active incident if an anomalous point at time t would still join it (within its quiet period). */
  continuing(machine: string, t: number): Incident | undefined {
    const cur = this.active(machine);
    return cur && t - cur.lastSeen <= Math.min(this.mergeGapMs, this.resolveAfterMs) ? cur : undefined;
  }

  /** The machine's incident that is not resolved, if any. */
  active(machine: string): Incident | undefined {
    return this.incidents.find((i) => i.machine === machine && i.state !== 'resolved');
  }

  /** Adds a segment: merges into the machine's active incident when close enough, else opens a new one. */
  addSegment(ev: SegmentEvent): Incident {
    const cur = this.active(ev.machine);
    if (cur && ev.onset - cur.lastSeen <= this.mergeGapMs) {
      cur.lastSeen = Math.max(cur.lastSeen, ev.end);
      if (ev.peak > cur.peak) {
        cur.peak = ev.peak;
        cur.type = ev.type;
      }
      if (ev.peakUnits !== undefined) cur.peakUnits = Math.max(cur.peakUnits ?? -Infinity, ev.peakUnits);
      cur.segments++;
      return cur;
    }
    if (cur) this.resolve(cur.id, cur.lastSeen);
    const inc: Incident = { id: `${this.idPrefix}${this.nextId++}`, machine: ev.machine, state: 'open', type: ev.type, onset: ev.onset, lastSeen: ev.end, peak: ev.peak, ...(ev.peakUnits !== undefined ? { peakUnits: ev.peakUnits } : {}), segments: 1 };
    this.incidents.push(inc);
    return inc;
  }

  /** Resolves every active incident quiet for resolveAfterMs at time `now`; returns those resolved. */
  tick(now: number): Incident[] {
    const done: Incident[] = [];
    for (const i of this.incidents) {
      if (i.state !== 'resolved' && now - i.lastSeen >= this.resolveAfterMs) {
        i.state = 'resolved';
        i.resolvedAt = now;
        done.push(i);
      }
    }
    return done;
  }

  resolve(id: string, at: number): Incident {
    const i = this.get(id);
    i.state = 'resolved';
    i.resolvedAt = at;
    return i;
  }

  private get(id: string): Incident {
    const i = this.incidents.find((x) => x.id === id);
    if (!i) throw new IncidentError(`unknown incident '${id}'`);
    return i;
  }
}
