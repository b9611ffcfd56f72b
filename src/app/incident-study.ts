// The incident-level study: which configuration pages an on-call engineer best? Each cluster (a synthetic Flink
// cluster from a seed; flink-lab recordings when a reader gives their faults) is replayed through the product path
// (src/app/replay.ts) once per detector configuration — the model trained once per configuration and cluster — and
// once per alarm policy on that model. Every number comes from the product's own incidents: incident precision (all
// incidents, held ones included), page precision, hotspot recall, false pages per machine-day, events that paged,
// detection delay per kind, and the warning lead before SLO breaches.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { generateCluster, LAB_SPEC_SYNTAX } from '../data/index.js';
import type { WatchOptions } from './watch.js';
import type { AlarmPolicy } from './alarms.js';
import { syntheticReplay } from './demo.js';
import { replay, type ReplayCluster } from './replay.js';
import { labReplayOf } from './lab-replay.js';
import { historyFromStore, trainModel, type Trained } from './train.js';
import { sliceSeries, type Series } from '../core/series.js';
import type { IncidentLabel, IncidentRecord } from '../core/incident.js';
import type { IncidentMetrics } from '../eval/incidents.js';

export interface StudyConfig {
  /** Label, e.g. 'ccl', 'ccl:peers=none', 'zscore'. */
  name: string;
  kind: string;
  params?: Record<string, unknown>;
}

export interface StudyPolicy {
  name: string;
  alarms: AlarmPolicy;
  /** Watcher options of the policy (e.g. sustainMs: 0 turns the sustained rule off; minPoints: the persistence). */
  watch?: Pick<WatchOptions, 'sustainMs' | 'minPoints'>;
}

export interface StudyRow extends PeriodResult {
  cluster: string;
  config: string;
  policy: string;
  events: number;
  events_paged: number;
  /** Incidents recorded as symptoms of another (back-pressure from its hotspot): not in `incidents`. */
  symptoms: number;
  /** Incidents recorded as events' after-effects (held by a restart's grace period, never paged): not in `incidents`. */
  after_effects: number;
  /** Share of the watched machine-time inside incidents. */
  alarm_share: number;
  median_delay_min: number;
  by_kind: Record<string, { found: number; faults: number; median_delay_min: number }>;
  breach_warned: string;
  breach_lead_min: number;
  train_ms: number;
}

/** 'synthetic:flink?machines=12&days=4&seed=7' → the generated cluster as a replay; 'flink-lab:<dir>' → a recording. */
export function studyCluster(spec: string): ReplayCluster {
  const lab = labReplayOf(spec);
  if (lab) return lab;
  const m = /^synthetic:flink(?:\?(.*))?$/.exec(spec);
  if (!m) throw new Error(`cluster '${spec}' is not synthetic:flink?machines=…&days=…&seed=… or ${LAB_SPEC_SYNTAX}`);
  const q = Object.fromEntries(new URLSearchParams(m[1] ?? ''));
  const known = ['machines', 'days', 'seed', 'contamination'];
  for (const k of Object.keys(q)) if (!known.includes(k)) throw new Error(`cluster '${spec}': unknown option '${k}' (known: ${known.join(', ')})`);
  const num = (k: string, d: number): number => {
    const v = q[k] === undefined ? d : Number(q[k]);
    if (!Number.isFinite(v)) throw new Error(`cluster '${spec}': ${k}=${q[k]} is not a number`);
    return v;
  };
  return syntheticReplay(generateCluster({ machines: num('machines', 12), days: num('days', 4), seed: num('seed', 1), contamination: num('contamination', 0.1) }));
}

export interface IncidentStudyOptions {
  clusters: string[];
  configs: StudyConfig[];
  policies: StudyPolicy[];
  /** Training epochs of deep detectors (the demo's budget: 4). */
  epochs: number;
  slo?: Record<string, number>;
  /** How long an event holds its machines' incidents, instead of the cluster's own scale (watchDefaults). */
  eventGraceMs?: number;
  /** Retrain this long after a failover, deploy or rescale (the replay's default: the event grace; 0: never). */
  retrainAfterEventMs?: number;
  /** Where each replay's store is written, one directory per row (`${dir}/${row}`). */
  dir: string;
  /** Keep the replays' stores (to read their incidents afterwards); by default each is deleted once its row is made. */
  keepStores?: boolean;
  onRow?: (r: StudyRow) => void;
}

/** A replay's store directory, deleted once its figures are read — unless the caller keeps the stores. */
function dropStore(dir: string, keep: boolean | undefined): void {
  if (!keep) rmSync(dir, { recursive: true, force: true });
}

const DEEP_BUDGET = (epochs: number): Record<string, unknown> => ({ epochs, maxTrainWindows: 512, patience: epochs });

export async function incidentStudy(o: IncidentStudyOptions): Promise<StudyRow[]> {
  const rows: StudyRow[] = [];
  for (const spec of o.clusters) {
    const cluster = studyCluster(spec);
    for (const cfg of o.configs) {
      let trained: Trained | undefined;
      for (const pol of o.policies) {
        const dir = join(o.dir, `${rows.length}`);
        mkdirSync(dir, { recursive: true });
        const r = await replay(cluster, {
          dir, kind: cfg.kind, params: cfg.kind === 'ccl' ? { ...DEEP_BUDGET(o.epochs), ...cfg.params } : cfg.params, alarms: pol.alarms, trained, retrainAfterEventMs: o.retrainAfterEventMs,
          watch: { ...(o.slo ? { slo: o.slo } : {}), ...(o.eventGraceMs !== undefined ? { eventGraceMs: o.eventGraceMs } : {}), ...pol.watch },
        });
        trained = r.trained;
        const m = r.metrics;
        const row: StudyRow = {
          cluster: spec, config: cfg.name, policy: pol.name, ...periodResult(m), events: m.events, events_paged: m.events_paged, symptoms: m.symptoms, after_effects: m.after_effects,
          median_delay_min: m.median_delay / 60_000,
          by_kind: Object.fromEntries(Object.entries(m.by_kind).map(([k, v]) => [k, { found: v.detected, faults: v.faults, median_delay_min: v.median_delay / 60_000 }])),
          breach_warned: r.breach ? `${r.breach.warnedAhead}/${r.breach.breached}` : '—', breach_lead_min: r.breach ? r.breach.medianLeadMs / 60_000 : NaN,
          train_ms: Math.round(r.trained.trainMs),
        };
        await r.store.close();
        dropStore(dir, o.keepStores);
        rows.push(row);
        o.onRow?.(row);
      }
    }
  }
  return rows;
}

/** A figure with two decimals for the study's tables; '—' where it is undefined (no hotspot, no incident). */
export const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '—');
const f0 = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '—');

/** What a row's incident count leaves out: '(+n symptoms, +m after-effects)'. */
function folded(r: Pick<StudyRow, 'symptoms' | 'after_effects'>): string {
  const parts = [r.symptoms ? `+${r.symptoms} symptom${r.symptoms > 1 ? 's' : ''}` : '', r.after_effects ? `+${r.after_effects} after-effect${r.after_effects > 1 ? 's' : ''}` : ''].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** The study as Markdown: one table per cluster, and recall / median delay per hotspot kind. */
export function incidentStudyMarkdown(rows: StudyRow[]): string {
  const out: string[] = [];
  for (const cluster of [...new Set(rows.map((r) => r.cluster))]) {
    const rs = rows.filter((r) => r.cluster === cluster);
    const kinds = [...new Set(rs.flatMap((r) => Object.keys(r.by_kind)))].sort();
    out.push(`**${cluster}**`, '');
    out.push('| configuration | alarms | incidents | incident precision | pages | page precision | hotspot recall | by new alarms | updates (false) | false pages / machine-day | events paged | time in alarm | median delay (min) | breach warned ahead (median lead, min) |');
    out.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rs) out.push(`| ${r.config} | ${r.policy} | ${r.incidents}${folded(r)} | ${f2(r.incident_precision)} | ${r.pages} | ${f2(r.page_precision)} | ${f2(r.recall)} | ${f2(r.recall_new)} | ${r.updates} (${r.false_updates}) | ${f2(r.false_pages_per_machine_day)} | ${r.events_paged}/${r.events} | ${f2(r.alarm_share)} | ${f0(r.median_delay_min)} | ${r.breach_warned} (${f0(r.breach_lead_min)}) |`);
    if (kinds.length === 0) {
      out.push('', 'No hotspot in the judged part: every page above is a false page.', '');
      continue;
    }
    out.push('', `found / hotspots (median detection delay, min) per kind:`, '');
    out.push(`| configuration | alarms | ${kinds.join(' | ')} |`, `|---|---|${kinds.map(() => '---').join('|')}|`);
    for (const r of rs) out.push(`| ${r.config} | ${r.policy} | ${kinds.map((k) => (r.by_kind[k] ? `${r.by_kind[k].found}/${r.by_kind[k].faults} (${f0(r.by_kind[k].median_delay_min)})` : '—')).join(' | ')} |`);
    out.push('');
  }
  return out.join('\n');
}

/** Precision and paging of one period. */
export interface PeriodResult {
  incidents: number;
  incident_precision: number;
  pages: number;
  page_precision: number;
  recall: number;
  /** Hotspots matched by an incident that began or paged for them (src/eval/incidents.ts fault_recall_new). */
  recall_new: number;
  /** Updates sent (a paged incident rose again while open) and those outside every hotspot of its machine. */
  updates: number;
  false_updates: number;
  false_pages_per_machine_day: number;
  /** Share of the watched machine-time inside incidents (after-effects and symptoms included). */
  alarm_share: number;
}

/** The period's figures from its incident metrics. */
function periodResult(m: IncidentMetrics): PeriodResult {
  return {
    incidents: m.incidents, incident_precision: m.incident_precision, pages: m.pages, page_precision: m.pages ? (m.pages - m.false_pages) / m.pages : NaN,
    recall: m.fault_recall, recall_new: m.fault_recall_new, updates: m.updates, false_updates: m.false_updates, false_pages_per_machine_day: m.false_pages_per_machine_day, alarm_share: m.alarm_share,
  };
}

export interface FeedbackResult {
  cluster: string;
  /** What the operator said about the first inspected half's incidents. */
  labelled: { hotspot: number; falseAlarm: number; expected: number };
  /** The second half, watched by: the first model; a model retrained on the history up to it without labels
   *  (every incident period left out); the same with the labels (false alarms learnt as normal). */
  noRetrain: PeriodResult;
  retrained: PeriodResult;
  withFeedback: PeriodResult;
  /** Thresholds of record of the three models, and the rows each retraining learnt from. */
  thresholds: { first: number; retrained: number; withFeedback: number };
  historyRows: { retrained: number; withFeedback: number };
}

/**
 * One round of operator feedback: the first half of the inspected period is watched and its incidents labelled as an
 * operator would (hotspot when it matches a labelled fault, expected when it matches an event, false alarm otherwise);
 * the model is retrained on the history up to there — incident periods left out, labelled false alarms and expected
 * incidents kept as normal (src/app/train.ts incidentPeriods) — and the second half is watched with it. The same
 * retraining without the labels (where only the events' after-effects stay in), and no retraining, are the references.
 */
export async function feedbackStudy(spec: string, cfg: StudyConfig, o: { epochs: number; dir: string; keepStores?: boolean; alarms?: AlarmPolicy }): Promise<FeedbackResult> {
  const full = studyCluster(spec);
  const T = full.machines[0].test.timestamps.length;
  const half = Math.floor(T / 2);
  const cut = full.machines[0].test.timestamps[half];
  const part = (a: number, b: number): ReplayCluster => ({
    ...full,
    machines: full.machines.map((m) => ({ ...m, test: sliceSeries(m.test, a, b) })),
    faults: full.faults.filter((f) => (a === 0 ? f.start < cut : f.end > cut)).map((f) => (a === 0 ? { ...f, end: Math.min(f.end, cut) } : { ...f, start: Math.max(f.start, cut) })),
  });
  const params = cfg.kind === 'ccl' ? { ...DEEP_BUDGET(o.epochs), ...cfg.params } : cfg.params;
  // first half, watched and labelled
  const first = await replay(part(0, half), { dir: join(o.dir, 'first'), kind: cfg.kind, params, alarms: o.alarms });
  const labelled = { hotspot: 0, falseAlarm: 0, expected: 0 };
  const slack = 600_000;
  const hits = (i: IncidentRecord, page: boolean): boolean => first.incidents.length > 0 && part(0, half).faults.some((f) => f.page === page && f.machines.includes(i.machine) && i.onset < f.end && i.lastSeen >= f.start - slack);
  const verdict = (i: IncidentRecord): IncidentLabel => (hits(i, true) ? 'hotspot' : hits(i, false) ? 'expected' : 'false-alarm');
  for (const i of first.incidents) {
    const v = verdict(i);
    labelled[v === 'false-alarm' ? 'falseAlarm' : v]++;
  }
  // the history up to the cut: the training part and the watched first half, as the store holds them
  const upTo = cut - 1;
  const channels = full.machines[0].train.channels;
  const placement = await first.store.placements();
  const train = async (withLabels: boolean): Promise<Trained> => {
    // without feedback the incidents stay unlabelled (their periods left out, events' after-effects kept: train.ts
    // incidentPeriods); with it, false alarms and expected incidents are normal, hotspots left out
    if (withLabels) for (const i of first.incidents) await first.store.label(i.id, verdict(i), 'study', 'feedback round', cut);
    const history = await historyFromStore(first.store, { to: upTo, channels });
    return trainModel({ history, kind: cfg.kind, params, placement });
  };
  const retrainedModel = await train(false); // before the labels are written
  const feedbackModel = await train(true);
  await first.store.close();
  dropStore(join(o.dir, 'first'), o.keepStores);
  // the second half, with the history up to the cut as its training part
  const second = (): ReplayCluster => {
    const p = part(half, T);
    return { ...p, machines: p.machines.map((m, k) => ({ ...m, train: concatSeries(full.machines[k].train, sliceSeries(full.machines[k].test, 0, half)) })) };
  };
  const judge = async (trained: Trained | undefined, dir: string): Promise<PeriodResult> => {
    const r = await replay(second(), { dir: join(o.dir, dir), kind: cfg.kind, params, alarms: o.alarms, trained });
    await r.store.close();
    dropStore(join(o.dir, dir), o.keepStores);
    return periodResult(r.metrics);
  };
  return {
    cluster: spec, labelled,
    thresholds: { first: first.trained.detector.threshold, retrained: retrainedModel.detector.threshold, withFeedback: feedbackModel.detector.threshold },
    historyRows: { retrained: rowsOf(retrainedModel), withFeedback: rowsOf(feedbackModel) },
    noRetrain: await judge(first.trained, 'same-model'),
    retrained: await judge(retrainedModel, 'retrained'),
    withFeedback: await judge(feedbackModel, 'feedback'),
  };
}

const rowsOf = (t: Trained): number => Number(t.detector.provenance.rows ?? 0) + Number(t.detector.provenance.calibrationRows ?? 0);

function concatSeries(a: Series, b: Series): Series {
  const C = a.channels.length;
  const timestamps = new Float64Array(a.timestamps.length + b.timestamps.length);
  timestamps.set(a.timestamps);
  timestamps.set(b.timestamps, a.timestamps.length);
  const values = new Float32Array(timestamps.length * C);
  values.set(a.values);
  values.set(b.values, a.values.length);
  return { ...a, timestamps, values, labels: undefined };
}
