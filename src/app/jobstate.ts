// The job graphs and job-state checks of a watched Flink cluster, once per tick: a poll of the graphs
// (src/collect/jobgraph.ts) stored for the root-cause walk (src/app/enrich.ts), and the checks' events
// (src/inspect/checks.ts: task failures, stalled checkpoints, growing Kafka lag) stored beside the other Flink events,
// where incidents, the API and the dashboard find them. A failing poll is reported, never fatal.
import type { FlinkEvent } from '../core/event.js';
import type { Store } from '../store/store.js';
import type { FlinkGraphSource } from '../collect/jobgraph.js';
import { JobStateChecks, type CheckOptions, type LagPoint } from '../inspect/checks.js';

export interface JobStateTick {
  /** Job graphs stored. */
  graphs: number;
  /** New events (stored for the first time). */
  events: FlinkEvent[];
  errors: string[];
}

export class JobStateWatcher {
  readonly checks: JobStateChecks;

  /** Without a graph source (a Prometheus source: no REST API) only the lag check runs. */
  constructor(private readonly store: Store, private readonly source: FlinkGraphSource | null, o: CheckOptions = {}) {
    this.checks = new JobStateChecks(o);
  }

  /** Polls the graphs at wall-clock `now`, runs the checks over them and the new Kafka lag points, stores both. */
  async tick(lag: readonly LagPoint[], now = Date.now()): Promise<JobStateTick> {
    const errors: string[] = [];
    let jobs: Awaited<ReturnType<FlinkGraphSource['poll']>>['jobs'] | null = null;
    if (this.source) {
      try {
        const p = await this.source.poll(now);
        jobs = p.jobs;
        errors.push(...p.errors);
      } catch (e) {
        errors.push(`job graphs: ${(e as Error).message}`);
      }
    }
    const graphs = jobs ? await this.store.insertJobGraphs(jobs.map((j) => j.graph)) : 0;
    // without a poll there is nothing to say about tasks or checkpoints (no news is not "all failed")
    const candidates = [...(jobs ? this.checks.observe(jobs, now) : []), ...this.checks.observeLag(lag, now)];
    const fresh: FlinkEvent[] = [];
    for (const e of candidates) if (await this.store.insertEvents([e])) fresh.push(e);
    return { graphs, events: fresh, errors };
  }
}
