// A headerless numeric matrix (SMD / ASD files: comma-separated numbers, one row per line); parsed in the reader worker.
import { parseMetricValue, gapReason, type Series } from '../../core/index.js';
import { DataError, emptyReport, missingCell, type ReadReport } from './report.js';

/** A headerless numeric matrix (one row per line) as a Series m0…m{C-1} at 60 s from 0; every row must be C wide. */
export function parseMatrix(text: string, path: string, name: string): { series: Series; report: ReadReport } {
  const rep = emptyReport(path);
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const width = lines[0]?.split(',').length ?? 0;
  if (lines.length === 0 || width === 0) throw new DataError('empty file', path);
  const values = new Float64Array(lines.length * width);
  lines.forEach((l, i) => {
    const parts = l.split(',');
    if (parts.length !== width) throw new DataError(`line ${i + 1} has ${parts.length} values, expected ${width}`, path);
    for (let j = 0; j < width; j++) {
      const cell = parts[j].trim();
      const v = parseMetricValue(cell);
      // an empty cell or NaN is a gap; anything else that is not a number is a broken file, not a silent gap
      if (v === null && cell !== '' && !/^nan$/i.test(cell)) {
        throw new DataError(`line ${i + 1}, field ${j + 1}: '${cell.slice(0, 40)}' is not a number${i === 0 ? ' (these files have no header line)' : ''}`, path);
      }
      if (v === null) missingCell(rep, gapReason(cell));
      values[i * width + j] = v ?? NaN;
    }
  });
  rep.rows = lines.length;
  rep.medianIntervalMs = 60_000;
  const series: Series = {
    name,
    timestamps: Float64Array.from({ length: lines.length }, (_, i) => i * 60_000),
    channels: Array.from({ length: width }, (_, j) => `m${j}`),
    values,
    meta: { source: path },
  };
  return { series, report: rep };
}
