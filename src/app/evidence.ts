// Evidence at an incident's onset: a flame graph of the hot vertex (the subtask the cause names, else the machine's
// busiest one in the newest job graph) and a thread dump of its TaskManager, taken from Flink while the incident is
// live and stored with it (bounded in size, with how long the capture took). Captures run in the background — a
// watch step never waits for Flink's sampling (seconds) — a few at a time, with a bounded queue; a capture that could
// not be made is stored with its reason, so the incident page can say why there is none.
import type { IncidentRecord } from '../core/incident.js';
import type { Evidence, Store } from '../store/store.js';
import { boundFlameGraph, boundThreadDump, type FlinkEvidenceSource } from '../collect/evidence.js';

export interface EvidenceOptions {
  /** Each piece of evidence is cut to at most this many bytes of JSON. Default 256 KiB. */
  maxBytes?: number;
  /** How long a flame graph may take (Flink samples on request). Default 90 s. */
  flameTimeoutMs?: number;
  /** Captures running at once. Default 2. */
  concurrency?: number;
  /** Captures waiting beyond this are not made (and say so). Default 16. */
  maxQueued?: number;
  /** An incident whose last anomalous point is older than this is not live any more: no capture (it would show the
   *  cluster now, not the incident). Default 5 min. */
  maxStaleMs?: number;
}

/** What to capture for an incident. */
interface Target {
  taskManager: string;
  vertex: { jobId: string; job: string; id: string; name: string; subtask: number } | null;
  /** Why there is no vertex to sample. */
  why?: string;
}

export class EvidenceCollector {
  private readonly queue: { inc: IncidentRecord; requestedAt: number }[] = [];
  private running = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly stop = new AbortController();
  private readonly o: Required<EvidenceOptions>;
  /** Capture latencies (ms from the incident's onset to the evidence stored), for the log and the figures. */
  readonly latencies: { incidentId: string; kind: Evidence['kind']; ms: number; ok: boolean }[] = [];

  constructor(private readonly store: Store, private readonly source: FlinkEvidenceSource, o: EvidenceOptions = {}) {
    this.o = { maxBytes: 256 * 1024, flameTimeoutMs: 90_000, concurrency: 2, maxQueued: 16, maxStaleMs: 300_000, ...o };
  }

  /** Queues the captures of these incidents; returns at once and never throws (failures are stored as such). */
  capture(incs: readonly IncidentRecord[], requestedAt = Date.now()): void {
    for (const inc of incs) {
      if (this.queue.length >= this.o.maxQueued) {
        void this.fail(inc, requestedAt, null, `not captured: ${this.o.maxQueued} captures were already waiting`);
        continue;
      }
      this.queue.push({ inc, requestedAt });
    }
    this.pump();
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  /** Ends the captures in progress (each is stored as not finished) and waits for them. */
  async close(): Promise<void> {
    this.stop.abort();
    this.queue.length = 0;
    await this.idle();
  }

  private pump(): void {
    while (this.running < this.o.concurrency && this.queue.length) {
      const job = this.queue.shift()!;
      this.running++;
      void this.one(job.inc, job.requestedAt).catch(() => {}).finally(() => {
        this.running--;
        this.pump();
        if (this.running === 0 && this.queue.length === 0) for (const w of this.waiters.splice(0)) w();
      });
    }
  }

  private async fail(inc: IncidentRecord, requestedAt: number, target: Target | null, error: string, kinds: Evidence['kind'][] = ['flamegraph', 'thread-dump']): Promise<void> {
    for (const kind of kinds) {
      await this.store.putEvidence({
        incidentId: inc.id, kind, target: kind === 'thread-dump' ? { taskmanager: target?.taskManager ?? inc.machine } : vertexTarget(target), requestedAt, capturedAt: Date.now(),
        latencyMs: null, bytes: 0, truncated: false, error, body: null,
      });
    }
  }

  private async one(inc: IncidentRecord, requestedAt: number): Promise<void> {
    if (requestedAt - inc.lastSeen > this.o.maxStaleMs) {
      return this.fail(inc, requestedAt, null, `not captured: the incident's last anomalous point is ${Math.round((requestedAt - inc.lastSeen) / 60_000)} min old — the cluster now is no evidence of it`);
    }
    const t = await this.target(inc, requestedAt);
    await Promise.all([this.flame(inc, t, requestedAt), this.dump(inc, t, requestedAt)]);
  }

  /** The hot vertex and TaskManager: the cause's busiest subtask, else the machine's busiest subtask just now. */
  private async target(inc: IncidentRecord, now: number): Promise<Target> {
    const g = inc.cause?.graph;
    if (g) return { taskManager: g.subtasks[0].machine, vertex: { jobId: g.jobId, job: g.job, id: g.vertexId, name: g.vertex, subtask: g.subtasks[0].index } };
    const snaps = await this.store.jobGraphs({ from: now - 120_000, to: now, machine: inc.machine });
    let best: Target['vertex'] = null;
    let busy = -1;
    for (const s of snaps) {
      for (const v of s.vertices) {
        for (const t of v.subtasks) {
          if (t.machine === inc.machine && Number.isFinite(t.busy) && t.busy > busy) {
            busy = t.busy;
            best = { jobId: s.jobId, job: s.job, id: v.id, name: v.name, subtask: t.index };
          }
        }
      }
    }
    return best ? { taskManager: inc.machine, vertex: best } : { taskManager: inc.machine, vertex: null, why: 'no job graph of this machine was collected (watch with --flink to collect them)' };
  }

  private async flame(inc: IncidentRecord, t: Target, requestedAt: number): Promise<void> {
    if (!t.vertex) return this.fail(inc, requestedAt, t, `no flame graph: ${t.why}`, ['flamegraph']);
    try {
      const g = await this.abortable(this.source.flameGraph(t.vertex.jobId, t.vertex.id, t.vertex.subtask, requestedAt, { timeoutMs: this.o.flameTimeoutMs, signal: this.stop.signal }));
      const b = boundFlameGraph(g.root, this.o.maxBytes);
      await this.keep(inc, 'flamegraph', vertexTarget(t), requestedAt, { sampledAt: g.endTimestamp, root: b.root }, b.bytes, b.truncated);
    } catch (e) {
      await this.fail(inc, requestedAt, t, (e as Error).message, ['flamegraph']);
    }
  }

  private async dump(inc: IncidentRecord, t: Target, requestedAt: number): Promise<void> {
    try {
      const threads = await this.abortable(this.source.threadDump(t.taskManager));
      // the hot subtask's threads first: Flink names them "<vertex> (<subtask + 1>/<parallelism>)#<attempt>"
      const b = boundThreadDump(threads, this.o.maxBytes, t.vertex ? [`${t.vertex.name} (${t.vertex.subtask + 1}/`] : []);
      await this.keep(inc, 'thread-dump', { taskmanager: t.taskManager, ...(t.vertex ? { vertex: t.vertex.name, subtask: t.vertex.subtask } : {}) }, requestedAt,
        { threads: b.threads, omitted: b.omitted }, b.bytes, b.truncated);
    } catch (e) {
      await this.fail(inc, requestedAt, t, (e as Error).message, ['thread-dump']);
    }
  }

  private async keep(inc: IncidentRecord, kind: Evidence['kind'], target: Evidence['target'], requestedAt: number, body: unknown, bytes: number, truncated: boolean): Promise<void> {
    const capturedAt = Date.now();
    await this.store.putEvidence({ incidentId: inc.id, kind, target, requestedAt, capturedAt, latencyMs: capturedAt - inc.onset, bytes, truncated, error: null, body });
    this.latencies.push({ incidentId: inc.id, kind, ms: capturedAt - inc.onset, ok: true });
  }

  /** The promise, or a rejection as soon as the collector is closed. */
  private abortable<T>(p: Promise<T>): Promise<T> {
    const signal = this.stop.signal;
    if (signal.aborted) return Promise.reject(new Error('not captured: the watch stopped first'));
    return new Promise<T>((res, rej) => {
      const onAbort = (): void => rej(new Error('not finished: the watch stopped during the capture'));
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(res, rej).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }
}

function vertexTarget(t: Target | null): Evidence['target'] {
  return t?.vertex ? { job: t.vertex.job, jobId: t.vertex.jobId, vertex: t.vertex.name, vertexId: t.vertex.id, subtask: t.vertex.subtask, taskmanager: t.taskManager } : { taskmanager: t?.taskManager ?? '' };
}
