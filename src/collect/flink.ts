// Flink REST source: TaskManagers and their JVM metrics, running jobs, their vertices and per-subtask task metrics
// (vertex metric ids `<subtask>.<metric>`), mapped to the TaskManager each subtask runs on
// (`/jobs/<jid>/vertices/<vid>` → subtasks[].taskmanager-id) and aggregated per machine as the catalogue says — and,
// for explanations, also per (machine, job, operator): those samples carry `job` and `operator`.
import { CATALOGUE, combine } from './catalogue.js';
import type { Sample } from '../core/sample.js';
import { getJson, type HttpOptions } from './http.js';

interface Metric { id: string; value: string }
interface TmList { taskmanagers: { id: string; path?: string; slotsNumber?: number }[] }
interface JobsOverview { jobs: { jid: string; name: string; state: string }[] }
interface JobDetail { vertices: { id: string; name: string; parallelism: number }[] }
interface VertexDetail { subtasks: { subtask: number; 'taskmanager-id'?: string; host?: string }[] }

export interface FlinkPoll {
  samples: Sample[];
  /** machine → names of the jobs with a subtask on it. */
  jobsOn: Record<string, string[]>;
  errors: string[];
}

export class FlinkRestSource {
  constructor(readonly base: string, readonly o: HttpOptions = {}) {}

  private get<T>(path: string): Promise<T> {
    return getJson<T>(`${this.base.replace(/\/$/, '')}${path}`, this.o);
  }

  async poll(now = Date.now()): Promise<FlinkPoll> {
    const samples: Sample[] = [];
    const errors: string[] = [];
    const jobsOn: Record<string, string[]> = {};
    const tmRows = CATALOGUE.filter((m) => m.rest?.scope === 'tm');
    const tms = (await this.get<TmList>('/taskmanagers')).taskmanagers;
    for (const tm of tms) {
      const got = await this.get<Metric[]>(`/taskmanagers/${encodeURIComponent(tm.id)}/metrics?get=${tmRows.map((m) => m.rest!.id).join(',')}`);
      for (const row of tmRows) {
        const v = Number(got.find((g) => g.id === row.rest!.id)?.value);
        if (Number.isFinite(v)) samples.push({ ts: now, machine: tm.id, metric: row.name, value: v });
      }
      jobsOn[tm.id] = [];
    }
    const taskRows = CATALOGUE.filter((m) => m.rest?.scope === 'task');
    const perTm = new Map<string, number[]>(); // key machine|metric
    const perJob = new Map<string, { machine: string; job: string; operator: string; metric: string; agg: typeof taskRows[number]['agg']; vals: number[] }>();
    const jobs = (await this.get<JobsOverview>('/jobs/overview')).jobs.filter((j) => j.state === 'RUNNING');
    for (const job of jobs) {
      try {
        const detail = await this.get<JobDetail>(`/jobs/${job.jid}`);
        for (const v of detail.vertices) {
          const subtasks = (await this.get<VertexDetail>(`/jobs/${job.jid}/vertices/${v.id}`)).subtasks;
          const ids = subtasks.flatMap((s) => taskRows.map((r) => `${s.subtask}.${r.rest!.id}`));
          const got = await this.get<Metric[]>(`/jobs/${job.jid}/vertices/${v.id}/metrics?get=${ids.map(encodeURIComponent).join(',')}`);
          const fetched = Date.now();
          for (const s of subtasks) {
            const machine = s['taskmanager-id'] ?? s.host ?? 'unknown';
            if (!(jobsOn[machine] ??= []).includes(job.name)) jobsOn[machine].push(job.name);
            for (const r of taskRows) {
              const raw = Number(got.find((g) => g.id === `${s.subtask}.${r.rest!.id}`)?.value);
              const val = r.lag ? (raw > 0 ? fetched - raw : NaN) : raw; // a watermark before the first one is Long.MIN_VALUE
              if (!Number.isFinite(val)) continue;
              const key = `${machine}|${r.name}`;
              (perTm.get(key) ?? perTm.set(key, []).get(key)!).push(val);
              const jk = `${machine}\u0000${job.name}\u0000${v.name}\u0000${r.name}`;
              (perJob.get(jk) ?? perJob.set(jk, { machine, job: job.name, operator: v.name, metric: r.name, agg: r.agg, vals: [] }).get(jk)!).vals.push(val);
            }
          }
        }
      } catch (e) {
        errors.push(`job ${job.name}: ${(e as Error).message}`); // a job that vanished mid-poll does not stop the poll
      }
    }
    for (const [key, vals] of perTm) {
      const [machine, metric] = key.split('|');
      const row = taskRows.find((r) => r.name === metric)!;
      samples.push({ ts: now, machine, metric, value: combine(row.agg, vals) });
    }
    for (const u of perJob.values()) samples.push({ ts: now, machine: u.machine, metric: u.metric, value: combine(u.agg, u.vals), job: u.job, operator: u.operator });
    return { samples, jobsOn, errors };
  }
}
