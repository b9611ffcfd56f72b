// What a reader repaired or refused, per file: reported, never silent.
export interface ReadReport {
  file: string;
  rows: number;
  /** Rows dropped as malformed, with their 1-based line and why (first 20 kept). */
  skipped: { line: number; reason: string }[];
  skippedCount: number;
  /** Every dropped row counted by kind of reason: 'field count', 'timestamp', 'label'. */
  skippedByReason: Record<string, number>;
  /** Cells that were empty / not a number (kept as NaN; detectors interpolate and say so). */
  missing: number;
  /** The missing cells by reason: 'empty', 'not a number', 'not finite' (NaN, ±Infinity, beyond float64). */
  missingByReason: Record<string, number>;
  /** Rows were out of time order and got sorted. */
  sorted: boolean;
  /** Rows dropped because their timestamp repeated (the last one is kept). */
  duplicates: number;
  /** Median sampling interval and the number of gaps longer than 1.5× it (kept: series may be irregular). */
  medianIntervalMs: number;
  gaps: number;
}

/** A reader's refusal: one line naming the file (control characters from a corrupt file are escaped, not printed). */
export class DataError extends Error {
  constructor(message: string, readonly file?: string) {
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    super((file ? `${file}: ${message}` : message).replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
    this.name = 'DataError';
  }
}

export function emptyReport(file: string): ReadReport {
  return { file, rows: 0, skipped: [], skippedCount: 0, skippedByReason: {}, missing: 0, missingByReason: {}, sorted: false, duplicates: 0, medianIntervalMs: 0, gaps: 0 };
}

/** Counts a dropped row under `kind`, keeping the first 20 reasons verbatim. */
export function skipRow(rep: ReadReport, line: number, kind: string, reason: string): void {
  rep.skippedCount++;
  rep.skippedByReason[kind] = (rep.skippedByReason[kind] ?? 0) + 1;
  if (rep.skipped.length < 20) rep.skipped.push({ line, reason });
}

/** Counts a missing cell under `reason`. */
export function missingCell(rep: ReadReport, reason: string): void {
  rep.missing++;
  rep.missingByReason[reason] = (rep.missingByReason[reason] ?? 0) + 1;
}

/** One line for people: "1 000 rows; skipped 2 (timestamp 1, field count 1); missing cells 3 (empty 3); 1 duplicate". */
export function describeReport(rep: ReadReport): string {
  const by = (m: Record<string, number>): string => Object.entries(m).map(([k, n]) => `${k} ${n}`).join(', ');
  const parts = [`${rep.rows} rows`];
  if (rep.skippedCount) parts.push(`skipped ${rep.skippedCount} malformed rows (${by(rep.skippedByReason)}; first: line ${rep.skipped[0].line}: ${rep.skipped[0].reason})`);
  if (rep.missing) parts.push(`${rep.missing} missing cells (${by(rep.missingByReason)})`);
  if (rep.duplicates) parts.push(`${rep.duplicates} repeated timestamps (last kept)`);
  if (rep.sorted) parts.push('rows sorted by time');
  return parts.join('; ');
}
