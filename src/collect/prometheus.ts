// Prometheus HTTP API source: /api/v1/query_range per catalogue metric, steps aligned to the step size, long ranges
// cut into chunks of at most 11 000 points (Prometheus' limit), series mapped to machines by a label (tm_id); task
// metrics also per (machine, job_name, task_name) → samples carrying job and operator.
// Each query is isolated: one that fails (bad PromQL, a timeout, an unexpected answer) is an error entry naming the
// metric and URL, and the other metrics' samples still arrive. Values go through parseMetricValue ("NaN" → a gap,
// counted); a series without the machine label is an error, never a made-up machine.
import { CATALOGUE } from '../core/catalogue.js';
import type { Sample } from '../core/sample.js';
import { getAnswer, SourceError, type HttpOptions } from './http.js';
import { LabelCache, readMatrix } from './matrix.js';
import type { PollResult } from './poller.js';

export interface PromOptions extends HttpOptions {
  stepMs?: number;
  /** Label naming the machine. */
  machineLabel?: string;
  /** Metric name → PromQL, overriding the catalogue's templates. */
  queries?: Record<string, string>;
  /** Also read task metrics per (machine, job, operator) — for "which jobs moved most". Default true. */
  perJob?: boolean;
  /** Query the catalogue's metrics (besides `queries`). Default true. */
  catalogue?: boolean;
}

/**
 * A Flink job or task name as the Flink Prometheus reporter exports it in a label: every character outside
 * [A-Za-z0-9_:] becomes '_' ("my-job" → "my_job", "a -> b" → "a____b"). Per-job samples read from Prometheus carry
 * these names; the REST source carries Flink's own. Not reversible, so the two are matched through this function.
 */
export function prometheusLabel(name: string): string {
  return name.replace(/[^A-Za-z0-9_:]/g, '_');
}

/** The per-(machine, job, operator) variant of a task metric's machine-level query, or null. */
export function perJobQuery(q: string): string | null {
  return /by \(tm_id\)/.test(q) && /_job_task_/.test(q) ? q.replace(/by \(tm_id\)/, 'by (tm_id, job_name, task_name)') : null;
}

export class PrometheusSource {
  /** Per query: the label sets of its last answer (read, never changed: see LabelCache). */
  private readonly labels = new Map<string, LabelCache>();

  constructor(readonly base: string, readonly o: PromOptions = {}) {}

  /** Samples of every catalogue metric in [fromMs, toMs]; failing queries are errors of the result, not exceptions. */
  async range(fromMs: number, toMs: number): Promise<PollResult> {
    const step = this.o.stepMs ?? 10_000;
    const start = Math.ceil(fromMs / step) * step;
    const label = this.o.machineLabel ?? 'tm_id';
    const samples: Sample[] = [];
    const errors: string[] = [];
    let gaps = 0;
    const names = new Map<string, string>(); // label value → machine name, once per poll, not once per value
    const queries = { ...(this.o.catalogue === false ? {} : Object.fromEntries(CATALOGUE.map((m) => [m.name, m.prom]))), ...(this.o.queries ?? {}) };
    const plan: [string, string, boolean][] = Object.entries(queries).map(([m, q]) => [m, q, false]);
    if ((this.o.perJob ?? true) && this.o.catalogue !== false) {
      for (const m of CATALOGUE) {
        const jq = this.o.queries?.[m.name] || m.rest?.scope !== 'task' ? null : perJobQuery(m.prom);
        if (jq) plan.push([m.name, jq, true]);
      }
    }
    for (const [metric, q, perJob] of plan) {
      let unlabelled = 0;
      try {
        for (let a = start; a <= toMs; a += 11_000 * step) {
          const b = Math.min(toMs, a + 10_999 * step);
          const url = `${this.base.replace(/\/$/, '')}/api/v1/query_range?query=${encodeURIComponent(q)}&start=${a / 1000}&end=${b / 1000}&step=${step / 1000}`;
          let cache = this.labels.get(q);
          if (!cache) this.labels.set(q, (cache = new LabelCache()));
          const r = await getAnswer(url, this.o, (text) => readMatrix(text, cache));
          if (r.status !== 'success' || !r.hasData) throw new SourceError(`query failed: ${r.error ?? r.status}`, url);
          for (const series of r.series) {
            const machine = series.metric[label];
            if (typeof machine !== 'string' || machine === '') {
              unlabelled++;
              continue;
            }
            let name = names.get(machine);
            if (name === undefined) names.set(machine, (name = machine.replace(/_/g, '-')));
            const job = perJob ? series.metric.job_name ?? 'unknown' : undefined;
            const operator = perJob ? series.metric.task_name ?? '' : undefined;
            for (let k = series.from; k < series.to; k++) {
              const value = r.values[k];
              if (Number.isNaN(value)) {
                gaps++;
                continue;
              }
              const sample: Sample = perJob ? { ts: Math.round(r.times[k] * 1000), machine: name, metric, value, job, operator } : { ts: Math.round(r.times[k] * 1000), machine: name, metric, value };
              samples.push(sample); // kept even if a later chunk of this query fails
            }
          }
        }
      } catch (e) {
        errors.push(`${metric}${perJob ? ' (per job)' : ''}: ${(e as Error).message}`);
      }
      if (unlabelled) errors.push(`${metric}${perJob ? ' (per job)' : ''}: ${unlabelled} series without the '${label}' label skipped (query: ${q})`);
    }
    return { samples, errors, gaps };
  }
}
