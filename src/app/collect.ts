// Collection, once for `collect` and `watch`: a Flink REST or Prometheus source polled on demand, its samples and
// job placement stored (duplicates ignored), and — from Flink's REST API — its events (deploys, job state changes,
// restarts, TaskManager losses, failed checkpoints, rescales) stored for the watcher's grace periods and the
// dashboard's time axes; what failed reported — never fatal for one poll. The sink is the store, or (`collect --to`)
// a Kafka topic, which carries samples and placement but no events: for such a sink events are not polled.
import { FlinkEventSource, FlinkRestSource, PrometheusSource, type HttpOptions, type PollResult } from '../collect/index.js';
import type { FlinkEvent } from '../core/event.js';
import { StaleEvents } from '../core/stale.js';
import { CollectOutage } from '../core/outage.js';
import type { PromOptions } from '../collect/prometheus.js';
import type { Store } from '../store/store.js';
import type { Sample } from '../core/sample.js';
import type { LagPoint } from '../inspect/checks.js';

/** Kafka lag samples of jobs (per job, machine, operator and time) as the checks take them. */
const lagOf = (samples: Sample[]): LagPoint[] => samples.filter((s) => s.metric === 'kafka_lag' && s.job !== undefined).map((s) => ({ job: s.job!, machine: s.machine, ts: s.ts, lag: s.value }));

/** Where a poll goes: the store, or a sink of samples and placement only (Flink events are polled when it takes them). */
export type CollectSink = Pick<Store, 'insertSamples' | 'recordPlacement'> & Partial<Pick<Store, 'insertEvents'>>;

export interface SourceSpec {
  flink?: string;
  prometheus?: string;
  http?: HttpOptions;
  /** Prometheus: query step (the scrape interval), ms. */
  stepMs?: number;
  /** Prometheus: how far back the first poll reads, ms. */
  sinceMs?: number;
  /** Prometheus: a window with failed queries is read again at the next poll, as long as it reaches back no further
   *  than this, ms (default an hour). */
  retryMs?: number;
  /** Prometheus: own queries (metric → PromQL), whether to add the catalogue's, per-job queries. */
  prom?: Pick<PromOptions, 'queries' | 'catalogue' | 'perJob' | 'machineLabel'>;
}

/** One poll: what the source gave (samples, errors of the parts that failed, gaps), what was new to the sink. */
export interface PollOutcome extends PollResult {
  /** The per-job Kafka consumer lag among the samples (catalogue metric kafka_lag), for the job-state checks. */
  lag: LagPoint[];
  /** Samples new to the sink. */
  stored: number;
  /** Flink events new to the store this poll (Flink REST into a store only). */
  events: FlinkEvent[];
}

/** A poll that could not read the source (the message is the source's error); `events`: what the poll stored all
 *  the same — the collect-failed event of the first failure after data came. */
export class CollectPollError extends Error {
  constructor(override readonly cause: Error, readonly events: FlinkEvent[]) {
    super(cause.message);
    this.name = 'CollectPollError';
  }
}

export class StoreCollector {
  /** The collector's own outages, as events (src/core/outage.ts). */
  private readonly outage: CollectOutage;
  private readonly flink: FlinkRestSource | null;
  private readonly prom: PrometheusSource | null;
  private readonly events: FlinkEventSource | null;
  /** Stale stretches of the Flink source's TaskManagers, as events (one when a stretch begins). */
  private readonly staleEvents = new StaleEvents();
  private from: number;
  private readonly stepMs: number;
  private readonly retryMs: number;

  /** `lastDataAt`: when the sink's newest data came (Store.newestSample): a gap since then is told when data comes. */
  constructor(private readonly sink: CollectSink, spec: SourceSpec, now = Date.now(), lastDataAt?: number) {
    if (!!spec.flink === !!spec.prometheus) throw new Error('give exactly one source: a Flink REST URL or a Prometheus URL');
    this.flink = spec.flink ? new FlinkRestSource(spec.flink, spec.http ?? {}) : null;
    this.events = spec.flink && sink.insertEvents ? new FlinkEventSource(spec.flink, spec.http ?? {}) : null;
    this.stepMs = spec.stepMs ?? 10_000;
    this.prom = spec.prometheus ? new PrometheusSource(spec.prometheus, { ...(spec.http ?? {}), ...(spec.prom ?? {}), stepMs: this.stepMs }) : null;
    this.from = now - (spec.sinceMs ?? 10 * 60_000);
    this.retryMs = spec.retryMs ?? 3_600_000;
    this.outage = new CollectOutage(lastDataAt);
  }

  /** One poll into the sink. Throws (CollectPollError) only when the source could not be read at all. A poll that
   *  threw, or that brought nothing but errors, is a failed one: the first after data came is stored as a
   *  collect-failed event, and the first that brings data again as a collect-resumed one (with the gap it ends;
   *  Prometheus reads the missed stretch again, so its gap is backfilled when the read reaches back to it). A poll
   *  whose TaskManagers were all stale is neither: the REST API answered, and the metrics-stale events say why no row
   *  came. */
  async poll(now = Date.now()): Promise<PollOutcome> {
    const readFrom = this.from;
    let out: PollOutcome;
    let stale: number;
    try {
      ({ out, stale } = await this.pollSource(now));
    } catch (e) {
      throw new CollectPollError(e as Error, await this.record(this.outage.failed(now, (e as Error).message)));
    }
    if (out.samples.length === 0 && out.errors.length > 0 && stale === 0) out.events.push(...(await this.record(this.outage.failed(now, out.errors[0]))));
    else if (out.samples.length > 0) out.events.push(...(await this.record(this.outage.ok(now, (since) => this.prom !== null && readFrom <= since + this.stepMs))));
    return out;
  }

  /** Stores `events` (when the sink takes events); those new to it returned. */
  private async record(events: FlinkEvent[]): Promise<FlinkEvent[]> {
    const fresh: FlinkEvent[] = [];
    if (this.sink.insertEvents) for (const e of events) if (await this.sink.insertEvents([e])) fresh.push(e);
    return fresh;
  }

  /** The source's poll into the sink, and how many TaskManagers it found stale. */
  private async pollSource(now: number): Promise<{ out: PollOutcome; stale: number }> {
    if (this.flink) {
      const r = await this.flink.poll(now);
      await this.sink.recordPlacement(r.jobsOn, now); // before the samples: a Kafka sink sends it with them
      const stored = await this.sink.insertSamples(r.samples);
      const ev = this.events ? await this.pollEvents(this.events, r.jobsOn, now) : { events: [], errors: [] };
      // a TaskManager whose values went stale: its samples are left out (FlinkRestSource), and the store says why
      const went = this.staleEvents.next(now, r.stale, (m) => this.flink!.servedSince(m));
      ev.events.push(...(await this.record(went)));
      const staleErrors = r.stale.map((s) => `taskmanager ${s.machine}: stale metrics (unchanged since ${new Date(s.servedSince).toISOString()}), left out`);
      return { out: { samples: r.samples, gaps: r.gaps, lag: lagOf(r.samples), stored, events: ev.events, errors: [...r.errors, ...ev.errors, ...staleErrors] }, stale: r.stale.length };
    }
    const r = await this.prom!.range(this.from, now);
    // a window with failed queries is asked again next time (up to retryMs back); the sink ignores what it has.
    // Otherwise the next poll starts at the step after the last one evaluated: asking for that step again read every
    // series twice and stored nothing (a stored value is never replaced)
    if (r.errors.length === 0 || now - this.from > this.retryMs) this.from = Math.floor(now / this.stepMs) * this.stepMs + 1;
    const stored = await this.sink.insertSamples(r.samples);
    return { out: { ...r, lag: lagOf(r.samples), stored, events: [] }, stale: 0 };
  }

  /** Flink's events since the last poll (the first poll is the baseline), stored; those new to the store returned. */
  private async pollEvents(src: FlinkEventSource, jobsOn: Record<string, string[]>, now: number): Promise<{ events: FlinkEvent[]; errors: string[] }> {
    const byJob: Record<string, string[]> = {};
    for (const [machine, jobs] of Object.entries(jobsOn)) for (const j of jobs) (byJob[j] ??= []).push(machine);
    try {
      const p = await src.poll(now);
      src.jobsOn = byJob; // after the poll: a failover names the TaskManagers the jobs ran on before it
      const fresh: FlinkEvent[] = [];
      for (const e of p.events) if (await this.sink.insertEvents!([e])) fresh.push(e);
      return { events: fresh, errors: p.errors.map((e) => `events: ${e}`) };
    } catch (e) {
      return { events: [], errors: [`events: ${(e as Error).message}`] };
    }
  }
}
