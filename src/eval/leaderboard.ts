// Leaderboard: per detector × dataset, metrics averaged over series, then mean ± std over seeds.
import type { ResultRow } from './runner.js';

export const LEADERBOARD_METRICS = ['f1', 'pa_f1', 'aff_f1', 'vus_pr', 'auc_pr', 'auc_roc'] as const;
export type BoardMetric = (typeof LEADERBOARD_METRICS)[number];

export interface BoardCell {
  mean: number;
  std: number;
  n: number;
}

const nanMean = (v: number[]): number => {
  const f = v.filter(Number.isFinite);
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
};

/** cell(detector, dataset, metric): per-seed means over series, then mean and std over seeds. */
export function leaderboard(rows: ResultRow[]): Map<string, Map<string, Record<BoardMetric, BoardCell>>> {
  const out = new Map<string, Map<string, Record<BoardMetric, BoardCell>>>();
  const dets = [...new Set(rows.map((r) => r.detector))];
  const sets = [...new Set(rows.map((r) => r.dataset))];
  for (const d of dets) {
    const byDs = new Map<string, Record<BoardMetric, BoardCell>>();
    for (const ds of sets) {
      const rs = rows.filter((r) => r.detector === d && r.dataset === ds);
      if (!rs.length) continue;
      const seeds = [...new Set(rs.map((r) => r.seed))];
      const cell = {} as Record<BoardMetric, BoardCell>;
      for (const m of LEADERBOARD_METRICS) {
        const perSeed = seeds.map((s) => nanMean(rs.filter((r) => r.seed === s).map((r) => r[m] as number)));
        const mean = nanMean(perSeed);
        const std = Math.sqrt(nanMean(perSeed.map((v) => (v - mean) ** 2)));
        cell[m] = { mean, std: Number.isFinite(std) ? std : 0, n: seeds.length };
      }
      byDs.set(ds, cell);
    }
    out.set(d, byDs);
  }
  return out;
}

const fmt = (c: BoardCell | undefined): string => (!c || !Number.isFinite(c.mean) ? '—' : c.n > 1 ? `${c.mean.toFixed(3)} ± ${c.std.toFixed(3)}` : c.mean.toFixed(3));

/** Markdown table: rows detectors, columns datasets, one table per metric (plain F1 first). */
export function leaderboardMarkdown(rows: ResultRow[], metrics: readonly BoardMetric[] = LEADERBOARD_METRICS): string {
  const board = leaderboard(rows);
  const sets = [...new Set(rows.map((r) => r.dataset))];
  const parts: string[] = [];
  for (const m of metrics) {
    const lines = [`**${m}**`, '', `| detector | ${sets.join(' | ')} | mean |`, `|---|${sets.map(() => '---').join('|')}|---|`];
    const ranked = [...board].sort((a, b) => avg(b[1], sets, m) - avg(a[1], sets, m));
    for (const [d, byDs] of ranked) {
      lines.push(`| ${d} | ${sets.map((s) => fmt(byDs.get(s)?.[m])).join(' | ')} | ${avg(byDs, sets, m).toFixed(3)} |`);
    }
    parts.push(lines.join('\n'));
  }
  return parts.join('\n\n');
}

function avg(byDs: Map<string, Record<BoardMetric, BoardCell>>, sets: string[], m: BoardMetric): number {
  return nanMean(sets.map((s) => byDs.get(s)?.[m].mean ?? NaN));
}
