// Job-state checks beside the learned detector: facts about a job that need no model, turned into Flink events the
// product stores and shows with the incidents they overlap.
//   task-failed         a subtask FAILED, or its attempt went up since the previous poll (redeployed or restarted) —
//                       while the job itself is RUNNING in both polls (a region failover; a whole-job restart is the
//                       event collector's 'job-state' / 'restart')
//   checkpoint-stalled  checkpointing is on and no checkpoint completed for N intervals
//   lag-growing         a job's Kafka consumer lag (summed over its sources) grew over the last N minutes: the medians
//                       of consecutive slices of the window rise slice after slice, by at least a minimum in all
// Pure logic with a little memory (what was seen last poll, which episodes were announced). Event ids are built from
// Flink's own facts (job id, vertex, subtask, failed attempt; the last completed checkpoint) so an event seen twice is
// stored once; a lag episode's id carries the time it was first seen (a restarted watcher may announce a lag episode
// that is still going on once more).
import type { FlinkEvent } from '../core/event.js';
import type { JobObservation } from '../core/jobgraph.js';
import { median } from '../core/stats.js';

export interface CheckOptions {
  /** Checkpoints stalled: no completed checkpoint for this many intervals. Default 3. */
  checkpointIntervals?: number;
  /** Lag growing: over this long. Default 5 min. */
  lagWindowMs?: number;
  /** Lag growing: the window is cut into this many slices whose medians must rise one after the other. Default 5. */
  lagSlices?: number;
  /** Lag growing: by at least this many records from the first slice to the last. Default 1000. */
  lagMinGrowth?: number;
}

export interface LagPoint {
  job: string;
  machine: string;
  ts: number;
  /** Records behind (Kafka consumer lag) of one source on one machine. */
  lag: number;
}

const RUNNING_OR_DONE = new Set(['RUNNING', 'FINISHED']);

export class JobStateChecks {
  /** job id → "vertex#subtask" → attempt last seen (while the job was RUNNING). */
  private readonly attempts = new Map<string, Map<string, number>>();
  /** "job id|vertex#subtask" → the newest failed attempt announced. */
  private readonly announced = new Map<string, number>();
  /** job name → total lag per time, and the machines it came from. */
  private readonly lag = new Map<string, { points: Map<number, number>; machines: Set<string> }>();
  /** job name → the open lag episode's id. */
  private readonly lagEpisode = new Map<string, string>();
  private readonly o: Required<CheckOptions>;

  constructor(o: CheckOptions = {}) {
    this.o = { checkpointIntervals: 3, lagWindowMs: 5 * 60_000, lagSlices: 5, lagMinGrowth: 1000, ...o };
    if (!(this.o.checkpointIntervals > 0)) throw new Error(`checkpointIntervals must be > 0 (got ${this.o.checkpointIntervals})`);
    if (!(this.o.lagWindowMs > 0)) throw new Error(`lagWindowMs must be > 0 (got ${this.o.lagWindowMs})`);
    if (!(Number.isInteger(this.o.lagSlices) && this.o.lagSlices >= 2)) throw new Error(`lagSlices must be a whole number ≥ 2 (got ${this.o.lagSlices})`);
  }

  /** Events from one poll of the jobs (task states and checkpoints) at wall-clock time `now`. */
  observe(jobs: readonly JobObservation[], now: number): FlinkEvent[] {
    const events: FlinkEvent[] = [];
    // jobs that are gone (finished, cancelled) leave nothing behind
    const live = new Set(jobs.map((j) => j.graph.jobId));
    for (const id of this.attempts.keys()) if (!live.has(id)) this.attempts.delete(id);
    for (const k of this.announced.keys()) if (!live.has(k.slice(0, k.indexOf('|')))) this.announced.delete(k);
    for (const j of jobs) {
      const g = j.graph;
      const prev = this.attempts.get(g.jobId);
      if (g.state !== 'RUNNING') {
        this.attempts.delete(g.jobId); // a whole-job restart: every attempt goes up, which is not a task failure
        continue;
      }
      const seen = new Map<string, number>();
      const hit: { vertex: string; index: number; machine: string; attempt: number; why: string }[] = [];
      for (const v of g.vertices) {
        for (const t of v.subtasks) {
          const k = `${v.id}#${t.index}`;
          seen.set(k, t.attempt);
          // the attempt that failed: FAILED now, or the one before a newer attempt (seen while the job kept running;
          // after a whole-job restart there is no previous poll to compare with)
          let failed: number | null = null;
          let why = '';
          if (t.status === 'FAILED') [failed, why] = [t.attempt, 'FAILED'];
          else if (prev?.has(k) && t.attempt > prev.get(k)!) {
            failed = t.attempt - 1;
            why = RUNNING_OR_DONE.has(t.status) ? `restarted (attempt ${t.attempt})` : `restarting (${t.status}, attempt ${t.attempt})`;
          }
          const key = `${g.jobId}|${k}`;
          if (failed !== null && failed > (this.announced.get(key) ?? -1)) {
            this.announced.set(key, failed);
            hit.push({ vertex: v.name, index: t.index, machine: t.machine, attempt: failed, why });
          }
        }
      }
      this.attempts.set(g.jobId, seen);
      if (hit.length) {
        const first = hit[0];
        const machines = [...new Set(hit.map((h) => h.machine).filter((m) => m !== ''))];
        const list = hit.slice(0, 5).map((h) => `${h.vertex} #${h.index} on ${h.machine || '?'}: ${h.why}`).join('; ');
        events.push({
          id: `task-failed:${g.jobId}:${first.vertex}#${first.index}@${first.attempt}`, ts: now, kind: 'task-failed', job: g.job, machines,
          detail: `${hit.length} task${hit.length > 1 ? 's' : ''} of ${g.job} failed or restarted while the job runs: ${list}${hit.length > 5 ? '; …' : ''}`,
          attrs: { jobId: g.jobId, tasks: hit.length, vertex: first.vertex, subtask: first.index, attempt: first.attempt },
        });
      }
      const stalled = this.checkpointStall(j, now);
      if (stalled) events.push(stalled);
    }
    return events;
  }

  private checkpointStall(j: JobObservation, now: number): FlinkEvent | null {
    const { intervalMs, lastCompletedId, lastCompletedAt } = j.checkpoint;
    if (intervalMs === null) return null;
    const since = Math.max(lastCompletedAt ?? -Infinity, j.runningSince);
    const missed = Math.floor((now - since) / intervalMs);
    if (missed < this.o.checkpointIntervals) return null;
    const g = j.graph;
    const machines = [...new Set(g.vertices.flatMap((v) => v.subtasks.map((t) => t.machine)).filter((m) => m !== ''))];
    const last = lastCompletedId === null ? 'none has completed since the job started' : `the last (#${lastCompletedId}) completed at ${new Date(lastCompletedAt!).toISOString()}`;
    return {
      // one event per stall: the id names the last checkpoint that did complete
      id: `checkpoint-stalled:${g.jobId}:${lastCompletedId ?? 'none'}`, ts: now, kind: 'checkpoint-stalled', job: g.job, machines,
      detail: `no checkpoint of ${g.job} completed for ${missed} intervals of ${Math.round(intervalMs / 1000)} s: ${last}`,
      attrs: { jobId: g.jobId, intervalMs, missed, lastCompletedId: lastCompletedId ?? -1 },
    };
  }

  /** Events from new Kafka lag points (per job, machine and time; summed per job and time) at wall-clock `now`. A
   *  batch must hold all of a time's points (one poll's). */
  observeLag(points: readonly LagPoint[], now: number): FlinkEvent[] {
    // a batch holds every source of a time (a re-read time replaces what was summed before, never adds to it)
    const sums = new Map<string, Map<number, number>>();
    for (const p of points) {
      if (!Number.isFinite(p.lag) || !Number.isFinite(p.ts)) continue;
      const byTs = sums.get(p.job) ?? sums.set(p.job, new Map()).get(p.job)!;
      byTs.set(p.ts, (byTs.get(p.ts) ?? 0) + p.lag);
      (this.lag.get(p.job) ?? this.lag.set(p.job, { points: new Map(), machines: new Set() }).get(p.job)!).machines.add(p.machine);
    }
    for (const [job, byTs] of sums) for (const [t, v] of byTs) this.lag.get(job)!.points.set(t, v);
    const events: FlinkEvent[] = [];
    const W = this.o.lagWindowMs;
    for (const [job, l] of this.lag) {
      for (const t of l.points.keys()) if (t < now - 2 * W) l.points.delete(t);
      const growth = this.growth([...l.points].filter(([t]) => t >= now - W).sort((a, b) => a[0] - b[0]), now);
      if (growth === null) {
        this.lagEpisode.delete(job);
        continue;
      }
      if (this.lagEpisode.has(job)) continue;
      const id = `lag-growing:${job}:${now}`;
      this.lagEpisode.set(job, id);
      events.push({
        id, ts: now, kind: 'lag-growing', job, machines: [...l.machines].sort(),
        detail: `Kafka consumer lag of ${job} grew for ${Math.round(W / 60_000)} min: ${Math.round(growth.from)} → ${Math.round(growth.to)} records`,
        attrs: { from: growth.from, to: growth.to, windowMs: W },
      });
    }
    return events;
  }

  /** The first and last slice medians when the lag rose slice after slice over the whole window, else null. */
  private growth(pts: [number, number][], now: number): { from: number; to: number } | null {
    const W = this.o.lagWindowMs;
    const K = this.o.lagSlices;
    if (pts.length < 2 * K) return null;
    const start = now - W;
    if (pts[0][0] > start + W / K) return null; // the window is not covered yet (just started, or a gap)
    const slices: number[][] = Array.from({ length: K }, () => []);
    for (const [t, v] of pts) slices[Math.min(K - 1, Math.floor(((t - start) / W) * K))].push(v);
    if (slices.some((s) => s.length === 0)) return null;
    const m = slices.map((s) => median(s));
    for (let i = 1; i < K; i++) if (!(m[i] > m[i - 1])) return null;
    return m[K - 1] - m[0] >= this.o.lagMinGrowth ? { from: m[0], to: m[K - 1] } : null;
  }
}
