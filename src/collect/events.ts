// Flink events from the REST API, by comparing each poll with the previous one (the first poll is the baseline):
//   deploy             a job id appeared
//   job-state          a job changed state (RUNNING → RESTARTING → RUNNING …); ts = Flink's last-modification
//   restart            the job entered RESTARTING again (Flink's timestamps.RESTARTING moved); machines = the
//                      TaskManagers named by the new entries of the exception history. (The numRestarts metric is not
//                      used: over REST it stays at its old value after a TaskManager loss in Flink 1.20.)
//   failover           a TaskManager vanished from /taskmanagers (its jobs restart elsewhere)
//   checkpoint-failed  a job's failed-checkpoint count went up
//   rescale            a vertex's parallelism changed
// Event ids are built from Flink's own facts (job id + state + Flink's timestamp, restart count, …), so polling the
// same history twice yields the same ids. A job that vanishes mid-poll is an error string, not a stopped poll.
import type { FlinkEvent } from '../core/event.js';
import { getJson, type HttpOptions } from './http.js';

interface Overview { jobs: { jid: string; name: string; state: string; 'last-modification': number }[] }
interface TmList { taskmanagers: { id: string; timeSinceLastHeartbeat?: number }[] }
interface Exceptions { exceptionHistory?: { entries: { timestamp: number; exceptionName?: string; taskName?: string; taskManagerId?: string | null }[] } }
interface Checkpoints { counts?: { failed?: number } }
interface JobDetail { vertices: { id: string; name: string; parallelism: number }[]; timestamps?: Record<string, number> }

interface JobState {
  name: string;
  state: string;
  /** Flink's timestamps.RESTARTING at the last poll (0: never), and restarts seen so far. */
  restartedAt: number;
  restarts: number;
  failedCheckpoints: number;
  parallelism: Map<string, number>;
  /** Exceptions up to this timestamp were seen. */
  seenExceptions: number;
}

const TERMINAL = new Set(['FINISHED', 'CANCELED', 'FAILED']);

export interface EventPoll {
  events: FlinkEvent[];
  errors: string[];
}

export class FlinkEventSource {
  private jobs = new Map<string, JobState>();
  private tms: Map<string, number> | null = null;
  /** Job name → TaskManagers its subtasks ran on at the last poll (for failover events); set by the caller. */
  jobsOn: Record<string, string[]> = {};

  constructor(readonly base: string, readonly o: HttpOptions = {}) {}

  private get<T>(path: string): Promise<T> {
    return getJson<T>(`${this.base.replace(/\/$/, '')}${path}`, this.o);
  }

  async poll(now = Date.now()): Promise<EventPoll> {
    const events: FlinkEvent[] = [];
    const errors: string[] = [];
    const first = this.tms === null;
    const tms = new Map((await this.get<TmList>('/taskmanagers')).taskmanagers.map((t) => [t.id, t.timeSinceLastHeartbeat ?? 0] as const));
    for (const [id, heartbeat] of this.tms ?? []) {
      if (tms.has(id)) continue;
      const jobs = Object.entries(this.jobsOn).filter(([, ms]) => ms.includes(id)).map(([j]) => j);
      events.push({ id: `tm-lost:${id}:${heartbeat}`, ts: now, kind: 'failover', machines: [id], detail: `TaskManager ${id} lost${jobs.length ? `; its jobs (${jobs.join(', ')}) restart elsewhere` : ''}`, attrs: { lastHeartbeat: heartbeat } });
    }
    this.tms = tms;
    for (const j of (await this.get<Overview>('/jobs/overview')).jobs) {
      const prev = this.jobs.get(j.jid);
      const cur: JobState = prev ?? { name: j.name, state: j.state, restartedAt: 0, restarts: 0, failedCheckpoints: 0, parallelism: new Map(), seenExceptions: first ? now : 0 };
      if (!prev) {
        this.jobs.set(j.jid, cur);
        if (!first) events.push({ id: `${j.jid}:deploy`, ts: now, kind: 'deploy', job: j.name, machines: [], detail: `job ${j.name} (${j.jid}) appeared in state ${j.state}`, attrs: { jobId: j.jid, state: j.state } });
      } else if (prev.state !== j.state) {
        events.push({ id: `${j.jid}:${j.state}:${j['last-modification']}`, ts: j['last-modification'] || now, kind: 'job-state', job: j.name, machines: [], detail: `job ${j.name}: ${prev.state} → ${j.state}`, attrs: { jobId: j.jid, from: prev.state, to: j.state } });
      }
      cur.state = j.state;
      if (TERMINAL.has(j.state)) continue;
      try {
        await this.jobFacts(j.jid, cur, first && !prev, now, events);
      } catch (e) {
        errors.push(`job ${j.name}: ${(e as Error).message}`);
      }
    }
    return { events, errors };
  }

  /** Restarts (with the machines the exception history names), failed checkpoints and parallelism of one job. */
  private async jobFacts(jid: string, s: JobState, baseline: boolean, now: number, events: FlinkEvent[]): Promise<void> {
    const d = await this.get<JobDetail>(`/jobs/${jid}`);
    const restartedAt = d.timestamps?.RESTARTING ?? 0;
    if (restartedAt > s.restartedAt && !baseline) {
      const ex = await this.get<Exceptions>(`/jobs/${jid}/exceptions?maxExceptions=20`);
      const fresh = (ex.exceptionHistory?.entries ?? []).filter((e) => e.timestamp > s.seenExceptions);
      const machines = [...new Set(fresh.map((e) => e.taskManagerId).filter((x): x is string => !!x))].sort();
      const cause = fresh.sort((a, b) => a.timestamp - b.timestamp)[0];
      s.restarts++;
      events.push({
        id: `${jid}:restart:${restartedAt}`, ts: restartedAt, kind: 'restart', job: s.name, machines,
        detail: `job ${s.name} restarted${cause?.exceptionName ? ` after ${cause.exceptionName}${cause.taskName ? ` in ${cause.taskName}` : ''}` : ''}${machines.length ? ` (on ${machines.join(', ')})` : ''}`,
        attrs: { jobId: jid, restartsSeen: s.restarts, failures: fresh.length },
      });
      s.seenExceptions = Math.max(s.seenExceptions, ...fresh.map((e) => e.timestamp));
    }
    s.restartedAt = restartedAt;
    const failed = (await this.get<Checkpoints>(`/jobs/${jid}/checkpoints`)).counts?.failed ?? 0;
    if (failed > s.failedCheckpoints && !baseline) {
      events.push({ id: `${jid}:checkpoint-failed:${failed}`, ts: now, kind: 'checkpoint-failed', job: s.name, machines: [], detail: `job ${s.name}: a checkpoint failed (${failed} so far)`, attrs: { jobId: jid, failedCheckpoints: failed } });
    }
    s.failedCheckpoints = failed;
    for (const v of d.vertices) {
      const was = s.parallelism.get(v.id);
      if (was !== undefined && was !== v.parallelism) {
        events.push({ id: `${jid}:rescale:${v.id}:${v.parallelism}:${now}`, ts: now, kind: 'rescale', job: s.name, machines: [], detail: `job ${s.name}: ${v.name} parallelism ${was} → ${v.parallelism}`, attrs: { jobId: jid, vertex: v.name, from: was, to: v.parallelism } });
      }
      s.parallelism.set(v.id, v.parallelism);
    }
  }
}
