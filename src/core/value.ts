// What counts as a metric value, for every edge that reads one (file cells, Flink REST, Prometheus): a finite JSON
// number, or a plain decimal string ("12", "-0.5", "1.5e3", ".5"). Everything else is a gap (null), never 0:
// "" / whitespace, null, booleans, hex ("0x10"), "NaN", "Infinity", "1e400" (beyond float64). Callers count gaps.

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function parseMetricValue(raw: unknown): number | null {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null;
  if (typeof raw !== 'string' || !DECIMAL.test(raw)) return null;
  const v = Number(raw);
  return Number.isFinite(v) ? v : null;
}

/** Why parseMetricValue gave a gap, for reports: 'empty', 'not finite' (NaN, ±Infinity, out of range) or 'not a number'. */
export function gapReason(raw: unknown): 'empty' | 'not finite' | 'not a number' {
  if (raw === null || raw === undefined || (typeof raw === 'string' && raw.trim() === '')) return 'empty';
  if (typeof raw === 'number' || (typeof raw === 'string' && (DECIMAL.test(raw) || /^[+-]?(?:NaN|Infinity|inf)$/i.test(raw)))) return 'not finite';
  return 'not a number';
}
