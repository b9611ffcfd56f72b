// Flink REST source: TaskManagers and their JVM metrics, running jobs, their vertices and per-subtask task metrics
// (vertex metric ids `<subtask>.<metric>`), mapped to the TaskManager each subtask runs on
// (`/jobs/<jid>/vertices/<vid>` → subtasks[].taskmanager-id) and aggregated per machine as the catalogue says — and,
// for explanations, also per (machine, job, operator): those samples carry `job` and `operator`.
// Strict at the edge: every answer's shape is checked (an error names the URL), values go through parseMetricValue
// (a value that is not a number is a gap, counted, never 0), and one failing TaskManager or job is an error entry
// of the poll while the others' samples still arrive. Only an unreadable TaskManager list fails the whole poll.
import { CATALOGUE, combine } from './catalogue.js';
import { parseMetricValue } from '../core/value.js';
import { CounterRates } from '../core/counter.js';
import type { Sample } from '../core/sample.js';
import { getJson, shape, obj, list, str, num, any, optional, type HttpOptions, type ShapeCheck } from './http.js';
import type { PollResult } from './poller.js';

interface Metric { id: string; value?: unknown }
interface TmList { taskmanagers: { id: string }[] }
interface JobsOverview { jobs: { jid: string; name: string; state: string }[] }
interface JobDetail { vertices: { id: string; name: string }[] }
interface VertexDetail { subtasks: { subtask: number; 'taskmanager-id'?: string; host?: string }[] }

const METRICS = shape(list(obj({ id: str, value: any })));
const TMS = shape(obj({ taskmanagers: list(obj({ id: str })) }));
const JOBS = shape(obj({ jobs: list(obj({ jid: str, name: str, state: str })) }));
const JOB = shape(obj({ vertices: list(obj({ id: str, name: str })) }));
const VERTEX = shape(obj({ subtasks: list(obj({ subtask: num, 'taskmanager-id': optional(str), host: optional(str) })) }));

export interface FlinkPoll extends PollResult {
  /** machine → names of the jobs with a subtask on it. */
  jobsOn: Record<string, string[]>;
}

export class FlinkRestSource {
  /** Counters (catalogue `counter`) are reported as their rate over the last minute of this source's polls. */
  readonly rates = new CounterRates();
  constructor(readonly base: string, readonly o: HttpOptions = {}) {}

  private get<T>(path: string, check: ShapeCheck): Promise<T> {
    return getJson<T>(`${this.base.replace(/\/$/, '')}${path}`, this.o, check);
  }

  async poll(now = Date.now()): Promise<FlinkPoll> {
    const samples: Sample[] = [];
    const errors: string[] = [];
    let gaps = 0;
    /** The metric's value, or null (counted as a gap) when Flink reported something that is not a number. */
    const value = (got: Metric[], id: string): number | null => {
      const m = got.find((g) => g.id === id);
      if (!m) return null; // not reported (e.g. no Kafka source on this operator): absent, not a gap
      const v = parseMetricValue(m.value);
      if (v === null) gaps++;
      return v;
    };
    const jobsOn: Record<string, string[]> = {};
    const tmRows = CATALOGUE.filter((m) => m.rest?.scope === 'tm');
    const tms = (await this.get<TmList>('/taskmanagers', TMS)).taskmanagers;
    for (const tm of tms) {
      jobsOn[tm.id] = [];
      try {
        const got = await this.get<Metric[]>(`/taskmanagers/${encodeURIComponent(tm.id)}/metrics?get=${tmRows.map((m) => m.rest!.id).join(',')}`, METRICS);
        for (const row of tmRows) {
          const v = value(got, row.rest!.id);
          if (v === null) continue;
          const x = row.counter ? this.rates.push(`${tm.id}|${row.name}`, now, v) : v;
          if (!(row.counter && Number.isNaN(x))) samples.push({ ts: now, machine: tm.id, metric: row.name, value: x }); // a counter's first poll has no rate yet
        }
      } catch (e) {
        errors.push(`taskmanager ${tm.id}: ${(e as Error).message}`); // one TaskManager going away does not stop the poll
      }
    }
    // a TaskManager that left the list (lost, replaced: a new id) has no rate to continue
    const listed = new Set(tms.map((tm) => tm.id));
    this.rates.retain((key) => listed.has(key.slice(0, key.lastIndexOf('|'))));
    const taskRows = CATALOGUE.filter((m) => m.rest?.scope === 'task');
    const perTm = new Map<string, number[]>(); // key machine|metric
    const perJob = new Map<string, { machine: string; job: string; operator: string; metric: string; agg: typeof taskRows[number]['agg']; vals: number[] }>();
    let jobs: JobsOverview['jobs'] = [];
    try {
      jobs = (await this.get<JobsOverview>('/jobs/overview', JOBS)).jobs.filter((j) => j.state === 'RUNNING');
    } catch (e) {
      errors.push(`jobs: ${(e as Error).message}`);
    }
    for (const job of jobs) {
      try {
        const detail = await this.get<JobDetail>(`/jobs/${encodeURIComponent(job.jid)}`, JOB);
        for (const v of detail.vertices) {
          const subtasks = (await this.get<VertexDetail>(`/jobs/${encodeURIComponent(job.jid)}/vertices/${encodeURIComponent(v.id)}`, VERTEX)).subtasks;
          const ids = subtasks.flatMap((s) => taskRows.map((r) => `${s.subtask}.${r.rest!.id}`));
          const got = await this.get<Metric[]>(`/jobs/${encodeURIComponent(job.jid)}/vertices/${encodeURIComponent(v.id)}/metrics?get=${ids.map(encodeURIComponent).join(',')}`, METRICS);
          const fetched = Date.now();
          for (const s of subtasks) {
            const machine = s['taskmanager-id'] ?? s.host ?? 'unknown';
            if (!(jobsOn[machine] ??= []).includes(job.name)) jobsOn[machine].push(job.name);
            for (const r of taskRows) {
              const raw = value(got, `${s.subtask}.${r.rest!.id}`);
              if (raw === null) continue;
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
    return { samples, jobsOn, errors, gaps };
  }
}
