// Evaluation report (HTML, self-contained): the leaderboard and, for the best and worst run of each detector, a plot
// of the first channel, the scores, the threshold and the labelled anomalies (inline SVG).
import type { ResultRow, RunProvenance } from './runner.js';
import { leaderboardMarkdown, rankingMarkdown, silentMarkdown, THRESHOLD_METRICS } from './leaderboard.js';

export interface Case {
  row: ResultRow;
  values: Float32Array; // (T,) first channel of the test series
  scores: Float32Array; // (T,)
  labels: Uint8Array; // (T,)
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function polyline(v: ArrayLike<number>, w: number, h: number, y0: number, color: string, lo: number, hi: number): string {
  const n = v.length;
  const step = Math.max(1, Math.floor(n / w));
  const pts: string[] = [];
  for (let i = 0; i < n; i += step) {
    const y = y0 + h - ((Math.min(Math.max(v[i], lo), hi) - lo) / (hi - lo || 1)) * h;
    pts.push(`${((i / n) * w).toFixed(1)},${y.toFixed(1)}`);
  }
  return `<polyline fill="none" stroke="${color}" stroke-width="1" points="${pts.join(' ')}"/>`;
}

function finiteRange(v: ArrayLike<number>): [number, number] {
  const f = Array.from(v).filter(Number.isFinite).sort((a, b) => a - b);
  return f.length ? [f[0], f[Math.floor(0.999 * (f.length - 1))]] : [0, 1];
}

export function plotCase(c: Case, w = 900, h = 80): string {
  const n = c.labels.length;
  const bands: string[] = [];
  for (let i = 0; i < n; i++) {
    if (c.labels[i] && (i === 0 || !c.labels[i - 1])) {
      let j = i;
      while (j < n && c.labels[j]) j++;
      bands.push(`<rect x="${((i / n) * w).toFixed(1)}" y="0" width="${Math.max(1, ((j - i) / n) * w).toFixed(1)}" height="${2 * h + 10}" fill="#f5c6c6"/>`);
    }
  }
  const [vl, vh] = finiteRange(c.values);
  const [sl, sh0] = finiteRange(c.scores);
  const sh = Math.max(sh0, c.row.threshold);
  const ty = h + 10 + h - ((c.row.threshold - sl) / (sh - sl || 1)) * h;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${2 * h + 10}" style="background:#fff;border:1px solid #ddd">${bands.join('')}` +
    polyline(c.values, w, h, 0, '#555', vl, vh) + polyline(c.scores, w, h, h + 10, '#2a6fdb', sl, sh) +
    `<line x1="0" x2="${w}" y1="${ty.toFixed(1)}" y2="${ty.toFixed(1)}" stroke="#d33" stroke-dasharray="4 3"/></svg>`;
}

/** Every board of a run: the threshold metrics per rule, the threshold-free view, and who flagged nothing; with the
 *  flag-every-point `reference` rows (EvalRun.reference) ranked beside the detectors. */
export function boardsMarkdown(rows: ResultRow[], reference: ResultRow[] = []): string {
  const rules = [...new Set(rows.map((r) => r.rule))];
  const all = [...rows, ...reference];
  return [
    ...rules.map((rule) => leaderboardMarkdown(all.filter((r) => r.rule === rule), THRESHOLD_METRICS)),
    rankingMarkdown(all),
    `Runs that flagged no test point (of all runs), per threshold rule:\n\n${silentMarkdown(rows)}`,
  ].join('\n\n');
}

const short = (h: string): string => h.slice(0, 16);

/**
 * What the results were made from, as Markdown (the JSON holds the same record in full). `detectorParams: false`
 * leaves the parameter list out (a document that prints it once elsewhere).
 */
export function provenanceMarkdown(p: RunProvenance, opts: { detectorParams?: boolean } = {}): string {
  const t = p.tool;
  const m = p.machine;
  return [
    `- Protocol: **${p.protocol}**${p.protocol === 'LEAKY' ? ' — at least one threshold rule read the test scores; its rows are a reproduction, not a result' : ' — thresholds from calibration scores only, never from test data or labels'}.`,
    `- Threshold rules: ${p.rules.map((r) => `\`${r.rule}\` (${r.meaning})`).join('; ')}.`,
    `- Calibration \`${p.calibration.rule}\`: ${p.calibration.meaning}.`,
    ...(p.hold > 1 ? [`- Scores held for ${p.hold} points: each test and calibration score read as the lowest of its last ${p.hold}, every detector alike.`] : []),
    `- Seeds: ${p.seeds.join(', ')}${p.max_series !== null ? `; first ${p.max_series} usable series per dataset` : ''}.`,
    ...p.datasets.map((d) => `- Data \`${d.spec}\` → ${d.name}: ${d.items.length} series run (${d.items.map((i) => i.series).join(', ')}), sha256 ${short(d.digest)}…` +
      (d.skipped.length ? `; skipped: ${d.skipped.map((s) => `${s.series} (${s.reason})`).join(', ')}` : '')),
    opts.detectorParams === false
      ? `- Detectors: ${Object.keys(p.detectors).join(', ')} (resolved parameters in the JSON record).`
      : `- Detectors (resolved parameters; seed = the row's seed unless given): ${Object.entries(p.detectors).map(([k, v]) => `${k} \`${JSON.stringify(v)}\``).join('; ')}.`,
    ...Object.entries(p.fitted_as ?? {}).map(([k, list]) => `- Fitted otherwise than its parameters say (what the fit saw): ${list.map((f) => `${k} as \`${JSON.stringify(f.as)}\` in ${f.runs} of ${f.of} runs`).join('; ')}.`),
    `- ${t.name} ${t.version}, commit ${t.commit ? `${t.commit.slice(0, 12)}${t.dirty ? ' + uncommitted changes' : ''}` : `unknown (${t.note})`}; ` +
      `${m.cpu}, ${m.cores} cores, ${m.backend} backend${m.simd ? ` (${m.simd})` : ''}, ${m.threads ?? '?'} thread(s), Node ${m.node}, ${m.platform}` +
      `${Object.keys(m.env).length ? `, ${Object.entries(m.env).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}; started ${p.started_at}.`,
  ].join('\n');
}

export function renderEvalHtml(rows: ResultRow[], cases: Case[], provenance: RunProvenance, title = 'flinkscope evaluation', reference: ResultRow[] = []): string {
  const pre = (md: string): string => md.split('\n').map((l) => `<div>${esc(l)}</div>`).join('');
  const sections = cases.map((c) =>
    `<h3>${esc(c.row.detector)} on ${esc(c.row.dataset)} / ${esc(c.row.series)} (rule ${esc(c.row.rule)}${c.row.protocol === 'LEAKY' ? ', LEAKY' : ''}) — F1 ${c.row.f1.toFixed(3)}, PA-F1 ${c.row.pa_f1.toFixed(3)}, affiliation F1 ${c.row.aff_f1.toFixed(3)}${c.row.flagged === 0 ? ' — flags nothing' : ''}</h3>${plotCase(c)}`).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title><style>body{font:14px system-ui;margin:2em}div{font-family:monospace;white-space:pre}</style></head><body><h1>${esc(title)}</h1>` +
    `<h2>Provenance</h2>${pre(provenanceMarkdown(provenance))}` +
    `<p>Grey: first channel; blue: score; red dashed: threshold; red bands: labelled anomalies.</p>${pre(boardsMarkdown(rows, reference))}<h2>Best and worst runs</h2>${sections}</body></html>`;
}
