// Writes a flink-lab recording (format: src/data/readers/flinklab.ts, docs/flink-lab.md): per-TaskManager machine
// and jobs tables as CSV (gzipped by default: the committed recordings stay small), labels, events, manifest.
// Numbers keep 5 significant digits — far below the metrics' own noise.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FlinkEvent } from '../../core/event.js';
import type { LabFault, LabManifest } from '../../data/readers/flinklab.js';

/** One table: row timestamp → column → value. */
export type Table = Map<number, Map<string, number>>;

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return '';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  return String(Number(v.toPrecision(5)));
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV text of a table: `timestamp` first, then `columns` in order; missing cells empty. */
export function tableCsv(t: Table, columns: string[], rows: number[]): string {
  const out = [['timestamp', ...columns].map(csvCell).join(',')];
  for (const ts of rows) {
    const r = t.get(ts);
    out.push([String(ts), ...columns.map((c) => formatNumber(r?.get(c) ?? NaN))].join(','));
  }
  return out.join('\n') + '\n';
}

export interface RecordingData {
  manifest: Omit<LabManifest, 'files'>;
  faults: LabFault[];
  events: FlinkEvent[];
  /** Row timestamps (the poll grid), shared by every table. */
  rows: number[];
  machines: Map<string, Table>;
  /** Column order for the machine tables (extra columns follow, sorted). */
  machineColumns: string[];
  jobs: Map<string, Table>;
}

/** Writes the recording into `dir` (which must exist); returns the manifest as written. */
export function writeRecording(dir: string, d: RecordingData, gzip = true): LabManifest {
  mkdirSync(join(dir, 'machines'), { recursive: true });
  mkdirSync(join(dir, 'jobs'), { recursive: true });
  const ext = gzip ? '.csv.gz' : '.csv';
  const put = (rel: string, text: string): void => writeFileSync(join(dir, rel), gzip && rel.endsWith('.gz') ? gzipSync(text, { level: 9 }) : text);
  const files: LabManifest['files'] = { machines: {}, jobs: {} };
  const present = (tables: Iterable<Table>): Set<string> => {
    const s = new Set<string>();
    for (const t of tables) for (const r of t.values()) for (const [c, v] of r) if (Number.isFinite(v)) s.add(c);
    return s;
  };
  const machineCols = present(d.machines.values());
  const mcols = [...d.machineColumns.filter((c) => machineCols.has(c)), ...[...machineCols].filter((c) => !d.machineColumns.includes(c)).sort()];
  for (const tm of d.manifest.taskManagers) {
    files.machines[tm] = `machines/${tm}${ext}`;
    put(files.machines[tm], tableCsv(d.machines.get(tm) ?? new Map(), mcols, d.rows));
  }
  for (const [tm, t] of [...d.jobs].sort(([a], [b]) => a.localeCompare(b))) {
    const cols = [...present([t])].sort();
    if (cols.length === 0) continue;
    files.jobs[tm] = `jobs/${tm}${ext}`;
    put(files.jobs[tm], tableCsv(t, cols, d.rows));
  }
  const manifest: LabManifest = { ...d.manifest, files };
  writeFileSync(join(dir, 'labels.json'), JSON.stringify({ faults: d.faults }, null, 1) + '\n');
  writeFileSync(join(dir, 'events.json'), JSON.stringify(d.events, null, 1) + '\n');
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
  return manifest;
}
