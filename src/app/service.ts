// What the API answers, computed from the store on each request (no in-memory copy to reload): cluster health and
// ranking from the watcher's cluster view, heat map and ranges downsampled in SQL, incidents page by page, the model
// in use from its artifact, operator acts written to the operator's columns only.
import type { Store, Evidence, EventQuery, IncidentQuery, Page, Downsampled, HeatMap, MachineStatus, ModelRecord } from '../store/store.js';
import { StoreError } from '../store/store.js';
import type { IncidentLabel, IncidentRecord } from '../core/incident.js';
import type { FlinkEvent } from '../core/event.js';
import { quantileSorted } from '../core/stats.js';
import { COLLECT_EVENTS, collectorFailing } from '../core/outage.js';
import { loadDetector, type EpochRecord } from '../detectors/index.js';
import { unitOf } from '../core/units.js';

/** A request the service refuses: status 400 (bad input), 404 (unknown), 409 (conflict). */
export class ServiceError extends Error {
  constructor(readonly status: 400 | 404 | 409, message: string) {
    super(message);
    this.name = 'ServiceError';
  }
}

export interface ModelInfo {
  id: number;
  kind: string;
  version: string;
  path: string;
  threshold: number;
  thresholdRule: string;
  history: EpochRecord[];
  reason?: string;
  drift?: { ks: number; critical: number; drifted: boolean; trainMedian: number; recentMedian: number; checkedAt: number };
  provenance: Record<string, unknown>;
  createdAt: number;
}

export interface Health {
  machines: number;
  atRisk: number;
  p50: number | null;
  p90: number | null;
  max: number | null;
  threshold: number | null;
  /** Newest scored timestamp (null before the first step). */
  newest: number | null;
  openIncidents: number;
  /** Set while the collector's polls fail (its latest outage event is collect-failed: src/core/outage.ts): the scores
   *  are not current, whatever they say. */
  collectFailing: { at: number; since: number | null; error: string } | null;
}

/** The opening level a model held on a machine, from the first point it scored in the range (`level` null: unknown). */
export interface ScoreLevel {
  from: number;
  model: number | null;
  level: number | null;
}

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

export class InspectionService {
  private modelCache: { id: number; info: ModelInfo } | null = null;
  /** Thresholds of older model versions, read from their artifacts (at most 64 kept). */
  private readonly thresholds = new Map<number, number | null>();

  constructor(readonly store: Store) {}

  /** The model in use (the newest version), read from its artifact once per version. */
  /** Loads what the first requests would otherwise wait for (the model file behind /api/health and the metrics);
   *  a model that cannot be read is reported by those routes as before. */
  async warm(): Promise<void> {
    await this.model().catch(() => null);
  }

  async model(): Promise<ModelInfo | null> {
    const rec = await this.store.latestModel();
    if (!rec) return null;
    if (this.modelCache?.id !== rec.id) this.modelCache = { id: rec.id, info: this.modelInfo(rec) };
    const info = this.modelCache.info;
    return { ...info, drift: rec.report.drift as ModelInfo['drift'] }; // the drift check is updated in place
  }

  private modelInfo(rec: ModelRecord): ModelInfo {
    const base = { id: rec.id, kind: rec.kind, version: `#${rec.id}`, path: rec.path, reason: rec.report.reason as string | undefined, createdAt: rec.createdAt };
    try {
      const d = loadDetector(rec.path);
      return { ...base, threshold: d.threshold, thresholdRule: d.thresholdRule, history: d.trainingHistory, provenance: d.provenance };
    } catch (e) {
      // a store recorded by another host, or a deleted artifact: say so instead of failing every page
      return { ...base, threshold: Number(rec.report.legacyThreshold ?? NaN), thresholdRule: `unavailable (${(e as Error).message})`, history: [], provenance: {} };
    }
  }

  async health(): Promise<Health> {
    const s = await this.store.statusSummary();
    const last = s.scores;
    const m = await this.model();
    return {
      machines: s.machines, atRisk: s.atRisk,
      p50: finiteOrNull(quantileSorted(last, 0.5)), p90: finiteOrNull(quantileSorted(last, 0.9)), max: last.length ? last[last.length - 1] : null,
      threshold: m && Number.isFinite(m.threshold) ? m.threshold : null,
      newest: finiteOrNull(s.newest), openIncidents: s.openIncidents, collectFailing: await this.collectFailing(),
    };
  }

  /** Whether the collector is failing now: its outage events since the newest data (collectorFailing). */
  async collectFailing(): Promise<Health['collectFailing']> {
    const newest = await this.store.newestSample();
    return collectorFailing(await this.store.events({ from: Number.isFinite(newest) ? newest : undefined, kinds: COLLECT_EVENTS, limit: 10_000 }));
  }

  /** Machines ranked by risk now (the watcher's cluster view): the riskiest `limit` (default 200), or one machine. */
  async machines(q: { limit?: number; machine?: string } = {}): Promise<(MachineStatus & { atRisk: boolean })[]> {
    return (await this.store.machineStatus({ limit: q.limit ?? 200, machine: q.machine })).map((s) => ({ ...s, atRisk: s.risk >= 1 }));
  }

  /** The heat map of the riskiest machines over [from, to] (default: the last 6 h of scored data). */
  async cluster(q: { from?: number; to?: number; buckets?: number; limit?: number }): Promise<HeatMap & { threshold: number | null }> {
    const newest = await this.store.newestScore();
    const to = q.to ?? (Number.isFinite(newest) ? newest : Date.now());
    const from = q.from ?? to - 6 * 3_600_000;
    this.range(from, to, 31 * 86_400_000);
    const th = (await this.model())?.threshold ?? NaN;
    const heat = await this.store.heatMap({ from, to, buckets: q.buckets ?? 120, threshold: Number.isFinite(th) && th > 0 ? th : 1, limit: q.limit });
    return { ...heat, threshold: Number.isFinite(th) ? th : null };
  }

  private range(from: number, to: number, max: number): void {
    if (from > to) throw new ServiceError(400, `'from' (${from}) is after 'to' (${to})`);
    if (to - from > max) throw new ServiceError(400, `range ${to - from} ms exceeds the maximum of ${max} ms`);
  }

  /** [from, to] of a query on one machine: default the last 24 h of its scores. */
  private async machineRange(machine: string, from?: number, to?: number): Promise<{ from: number; to: number }> {
    const [st] = await this.store.machineStatus({ machine });
    if (!st && !(await this.store.machines()).includes(machine)) throw new ServiceError(404, `unknown machine '${machine}'`);
    const end = to ?? st?.lastTs ?? (await this.store.newestSample());
    const start = from ?? end - 86_400_000;
    this.range(start, end, 31 * 86_400_000);
    return { from: start, to: end };
  }

  /** A machine's scores, max per bucket, with the newest model's threshold and `levels`: the opening level each model
   *  that scored the range held on this machine, from the first point it scored there (a retrained model scores on a
   *  scale of its own, so one threshold line across a retraining misreads the older stretch). */
  async scores(machine: string, q: { from?: number; to?: number; points?: number }): Promise<Downsampled & { machine: string; threshold: number | null; levels: ScoreLevel[] }> {
    const { from, to } = await this.machineRange(machine, q.from, q.to);
    const latest = await this.model();
    const th = latest?.threshold ?? NaN;
    const [range, models] = await Promise.all([this.store.scoresRange(machine, from, to, q.points ?? 1500), this.store.scoreModels(machine, from, to)]);
    const levels = await Promise.all(models.map(async ({ model, from: f }): Promise<ScoreLevel> => ({ from: f, model, level: model === null ? null : await this.openingLevel(model, machine, latest) })));
    return { machine, threshold: Number.isFinite(th) ? th : null, levels, ...range };
  }

  /** The opening level a model held on a machine: the unit the watcher kept as the model began scoring it
   *  (src/core/units.ts), else the model's threshold (from its artifact, read once per version); null when neither
   *  can be read. */
  private async openingLevel(id: number, machine: string, latest: ModelInfo | null): Promise<number | null> {
    const rec = await this.store.model(id);
    const unit = unitOf(rec?.report, machine);
    if (unit) return unit[1];
    if (latest?.id === id) return Number.isFinite(latest.threshold) ? latest.threshold : null;
    if (!this.thresholds.has(id)) {
      const th = rec ? this.modelInfo(rec).threshold : NaN; // its artifact's, or the legacy one modelInfo falls back to
      if (this.thresholds.size >= 64) this.thresholds.delete(this.thresholds.keys().next().value!);
      this.thresholds.set(id, Number.isFinite(th) ? th : null);
    }
    return this.thresholds.get(id)!;
  }

  async metrics(machine: string, q: { from?: number; to?: number; points?: number }): Promise<Downsampled & { machine: string }> {
    const { from, to } = await this.machineRange(machine, q.from, q.to);
    return { machine, ...(await this.store.metricsRange(machine, from, to, q.points ?? 1500)) };
  }

  async incidents(q: IncidentQuery): Promise<Page<IncidentRecord>> {
    try {
      return await this.store.incidents(q);
    } catch (e) {
      if (e instanceof StoreError) throw new ServiceError(400, e.message);
      throw e;
    }
  }

  async incident(id: string): Promise<IncidentRecord & { eventDetails: FlinkEvent[] }> {
    const i = await this.store.incident(id);
    if (!i) throw new ServiceError(404, `unknown incident '${id}'`);
    const events = i.events.length ? (await this.store.events({ from: i.onset - 86_400_000, to: i.resolvedAt ?? i.lastSeen, machine: i.machine })).filter((e) => i.events.includes(e.id)) : [];
    return { ...i, eventDetails: events };
  }

  /** The evidence captured from Flink for an incident (flame graph, thread dump; failed captures with their reason). */
  async evidence(id: string): Promise<{ incident: string; items: Evidence[] }> {
    if (!(await this.store.incident(id))) throw new ServiceError(404, `unknown incident '${id}'`);
    return { incident: id, items: await this.store.evidence(id) };
  }

  async events(q: EventQuery): Promise<FlinkEvent[]> {
    return this.store.events(q);
  }

  private async operatorAct<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof StoreError) throw new ServiceError(/unknown/.test(e.message) ? 404 : 409, e.message);
      throw e;
    }
  }

  acknowledge(id: string, by: string): Promise<IncidentRecord> {
    return this.operatorAct(() => this.store.acknowledge(id, by, Date.now()));
  }

  label(id: string, value: IncidentLabel, by: string, note: string): Promise<IncidentRecord> {
    return this.operatorAct(() => this.store.label(id, value, by, note, Date.now()));
  }
}
