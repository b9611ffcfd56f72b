// Flink REST source: TaskManagers and their JVM metrics, running jobs, their vertices and per-subtask task metrics
// (vertex metric ids `<subtask>.<metric>`), mapped to the TaskManager each subtask runs on
// (`/jobs/<jid>/vertices/<vid>` → subtasks[].taskmanager-id) and aggregated per machine as the catalogue says — and,
// for explanations, also per (machine, job, operator): those samples carry `job` and `operator`.
// Strict at the edge: every answer's shape is checked (an error names the URL), values go through parseMetricValue
// (a value that is not a number is a gap, counted, never 0), and one failing TaskManager or job is an error entry
// of the poll while the others' samples still arrive. Only an unreadable TaskManager list fails the whole poll.
// Stale answers are left out: when every value a TaskManager was served (its own and its subtasks') is the one first
// served STALE_REFRESHES metric-cache refreshes ago, the JobManager's metric cache has stopped refreshing
// (src/core/stale.ts) and that TaskManager's samples of the poll are dropped and named in `stale`.
import { CATALOGUE, SERVED_AS_CACHED, combine } from '../core/catalogue.js';
import { STALE_REFRESHES, StaleGuard } from '../core/stale.js';
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
const CONFIG = shape(list(obj({ key: str, value: str })));
const VERTEX = shape(obj({ subtasks: list(obj({ subtask: num, 'taskmanager-id': optional(str), host: optional(str) })) }));

export interface FlinkPoll extends PollResult {
  /** machine → names of the jobs with a subtask on it. */
  jobsOn: Record<string, string[]>;
  /** TaskManagers whose values were stale this poll (samples left out), with when those values were first served. */
  stale: { machine: string; servedSince: number }[];
}

/** Flink's default metrics.fetcher.update-interval, ms (used when the cluster's configuration cannot be read). */
const FLINK_FETCHER_MS = 10_000;

export class FlinkRestSource {
  /** Counters (catalogue `counter`) are reported as their rate over the last minute of this source's polls. */
  readonly rates = new CounterRates();
  private guard: StaleGuard | null;
  /** `staleAfterMs`: how long a TaskManager's values may stay unchanged before they count as stale (default: 3 ×
   *  the cluster's metrics.fetcher.update-interval, read from /jobmanager/config at the first poll). */
  constructor(readonly base: string, readonly o: HttpOptions = {}, staleAfterMs?: number) {
    this.guard = staleAfterMs === undefined ? null : new StaleGuard(staleAfterMs);
  }

  /** Since when `machine` has been served its current values (undefined before the stale check's first poll): a stale
   *  stretch ends when this moves (src/core/stale.ts StaleEvents). */
  servedSince(machine: string): number | undefined {
    return this.guard?.servedSince(machine);
  }

  /** The cache's refresh interval as the cluster is configured (Flink's default when it does not say or cannot be read). */
  private async fetcherMs(): Promise<number> {
    try {
      const conf = await this.get<{ key: string; value: string }[]>('/jobmanager/config', CONFIG);
      const v = conf.find((e) => e.key === 'metrics.fetcher.update-interval')?.value;
      const ms = v === undefined ? NaN : Number(v);
      return Number.isFinite(ms) && ms > 0 ? ms : FLINK_FETCHER_MS;
    } catch {
      return FLINK_FETCHER_MS;
    }
  }

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
    this.guard ??= new StaleGuard(STALE_REFRESHES * (await this.fetcherMs()));
    /** What each machine was served this poll, in a fixed order (the stale check's fingerprint). */
    const served = new Map<string, number[]>();
    const running = new Set<string>(); // machines served a subtask value: only those are judged (StaleGuard.stale)
    const serve = (machine: string, metric: string, v: number, task = false): void => {
      if (!SERVED_AS_CACHED.includes(metric)) return;
      (served.get(machine) ?? served.set(machine, []).get(machine)!).push(v);
      if (task && Number.isFinite(v)) running.add(machine);
    };
    const tmRows = CATALOGUE.filter((m) => m.rest?.scope === 'tm');
    const tms = (await this.get<TmList>('/taskmanagers', TMS)).taskmanagers;
    const tmValues: { machine: string; row: typeof tmRows[number]; v: number }[] = [];
    for (const tm of tms) {
      jobsOn[tm.id] = [];
      try {
        const got = await this.get<Metric[]>(`/taskmanagers/${encodeURIComponent(tm.id)}/metrics?get=${tmRows.map((m) => m.rest!.id).join(',')}`, METRICS);
        for (const row of tmRows) {
          const v = value(got, row.rest!.id);
          if (v === null) continue;
          tmValues.push({ machine: tm.id, row, v });
          serve(tm.id, row.name, v);
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
              serve(machine, r.name, raw, true);
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
    const stale: FlinkPoll['stale'] = [];
    for (const [machine, fp] of served) if (this.guard.stale(machine, now, fp, running.has(machine))) stale.push({ machine, servedSince: this.guard.servedSince(machine)! });
    const staleNow = new Set(stale.map((s) => s.machine));
    const fresh = (m: string): boolean => !staleNow.has(m);
    for (const { machine, row, v } of tmValues) {
      if (!fresh(machine)) continue; // a stale count is no count: the rate resumes across the gap
      const x = row.counter ? this.rates.push(`${machine}|${row.name}`, now, v) : v;
      if (!(row.counter && Number.isNaN(x))) samples.push({ ts: now, machine, metric: row.name, value: x }); // a counter's first poll has no rate yet
    }
    for (const [key, vals] of perTm) {
      const [machine, metric] = key.split('|');
      if (!fresh(machine)) continue;
      const row = taskRows.find((r) => r.name === metric)!;
      samples.push({ ts: now, machine, metric, value: combine(row.agg, vals) });
    }
    for (const u of perJob.values()) if (fresh(u.machine)) samples.push({ ts: now, machine: u.machine, metric: u.metric, value: combine(u.agg, u.vals), job: u.job, operator: u.operator });
    return { samples, jobsOn, errors, gaps, stale };
  }
}
