// What a reader repaired or refused, per file: reported, never silent.
export interface ReadReport {
  file: string;
  rows: number;
  /** Rows dropped as malformed, with their 1-based line and why (first 20 kept). */
  skipped: { line: number; reason: string }[];
  skippedCount: number;
  /** Cells that were empty / not a number (kept as NaN; detectors interpolate and say so). */
  missing: number;
  /** Rows were out of time order and got sorted. */
  sorted: boolean;
  /** Rows dropped because their timestamp repeated (the last one is kept). */
  duplicates: number;
  /** Median sampling interval and the number of gaps longer than 1.5× it (kept: series may be irregular). */
  medianIntervalMs: number;
  gaps: number;
}

export class DataError extends Error {
  constructor(message: string, readonly file?: string) {
    super(file ? `${file}: ${message}` : message);
    this.name = 'DataError';
  }
}

export function emptyReport(file: string): ReadReport {
  return { file, rows: 0, skipped: [], skippedCount: 0, missing: 0, sorted: false, duplicates: 0, medianIntervalMs: 0, gaps: 0 };
}

/** Sorts rows by time, drops repeated timestamps (keeping the last), fills the sampling facts of the report. */
export function orderRows<R extends { t: number }>(rows: R[], rep: ReadReport): R[] {
  for (let i = 1; i < rows.length; i++) if (rows[i].t < rows[i - 1].t) {
    rep.sorted = true;
    break;
  }
  const sorted = rep.sorted ? rows.map((r, i) => [r, i] as const).sort((a, b) => a[0].t - b[0].t || a[1] - b[1]).map(([r]) => r) : rows;
  const out: R[] = [];
  for (const r of sorted) {
    if (out.length && out[out.length - 1].t === r.t) {
      out[out.length - 1] = r;
      rep.duplicates++;
    } else out.push(r);
  }
  const iv = out.slice(1).map((r, i) => r.t - out[i].t).sort((a, b) => a - b);
  rep.medianIntervalMs = iv.length ? iv[iv.length >> 1] : 0;
  rep.gaps = iv.filter((d) => d > 1.5 * rep.medianIntervalMs).length;
  rep.rows = out.length;
  return out;
}
