// Evaluation report (HTML, self-contained): the leaderboard and, for the best and worst run of each detector, a plot
// of the first channel, the scores, the threshold and the labelled anomalies (inline SVG).
import type { ResultRow } from './runner.js';
import { leaderboardMarkdown } from './leaderboard.js';

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

export function renderEvalHtml(rows: ResultRow[], cases: Case[], title = 'flinkscope evaluation'): string {
  const md = leaderboardMarkdown(rows);
  const table = md.split('\n').map((l) => `<div>${esc(l)}</div>`).join('');
  const sections = cases.map((c) =>
    `<h3>${esc(c.row.detector)} on ${esc(c.row.dataset)} / ${esc(c.row.series)} — F1 ${c.row.f1.toFixed(3)}, PA-F1 ${c.row.pa_f1.toFixed(3)}, affiliation F1 ${c.row.aff_f1.toFixed(3)}</h3>${plotCase(c)}`).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title><style>body{font:14px system-ui;margin:2em}div{font-family:monospace;white-space:pre}</style></head><body><h1>${esc(title)}</h1>` +
    `<p>Thresholds come from training scores only. Grey: first channel; blue: score; red dashed: threshold; red bands: labelled anomalies.</p>${table}<h2>Best and worst runs</h2>${sections}</body></html>`;
}
