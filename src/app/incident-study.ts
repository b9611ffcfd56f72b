// The incident-level study: which configuration pages an on-call engineer best? Each cluster (a synthetic Flink
// cluster from a seed; flink-lab recordings when a reader gives their faults) is replayed through the product path
// (src/app/replay.ts) once per detector configuration — the model trained once per configuration and cluster — and
// once per alarm policy on that model. Every number comes from the product's own incidents: incident precision (all
// incidents, held ones included), page precision, hotspot recall, false pages per machine-day, events that paged,
// detection delay per kind, and the warning lead before SLO breaches.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generateCluster } from '../data/index.js';
import type { AlarmPolicy } from './alarms.js';
import { syntheticReplay } from './demo.js';
import { replay, type ReplayCluster } from './replay.js';
import type { Trained } from './train.js';

export interface StudyConfig {
  /** Label, e.g. 'ccl', 'ccl peers=both', 'zscore'. */
  name: string;
  kind: string;
  params?: Record<string, unknown>;
}

export interface StudyPolicy {
  name: string;
  alarms: AlarmPolicy;
}

export interface StudyRow {
  cluster: string;
  config: string;
  policy: string;
  incidents: number;
  incident_precision: number;
  pages: number;
  page_precision: number;
  recall: number;
  false_pages_per_machine_day: number;
  events: number;
  events_paged: number;
  median_delay_min: number;
  by_kind: Record<string, { found: number; faults: number; median_delay_min: number }>;
  breach_warned: string;
  breach_lead_min: number;
  train_ms: number;
}

/** 'synthetic:flink?machines=12&days=4&seed=7' → the generated cluster as a replay. */
export function studyCluster(spec: string): ReplayCluster {
  const m = /^synthetic:flink(?:\?(.*))?$/.exec(spec);
  if (!m) throw new Error(`cluster '${spec}' is not synthetic:flink?machines=…&days=…&seed=… (flink-lab clusters come with their reader)`);
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
  dir: string;
  onRow?: (r: StudyRow) => void;
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
          dir, kind: cfg.kind, params: cfg.kind === 'ccl' ? { ...DEEP_BUDGET(o.epochs), ...cfg.params } : cfg.params, alarms: pol.alarms, trained,
          watch: o.slo ? { slo: o.slo } : undefined,
        });
        trained = r.trained;
        const m = r.metrics;
        const row: StudyRow = {
          cluster: spec, config: cfg.name, policy: pol.name, incidents: m.incidents, incident_precision: m.incident_precision, pages: m.pages,
          page_precision: m.pages ? (m.pages - m.false_pages) / m.pages : NaN, recall: m.fault_recall,
          false_pages_per_machine_day: m.false_pages_per_machine_day, events: m.events, events_paged: m.events_paged,
          median_delay_min: m.median_delay / 60_000,
          by_kind: Object.fromEntries(Object.entries(m.by_kind).map(([k, v]) => [k, { found: v.detected, faults: v.faults, median_delay_min: v.median_delay / 60_000 }])),
          breach_warned: r.breach ? `${r.breach.warnedAhead}/${r.breach.breached}` : '—', breach_lead_min: r.breach ? r.breach.medianLeadMs / 60_000 : NaN,
          train_ms: Math.round(r.trained.trainMs),
        };
        await r.store.close();
        rows.push(row);
        o.onRow?.(row);
      }
    }
  }
  return rows;
}

const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '—');
const f0 = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '—');

/** The study as Markdown: one table per cluster, and recall / median delay per hotspot kind. */
export function incidentStudyMarkdown(rows: StudyRow[]): string {
  const out: string[] = [];
  for (const cluster of [...new Set(rows.map((r) => r.cluster))]) {
    const rs = rows.filter((r) => r.cluster === cluster);
    const kinds = [...new Set(rs.flatMap((r) => Object.keys(r.by_kind)))].sort();
    out.push(`**${cluster}**`, '');
    out.push('| configuration | alarms | incidents | incident precision | pages | page precision | hotspot recall | false pages / machine-day | restarts paged | median delay (min) | breach warned ahead (median lead, min) |');
    out.push('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rs) out.push(`| ${r.config} | ${r.policy} | ${r.incidents} | ${f2(r.incident_precision)} | ${r.pages} | ${f2(r.page_precision)} | ${f2(r.recall)} | ${f2(r.false_pages_per_machine_day)} | ${r.events_paged}/${r.events} | ${f0(r.median_delay_min)} | ${r.breach_warned} (${f0(r.breach_lead_min)}) |`);
    out.push('', `found / hotspots (median detection delay, min) per kind:`, '');
    out.push(`| configuration | alarms | ${kinds.join(' | ')} |`, `|---|---|${kinds.map(() => '---').join('|')}|`);
    for (const r of rs) out.push(`| ${r.config} | ${r.policy} | ${kinds.map((k) => (r.by_kind[k] ? `${r.by_kind[k].found}/${r.by_kind[k].faults} (${f0(r.by_kind[k].median_delay_min)})` : '—')).join(' | ')} |`);
    out.push('');
  }
  return out.join('\n');
}
