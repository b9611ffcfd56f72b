// Inspection report renderer: the daily inspection mail — cluster health, at-risk machines, open incidents with
// type / onset / explanation, and small inline SVG score plots — as self-contained HTML or Markdown (task brief
// "flinkscope report"). Pure: takes the facts, returns a string; the CLI gathers the facts from the store.

import type { Incident } from '../core/incident.js';
import type { HealthSummary, RankedMachine } from './ranking.js';
import type { Contribution, JobMover } from './explain.js';
import type { BackpressureCause } from './propagation.js';

export interface ReportInput {
  generatedAt: number;
  health: HealthSummary;
  ranked: RankedMachine[];
  incidents: (Incident & { explanation?: Contribution[]; movers?: JobMover[]; cause?: BackpressureCause | null; updates?: number[] })[];
  /** Recent scores per machine for the sparkline plots (only at-risk machines are drawn). */
  scores: Record<string, ArrayLike<number>>;
  threshold: number;
  model?: { kind: string; version: string };
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const iso = (t: number): string => new Date(t).toISOString().replace('.000Z', 'Z');
const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '–');
const dur = (ms: number): string => (ms < 3_600_000 ? `${Math.round(ms / 60_000)} min` : `${(ms / 3_600_000).toFixed(1)} h`);

/** "open", or "open, rose again 2× (last 2026-01-08T10:30Z)" for an incident that sent updates. */
function stateText(i: { state: string; updates?: number[] }): string {
  const u = i.updates ?? [];
  return u.length ? `${i.state}, rose again ${u.length}× (last ${iso(u[u.length - 1])})` : i.state;
}

/** (T,) scores → a 240×40 SVG polyline with the threshold as a dashed red line. */
export function sparkline(scores: ArrayLike<number>, threshold: number, w = 240, h = 40): string {
  const v = Array.from(scores).map((x) => (Number.isFinite(x) ? x : 0));
  const max = Math.max(threshold * 1.2, ...v, 1e-9);
  const y = (s: number) => (h - 2 - (s / max) * (h - 4)).toFixed(1);
  const step = v.length > 1 ? w / (v.length - 1) : 0;
  const pts = v.map((s, i) => `${(i * step).toFixed(1)},${y(s)}`).join(' ');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">` +
    `<line x1="0" x2="${w}" y1="${y(threshold)}" y2="${y(threshold)}" stroke="#d33" stroke-dasharray="3,3"/>` +
    `<polyline fill="none" stroke="#2a6fdb" stroke-width="1.5" points="${pts}"/></svg>`;
}

const metricsText = (e?: Contribution[]): string =>
  e && e.length ? e.slice(0, 3).map((c) => `${c.name} ${(c.share * 100).toFixed(0)}% ${c.meanZ >= 0 ? '↑' : '↓'}`).join(', ') : '–';
/** Metric shares, then the jobs that moved most when per-job metrics were collected. */
const explainText = (e?: Contribution[], movers?: JobMover[], cause?: BackpressureCause | null): string =>
  metricsText(e) + (cause ? `; likely caused by ${cause.machine} downstream (busy ${cause.busy.toFixed(cause.busy > 1.5 ? 0 : 2)}${cause.busy > 1.5 ? ' ms/s' : ''}, shared job ${cause.jobs.join(', ')})` : '') + (movers && movers.length ? `; jobs moved most: ${movers.slice(0, 2).map((m) => `${m.job}${m.operator ? `/${m.operator}` : ''} (${m.metric} ${m.meanZ >= 0 ? '+' : ''}${m.meanZ.toFixed(1)}σ)`).join(', ')}` : '');

export function renderMarkdown(r: ReportInput): string {
  const open = r.incidents.filter((i) => i.state !== 'resolved');
  const risk = r.ranked.filter((m) => m.atRisk);
  const lines = [
    `# flinkscope inspection report — ${iso(r.generatedAt)}`,
    '',
    `Machines: ${r.health.machines} · at risk: ${r.health.atRisk} · score p50 ${fmt(r.health.p50)} / p90 ${fmt(r.health.p90)} / max ${fmt(r.health.max)} (threshold ${fmt(r.threshold)})` +
      (r.model ? ` · model ${r.model.kind} ${r.model.version}` : ''),
    '',
    `## At-risk machines (${risk.length})`,
    '',
    ...(risk.length ? ['| machine | risk | last score |', '|---|---|---|', ...risk.map((m) => `| ${m.machine} | ${fmt(m.risk)} | ${fmt(m.lastScore)} |`)] : ['None.']),
    '',
    `## Open incidents (${open.length})`,
    '',
    ...(open.length
      ? ['| id | machine | type | onset | duration | state | why |', '|---|---|---|---|---|---|---|',
        ...open.map((i) => `| ${i.id} | ${i.machine} | ${i.type} | ${iso(i.onset)} | ${dur(i.lastSeen - i.onset)} | ${stateText(i)} | ${explainText(i.explanation, i.movers, i.cause)} |`)]
      : ['None.']),
    '',
  ];
  return lines.join('\n');
}

export function renderHtml(r: ReportInput): string {
  const open = r.incidents.filter((i) => i.state !== 'resolved');
  const risk = r.ranked.filter((m) => m.atRisk);
  const rows = risk.map((m) => `<tr><td>${esc(m.machine)}</td><td>${fmt(m.risk)}</td><td>${fmt(m.lastScore)}</td><td>${r.scores[m.machine] ? sparkline(r.scores[m.machine], r.threshold) : ''}</td></tr>`).join('');
  const inc = open.map((i) => `<tr><td>${esc(i.id)}</td><td>${esc(i.machine)}</td><td>${esc(i.type)}</td><td>${iso(i.onset)}</td><td>${dur(i.lastSeen - i.onset)}</td><td>${esc(stateText(i))}</td><td>${esc(explainText(i.explanation, i.movers, i.cause))}</td></tr>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>flinkscope inspection report</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#f3f3f3}</style></head><body>
<h1>flinkscope inspection report</h1><p>${iso(r.generatedAt)} · ${r.health.machines} machines · <b>${r.health.atRisk} at risk</b> · score p50 ${fmt(r.health.p50)} / p90 ${fmt(r.health.p90)} / max ${fmt(r.health.max)} (threshold ${fmt(r.threshold)})${r.model ? ` · model ${esc(r.model.kind)} ${esc(r.model.version)}` : ''}</p>
<h2>At-risk machines (${risk.length})</h2>${risk.length ? `<table><tr><th>machine</th><th>risk</th><th>last score</th><th>recent scores</th></tr>${rows}</table>` : '<p>None.</p>'}
<h2>Open incidents (${open.length})</h2>${open.length ? `<table><tr><th>id</th><th>machine</th><th>type</th><th>onset</th><th>duration</th><th>state</th><th>why</th></tr>${inc}</table>` : '<p>None.</p>'}
</body></html>
`;
}
