// The job graphs of a Flink cluster from its REST API, one snapshot per running job and poll: the plan's edges
// (`/jobs/:id/plan`, read once per job id), each vertex's subtasks with where they run, their state and attempt
// (`/jobs/:id/vertices/:vid`), their busy and back-pressured shares of time (`/jobs/:id/vertices/:vid/backpressure`,
// which answers {"status":"deprecated"} until Flink has fetched the metrics once: those shares are NaN until the next
// poll), and the checkpoint state the job-state checks need. Strict like the metric collector: every answer's shape is
// checked, an error names the URL, one failing job is an error entry while the other jobs' snapshots still arrive.
import { getJson, SourceError, shape, obj, list, str, num, any, optional, type HttpOptions, type ShapeCheck } from './http.js';
import type { JobGraphSnapshot, JobObservation, SubtaskState, VertexState } from '../core/jobgraph.js';
import { parseMetricValue } from '../core/value.js';

interface JobsOverview { jobs: { jid: string; name: string; state: string }[] }
interface JobDetail { jid: string; name: string; state: string; 'start-time': number; timestamps?: Record<string, number>; vertices: { id: string; name: string; parallelism: number }[] }
interface Plan { plan: { nodes: { id: string; inputs?: { id: string; ship_strategy?: string }[] }[] } }
interface VertexDetail { subtasks: { subtask: number; status?: string; attempt?: number; 'taskmanager-id'?: string; host?: string }[] }
interface BackPressure { status: string; subtasks?: { subtask: number; ratio?: unknown; busyRatio?: unknown }[] }
interface CheckpointConfig { mode?: string; interval?: number }
interface Checkpoints { latest?: { completed?: { id: number; latest_ack_timestamp: number } | null } }

const JOBS = shape(obj({ jobs: list(obj({ jid: str, name: str, state: str })) }));
const JOB = shape(obj({ jid: str, name: str, state: str, 'start-time': num, vertices: list(obj({ id: str, name: str, parallelism: num })) }));
const PLAN = shape(obj({ plan: obj({ nodes: list(obj({ id: str, inputs: optional(list(obj({ id: str, ship_strategy: optional(str) }))) })) }) }));
const VERTEX = shape(obj({ subtasks: list(obj({ subtask: num, status: optional(str), attempt: optional(num), 'taskmanager-id': optional(str), host: optional(str) })) }));
// shares are numbers, or the string "NaN" (a legacy source reports no busy time): parsed by parseMetricValue
const BACKPRESSURE = shape(obj({ status: str, subtasks: optional(list(obj({ subtask: num, ratio: any, busyRatio: any }))) }));
const CKPT_CONFIG = shape(obj({ interval: optional(num), mode: optional(any) }));
const CKPTS = shape(obj({ latest: optional(any) }));

/** Flink's "checkpointing disabled" interval (Long.MAX_VALUE) and anything not a positive number mean off. */
const intervalOf = (c: CheckpointConfig): number | null => (typeof c.interval === 'number' && c.interval > 0 && c.interval < 9e15 ? c.interval : null);

export interface GraphPoll {
  jobs: JobObservation[];
  errors: string[];
}

export class FlinkGraphSource {
  /** Plan edges per job id: a job's plan does not change while it keeps its id. */
  private readonly plans = new Map<string, JobGraphSnapshot['edges']>();
  private readonly intervals = new Map<string, number | null>();

  constructor(readonly base: string, readonly o: HttpOptions = {}) {}

  private get<T>(path: string, check: ShapeCheck): Promise<T> {
    return getJson<T>(`${this.base.replace(/\/$/, '')}${path}`, this.o, check);
  }

  /** Snapshots of the running jobs (and of jobs restarting: their tasks' states are what the checks look at). */
  async poll(now = Date.now()): Promise<GraphPoll> {
    const errors: string[] = [];
    const jobs: JobObservation[] = [];
    const overview = (await this.get<JobsOverview>('/jobs/overview', JOBS)).jobs.filter((j) => j.state === 'RUNNING' || j.state === 'RESTARTING' || j.state === 'FAILING');
    for (const j of overview) {
      try {
        jobs.push(await this.job(j.jid, now));
      } catch (e) {
        errors.push(`job graph of ${j.name}: ${(e as Error).message}`); // a job that vanished mid-poll does not stop the poll
      }
    }
    const live = new Set(overview.map((j) => j.jid));
    for (const id of this.plans.keys()) if (!live.has(id)) { this.plans.delete(id); this.intervals.delete(id); }
    return { jobs, errors };
  }

  private async job(jid: string, now: number): Promise<JobObservation> {
    const id = encodeURIComponent(jid);
    const d = await this.get<JobDetail>(`/jobs/${id}`, JOB);
    let edges = this.plans.get(jid);
    if (!edges) {
      const plan = await this.get<Plan>(`/jobs/${id}/plan`, PLAN);
      edges = plan.plan.nodes.flatMap((n) => (n.inputs ?? []).map((i) => ({ from: i.id, to: n.id, ship: i.ship_strategy ?? '' })));
      this.plans.set(jid, edges);
    }
    const vertices: VertexState[] = [];
    for (const v of d.vertices) {
      const vid = encodeURIComponent(v.id);
      const subs = (await this.get<VertexDetail>(`/jobs/${id}/vertices/${vid}`, VERTEX)).subtasks;
      const bp = await this.get<BackPressure>(`/jobs/${id}/vertices/${vid}/backpressure`, BACKPRESSURE);
      const shares = new Map((bp.status === 'ok' ? bp.subtasks ?? [] : []).map((s) => [s.subtask, s]));
      const subtasks: SubtaskState[] = subs.map((s) => ({
        index: s.subtask, machine: s['taskmanager-id'] ?? s.host ?? '', status: s.status ?? 'UNKNOWN', attempt: s.attempt ?? 0,
        backpressure: parseMetricValue(shares.get(s.subtask)?.ratio) ?? NaN, busy: parseMetricValue(shares.get(s.subtask)?.busyRatio) ?? NaN,
      })).sort((a, b) => a.index - b.index);
      vertices.push({ id: v.id, name: v.name, parallelism: v.parallelism, subtasks });
    }
    if (!this.intervals.has(jid)) {
      // Flink answers 404 "Checkpointing is not enabled for this job"; any other failure is an error of the poll
      const cfg = await this.get<CheckpointConfig>(`/jobs/${id}/checkpoints/config`, CKPT_CONFIG)
        .catch((e: unknown) => { if (e instanceof SourceError && e.status === 404) return {}; throw e; });
      this.intervals.set(jid, intervalOf(cfg));
    }
    const intervalMs = this.intervals.get(jid) ?? null;
    let lastCompletedId: number | null = null;
    let lastCompletedAt: number | null = null;
    if (intervalMs !== null) {
      const c = await this.get<Checkpoints>(`/jobs/${id}/checkpoints`, CKPTS);
      const done = c.latest?.completed;
      if (done && typeof done.id === 'number' && typeof done.latest_ack_timestamp === 'number') {
        lastCompletedId = done.id;
        lastCompletedAt = done.latest_ack_timestamp;
      }
    }
    return {
      graph: { jobId: jid, job: d.name, ts: now, state: d.state, vertices, edges },
      runningSince: d.timestamps?.RUNNING && d.timestamps.RUNNING > 0 ? d.timestamps.RUNNING : d['start-time'],
      checkpoint: { intervalMs, lastCompletedId, lastCompletedAt },
    };
  }
}
