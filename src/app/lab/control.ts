// The control channel to the harness jobs (harness Control.java): a properties file naming the active faults,
// replaced atomically (write + rename) so a job never reads half a file.
import { renameSync, writeFileSync } from 'node:fs';

export interface ActiveFault {
  id: string;
  kind: 'skew' | 'hot-udf' | 'slow-sink' | 'state-growth';
  job: string;
  /** Operator short name as the job knows it (order-score, enrich-sink, …). */
  operator: string;
  subtask: number;
  /** Epoch ms the fault started (ramps count from here). */
  since: number;
  rampMs: number;
  /** Kind-specific: share (skew), burnMicros (hot-udf), sleepMicros (slow-sink), bytesPerRecord (state-growth). */
  params: Record<string, number>;
}

export function controlText(faults: ActiveFault[]): string {
  const lines = [`faults=${faults.map((f) => f.id).join(',')}`];
  for (const f of faults) {
    if (!/^[A-Za-z0-9_-]+$/.test(f.id)) throw new Error(`fault id '${f.id}' may only hold letters, digits, '-' and '_'`);
    lines.push(`${f.id}.kind=${f.kind}`, `${f.id}.job=${f.job}`, `${f.id}.operator=${f.operator}`, `${f.id}.subtask=${f.subtask}`, `${f.id}.since=${f.since}`, `${f.id}.rampMs=${f.rampMs}`);
    for (const [k, v] of Object.entries(f.params)) lines.push(`${f.id}.${k}=${v}`);
  }
  return lines.join('\n') + '\n';
}

export function writeControl(file: string, faults: ActiveFault[]): void {
  writeFileSync(`${file}.tmp`, controlText(faults));
  renameSync(`${file}.tmp`, file);
}
