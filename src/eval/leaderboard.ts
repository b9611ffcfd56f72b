// Leaderboard: per detector × dataset, metrics averaged over series, then mean ± std over seeds. Threshold metrics are
// shown for one rule at a time, with the rule (and LEAKY when it read the test data) in the heading, and a run that
// flagged no test point is marked, not hidden in an F1 of 0. Threshold-free metrics are the same under every rule.
import type { ResultRow } from './runner.js';
import { FLAG_ALL } from './reference.js';

export const THRESHOLD_METRICS = ['f1', 'pa_f1', 'aff_f1'] as const;
export const RANKING_METRICS = ['auc_pr', 'vus_pr', 'auc_roc', 'oracle_best_f1'] as const;
export const LEADERBOARD_METRICS = [...THRESHOLD_METRICS, ...RANKING_METRICS] as const;
export type BoardMetric = (typeof LEADERBOARD_METRICS)[number];

export interface BoardCell {
  mean: number;
  std: number;
  /** Seeds averaged. */
  n: number;
  /** Runs (series × seeds) in the cell, and how many of them flagged no test point. */
  runs: number;
  silent: number;
}

const nanMean = (v: number[]): number => {
  const f = v.filter(Number.isFinite);
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
};

const isRanking = (m: BoardMetric): boolean => (RANKING_METRICS as readonly string[]).includes(m);

function rulesOf(rows: ResultRow[]): string[] {
  return [...new Set(rows.map((r) => r.rule))];
}

/** One row per run (the first rule's): threshold-free metrics are identical across rules. */
export function oneRulePerRun(rows: ResultRow[]): ResultRow[] {
  const first = rows[0]?.rule;
  return rows.filter((r) => r.rule === first);
}

/** cell(detector, dataset, metric): per-seed means over series, then mean and std over seeds. Rows of ONE rule. */
export function leaderboard(rows: ResultRow[]): Map<string, Map<string, Record<BoardMetric, BoardCell>>> {
  const rules = rulesOf(rows);
  if (rules.length > 1) throw new Error(`leaderboard: rows of ${rules.length} threshold rules (${rules.join(', ')}); give one rule's rows at a time`);
  const out = new Map<string, Map<string, Record<BoardMetric, BoardCell>>>();
  const dets = [...new Set(rows.map((r) => r.detector))];
  const sets = [...new Set(rows.map((r) => r.dataset))];
  for (const d of dets) {
    const byDs = new Map<string, Record<BoardMetric, BoardCell>>();
    for (const ds of sets) {
      const rs = rows.filter((r) => r.detector === d && r.dataset === ds);
      if (!rs.length) continue;
      const seeds = [...new Set(rs.map((r) => r.seed))];
      const silent = rs.filter((r) => r.flagged === 0).length;
      const cell = {} as Record<BoardMetric, BoardCell>;
      for (const m of LEADERBOARD_METRICS) {
        const perSeed = seeds.map((s) => nanMean(rs.filter((r) => r.seed === s).map((r) => r[m] as number)));
        const mean = nanMean(perSeed);
        const std = Math.sqrt(nanMean(perSeed.map((v) => (v - mean) ** 2)));
        cell[m] = { mean, std: Number.isFinite(std) ? std : 0, n: seeds.length, runs: rs.length, silent: isRanking(m) ? 0 : silent };
      }
      byDs.set(ds, cell);
    }
    out.set(d, byDs);
  }
  return out;
}

const num = (c: BoardCell): string => (c.n > 1 ? `${c.mean.toFixed(3)} ± ${c.std.toFixed(3)}` : c.mean.toFixed(3));

function fmt(c: BoardCell | undefined): string {
  if (!c) return '—';
  if (c.silent > 0 && c.silent === c.runs) return 'flags nothing';
  if (!Number.isFinite(c.mean)) return '—';
  return c.silent > 0 ? `${num(c)} ∅${c.silent}/${c.runs}` : num(c);
}

function heading(m: BoardMetric, rows: ResultRow[]): string {
  if (m === 'oracle_best_f1') return '**oracle_best_f1** — UPPER BOUND, not a result: the best F1 of any threshold, chosen with the test labels';
  if (isRanking(m)) return `**${m}** — threshold-free`;
  const r = rows[0];
  return r ? `**${m}** — threshold rule \`${r.rule}\`${r.protocol === 'LEAKY' ? ' — LEAKY (reads the test scores): a reproduction, not a result' : ''}, calibration \`${r.calibration}\`` : `**${m}**`;
}

/**
 * Markdown: one table per metric, rows detectors (best mean first), columns datasets. Threshold metrics need the rows
 * of one rule; threshold-free ones take any rows (one rule's are used). Rows of the flag-every-point reference
 * (reference.ts), when given among them, are ranked with the detectors, in italics, with a note.
 */
export function leaderboardMarkdown(rows: ResultRow[], metrics: readonly BoardMetric[] = LEADERBOARD_METRICS): string {
  const needsOneRule = metrics.some((m) => !isRanking(m));
  const use = needsOneRule ? rows : oneRulePerRun(rows);
  const board = leaderboard(use);
  const sets = [...new Set(use.map((r) => r.dataset))];
  const parts: string[] = [];
  let anySilent = false;
  for (const m of metrics) {
    const lines = [heading(m, use), '', `| detector | ${sets.join(' | ')} | mean |`, `|---|${sets.map(() => '---').join('|')}|---|`];
    const ranked = [...board].sort((a, b) => avg(b[1], sets, m) - avg(a[1], sets, m));
    for (const [d, byDs] of ranked) {
      const cells = sets.map((s) => byDs.get(s)?.[m]);
      anySilent ||= cells.some((c) => c && c.silent > 0);
      const name = d === FLAG_ALL ? `*${d}*` : d;
      lines.push(`| ${name} | ${cells.map(fmt).join(' | ')} | ${avg(byDs, sets, m).toFixed(3)} |`);
    }
    parts.push(lines.join('\n'));
  }
  if (board.has(FLAG_ALL)) parts.push(`*${FLAG_ALL}*: a reference, not a detector — every test point flagged, every score the same. What a metric gives it is earned without ranking anything.`);
  if (anySilent) parts.push('∅k/n: in k of the n runs of that cell the threshold lay above every test score — nothing was flagged and those runs count as F1 0; "flags nothing": all of them.');
  return parts.join('\n\n');
}

/** The threshold-free tables (AUC-PR, VUS-PR, AUC-ROC and the labelled oracle upper bound). */
export function rankingMarkdown(rows: ResultRow[]): string {
  return leaderboardMarkdown(rows, RANKING_METRICS);
}

/** Runs that flagged nothing, per detector (rows) and rule (columns), over all datasets: "k/n". */
export function silentMarkdown(rows: ResultRow[]): string {
  const rules = rulesOf(rows);
  const dets = [...new Set(rows.map((r) => r.detector))].filter((d) => d !== FLAG_ALL);
  const lines = [`| detector | ${rules.map((r) => `\`${r}\``).join(' | ')} |`, `|---|${rules.map(() => '---').join('|')}|`];
  for (const d of dets) {
    lines.push(`| ${d} | ${rules.map((rule) => {
      const rs = rows.filter((r) => r.detector === d && r.rule === rule);
      return `${rs.filter((r) => r.flagged === 0).length}/${rs.length}`;
    }).join(' | ')} |`);
  }
  return lines.join('\n');
}

function avg(byDs: Map<string, Record<BoardMetric, BoardCell>>, sets: string[], m: BoardMetric): number {
  return nanMean(sets.map((s) => byDs.get(s)?.[m].mean ?? NaN));
}
